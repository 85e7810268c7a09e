"""`make bench`'s HTTP destination section: its cost lines follow the attempts an event takes,
its comparator is EventBridge API destinations' listed price, and the local figure is real."""

import pytest

from bench import cost, delivery


@pytest.fixture(scope="module")
def rows() -> dict[tuple[str, float], dict]:
    return {(r["size"], r["failure_rate"]): r for r in delivery.run_costs(cost.load_prices(), 3)}


def test_failures_cost_their_retries(rows: dict) -> None:
    clean, failing = rows[("1 KiB", 0.0)], rows[("1 KiB", 0.2)]
    assert clean["lines"]["SQS re-send per retry"] == 0
    assert failing["lines"]["SQS re-send per retry"] > 0
    # 1.25 attempts per event at 20 %: every per-attempt line grows by a quarter.
    for line in ("deliver Lambda requests", "CloudWatch Logs (one line per attempt)"):
        assert failing["lines"][line] == pytest.approx(clean["lines"][line] * 1.25)
    assert failing["lines"]["DynamoDB reads"] > clean["lines"]["DynamoDB reads"]
    assert failing["total"] > clean["total"]


def test_only_a_claim_checked_body_reads_s3(rows: dict) -> None:
    assert rows[("1 KiB", 0.0)]["lines"]["S3 GET (claim check)"] == 0
    assert rows[("100 KiB (claim-checked)", 0.0)]["lines"]["S3 GET (claim check)"] > 0


def test_api_destinations_are_priced_from_prices_json(rows: dict) -> None:
    listed = cost.load_prices()["eventbridge_api_destination_per_million"]
    assert listed == 0.2
    assert rows[("1 KiB", 0.0)]["api_destinations"] == listed
    assert rows[("1 KiB", 0.2)]["api_destinations"] == pytest.approx(listed * 1.25)


def test_the_attempt_is_measured(rows: dict) -> None:
    small, large = rows[("1 KiB", 0.0)], rows[("100 KiB (claim-checked)", 0.0)]
    assert 0 < small["attempt_cpu_us"] < large["attempt_cpu_us"]  # hashing and signing 100 KiB
    assert small["log_bytes"] > 300  # the attempt's JSON line with its EMF directive


def test_a_full_batch_writes_once(rows: dict) -> None:
    """The batch's rate-limit slots are the one write of a full batch of delivered attempts:
    the attempt log is its log line, not a table item (counted from the calls the deliver
    function makes)."""
    row = rows[("1 KiB", 0.0)]
    batch = delivery.Assumptions().batch_size
    assert row["state_writes_per_attempt"] == pytest.approx(1 / batch)
    assert row["lines"]["DynamoDB writes"] == pytest.approx(
        cost.load_prices()["dynamodb_on_demand_wru_per_million"] / batch
    )


@pytest.mark.slow
def test_local_stored_to_delivered() -> None:
    result = delivery.run_local(20, 4)
    latency = result["stored_to_delivered_ms"]
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
