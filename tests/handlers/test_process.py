"""The process function against moto: each event stored once, exactly the failed records retried."""

import hashlib
import inspect
import json
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import process
from tests.handlers.conftest import ARCHIVE_BUCKET
from webhooks import envelope, storage, store
from webhooks.environ import SettingsError

# SQS records and envelope messages are JSON objects.
Record = Callable[..., dict[str, Any]]
Message = Callable[..., dict[str, Any]]
# A DynamoDB item: attribute name -> typed attribute value ({"S": ...}, {"N": ...}).
Item = dict[str, dict[str, Any]]

pytestmark = pytest.mark.usefixtures("process_env")


def _invoke(*records: dict[str, Any]) -> set[str]:
    result = process.handler({"Records": list(records)}, None)
    assert set(result) == {"batchItemFailures"}
    return {failure["itemIdentifier"] for failure in result["batchItemFailures"]}


def _item(table: str, provider: str, delivery_id: str) -> Item | None:
    key = {"pk": {"S": storage.item_key(provider, delivery_id)}}
    item: Item | None = boto3.client("dynamodb").get_item(TableName=table, Key=key).get("Item")
    return item


def _stored_item(table: str, provider: str, delivery_id: str) -> Item:
    item = _item(table, provider, delivery_id)
    assert item is not None, f"no item stored for {provider} delivery {delivery_id!r}"
    return item


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line]


def _metric_lines(output: str) -> list[dict[str, Any]]:
    return [line for line in _lines(output) if "_aws" in line]


def test_stores_every_record_and_reports_no_failures(
    events_table: str, sqs_record: Record, message: Message
) -> None:
    bodies = [b'{"action": "opened"}', "caf\u00e9 \u2603".encode(), b"\xff\xfe\x00binary"]
    messages = [message(body, event_type=f"e{i}") for i, body in enumerate(bodies)]
    before = time.time()

    assert _invoke(*(sqs_record(m) for m in messages)) == set()

    for body, sent in zip(bodies, messages, strict=True):
        item = _item(events_table, "github", sent["delivery_id"])
        assert item is not None
        assert storage.original_bytes(item) == body
        assert item["event_type"] == {"S": sent["event_type"]}
        assert item["received_at"] == {"S": sent["received_at"]}
        assert item["body_size"] == {"N": str(len(body))}
        assert json.loads(item["headers"]["S"]) == sent["headers"]
        expires = int(item["expires_at"]["N"])
        assert int(before) + 30 * 86_400 <= expires <= time.time() + 30 * 86_400


def test_stored_item_is_found_by_provider_and_time(
    events_table: str, sqs_record: Record, message: Message
) -> None:
    sent = message(b"{}", provider="stripe", delivery_id="evt_1")
    assert _invoke(sqs_record(sent)) == set()
    found = boto3.client("dynamodb").query(
        TableName=events_table,
        IndexName="by_provider",
        KeyConditionExpression="provider = :p AND received_at >= :t",
        ExpressionAttributeValues={":p": {"S": "stripe"}, ":t": {"S": "2026-11-28T00:00:00Z"}},
    )["Items"]
    assert [item["delivery_id"]["S"] for item in found] == ["evt_1"]


def test_same_delivery_twice_in_one_batch_is_stored_once(
    events_table: str, sqs_record: Record, message: Message, capsys: pytest.CaptureFixture
) -> None:
    sent = message(b'{"n": 1}')
    assert _invoke(sqs_record(sent), sqs_record(sent)) == set()

    stored = _stored_item(events_table, "github", sent["delivery_id"])
    assert storage.original_bytes(stored) == b'{"n": 1}'
    [line] = _metric_lines(capsys.readouterr().out)
    assert (line["Stored"], line["Duplicate"], line["Failed"]) == (1, 1, 0)


def test_redelivery_in_a_later_batch_is_a_duplicate_and_changes_nothing(
    events_table: str, sqs_record: Record, message: Message, capsys: pytest.CaptureFixture
) -> None:
    sent = message(b'{"n": 2}')
    assert _invoke(sqs_record(sent)) == set()
    first = _item(events_table, "github", sent["delivery_id"])
    capsys.readouterr()

    assert _invoke(sqs_record(sent)) == set()

    assert _item(events_table, "github", sent["delivery_id"]) == first
    output = capsys.readouterr().out
    [line] = _metric_lines(output)
    assert (line["Stored"], line["Duplicate"], line["Failed"]) == (0, 1, 0)
    [duplicate] = [line for line in _lines(output) if line.get("level") == "INFO"]
    assert duplicate["delivery_id"] == sent["delivery_id"]


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"],
)
def test_reports_exactly_the_records_dynamodb_failed(
    code: str,
    events_table: str,
    put_item_faults: dict[str, str],
    sqs_record: Record,
    message: Message,
    capsys: pytest.CaptureFixture,
) -> None:
    messages = [message(f'{{"n": {i}}}'.encode()) for i in range(5)]
    records = [sqs_record(m) for m in messages]
    for failing in (messages[1], messages[3]):
        put_item_faults[storage.item_key("github", failing["delivery_id"])] = code

    failed = _invoke(*records)

    assert failed == {records[1]["messageId"], records[3]["messageId"]}
    stored = [_item(events_table, "github", m["delivery_id"]) is not None for m in messages]
    assert stored == [True, False, True, False, True]
    output = capsys.readouterr().out
    [metrics] = _metric_lines(output)
    assert (metrics["Stored"], metrics["Duplicate"], metrics["Failed"]) == (3, 0, 2)
    warnings = [line for line in _lines(output) if line.get("level") == "WARNING"]
    assert {w["message_id"] for w in warnings} == failed
    assert {w["error"] for w in warnings} == {code}

    put_item_faults.clear()
    assert _invoke(records[3], records[1]) == set()
    assert all(_item(events_table, "github", m["delivery_id"]) for m in messages)


def test_a_permanent_dynamodb_error_fails_the_record_with_an_error_line(
    events_table: str,
    put_item_faults: dict[str, str],
    sqs_record: Record,
    message: Message,
    capsys: pytest.CaptureFixture,
) -> None:
    sent, other = message(b"a"), message(b"b")
    put_item_faults[storage.item_key("github", sent["delivery_id"])] = "ValidationException"
    record = sqs_record(sent)

    assert _invoke(record, sqs_record(other)) == {record["messageId"]}

    [error] = [line for line in _lines(capsys.readouterr().out) if line.get("level") == "ERROR"]
    assert error["error"] == "ValidationException"
    assert error["message_id"] == record["messageId"]
    assert error["delivery_id"] == sent["delivery_id"]
    assert _item(events_table, "github", other["delivery_id"]) is not None


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({"v": 2, "provider": "github", "delivery_id": "d-v2"}),
        json.dumps({"v": 1, "provider": "github", "delivery_id": "d-partial"}),
    ],
    ids=["not-json", "not-object", "unknown-version", "missing-fields"],
)
def test_unreadable_envelope_fails_only_its_record(
    body: str,
    events_table: str,
    sqs_record: Record,
    message: Message,
    capsys: pytest.CaptureFixture,
) -> None:
    good = message(b"{}")
    bad = sqs_record(body)

    assert _invoke(sqs_record(good), bad, sqs_record(message(b"[]"))) == {bad["messageId"]}

    assert _item(events_table, "github", good["delivery_id"]) is not None
    [error] = [line for line in _lines(capsys.readouterr().out) if line.get("level") == "ERROR"]
    assert error["message_id"] == bad["messageId"]
    assert error["reason"]
    assert {"provider", "delivery_id"} <= set(error)
    claimed = json.loads(body) if body.startswith("{") else {}
    assert error["delivery_id"] == claimed.get("delivery_id")


def test_tampered_body_is_never_stored(
    events_table: str, sqs_record: Record, message: Message
) -> None:
    sent = message(b'{"amount": 100}')
    sent["body"] = '{"amount": 999}'
    record = sqs_record(sent)

    assert _invoke(record) == {record["messageId"]}
    assert _item(events_table, "github", sent["delivery_id"]) is None


def test_an_unexpected_error_fails_the_record_not_the_batch(
    events_table: str, sqs_record: Record, message: Message, capsys: pytest.CaptureFixture
) -> None:
    good = message(b"{}")
    broken = sqs_record(message(b"{}"))
    del broken["body"]

    assert _invoke(broken, sqs_record(good)) == {broken["messageId"]}

    assert _item(events_table, "github", good["delivery_id"]) is not None
    [error] = [line for line in _lines(capsys.readouterr().out) if line.get("level") == "ERROR"]
    assert error["error"] == "KeyError"
    assert error["detail"] == "'body'"
    assert error["message_id"] == broken["messageId"]


def test_archived_body_is_stored_by_key_and_read_back_from_the_bucket(
    events_table: str, sqs_record: Record, message: Message
) -> None:
    body = b'{"big": "' + b"x" * 300_000 + b'"}'
    key = envelope.archive_key("github", hashlib.sha256(body).hexdigest())
    s3 = boto3.client("s3")
    s3.put_object(Bucket=ARCHIVE_BUCKET, Key=key, Body=body)

    assert _invoke(sqs_record(message(body, delivery_id="d-large", body_s3_key=key))) == set()

    item = _stored_item(events_table, "github", "d-large")
    assert item["payload_s3_key"] == {"S": key}
    assert "payload" not in item

    def read_archived(s3_key: str) -> bytes:
        return s3.get_object(Bucket=ARCHIVE_BUCKET, Key=s3_key)["Body"].read()

    assert storage.original_bytes(item, read_archived) == body


@pytest.mark.parametrize("stored", [None, b"other bytes"], ids=["missing", "different"])
def test_archived_body_missing_or_different_fails_the_record_and_stores_nothing(
    events_table: str,
    sqs_record: Record,
    message: Message,
    stored: bytes | None,
    capsys: pytest.CaptureFixture,
) -> None:
    body = b'{"big": "' + b"y" * 40_000 + b'"}'
    key = envelope.archive_key("github", hashlib.sha256(body).hexdigest())
    if stored is not None:
        boto3.client("s3").put_object(Bucket=ARCHIVE_BUCKET, Key=key, Body=stored)
    record = sqs_record(message(body, delivery_id="d-broken", body_s3_key=key))
    assert _invoke(record) == {record["messageId"]}
    assert "Item" not in boto3.client("dynamodb").get_item(
        TableName=events_table, Key={"pk": {"S": storage.item_key("github", "d-broken")}}
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [error] = [line for line in lines if line.get("level") == "ERROR"]
    assert error["message"] == "archived body unusable, record will go to the DLQ"
    assert error["reason"] == (
        "archived body is missing" if stored is None else "archived body does not match body_sha256"
    )


def test_log_lines_name_the_delivery_and_never_carry_the_payload(
    events_table: str,
    put_item_faults: dict[str, str],
    sqs_record: Record,
    message: Message,
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from webhooks import observability

    monkeypatch.setattr(observability, "_threshold", observability._threshold)  # restored after
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")  # every line is written
    secret = "sk_live_do_not_log_me"
    throttled, stored = message(secret.encode()), message(secret.encode())
    put_item_faults[storage.item_key("github", throttled["delivery_id"])] = "ThrottlingException"
    records = [sqs_record(throttled), sqs_record(stored), sqs_record(stored)]

    _invoke(*records)

    output = capsys.readouterr().out
    assert secret not in output
    logs = [line for line in _lines(output) if "_aws" not in line]
    assert {line["message"] for line in logs} == {
        "store throttled, record will be retried",
        "event stored",
        "duplicate delivery, already stored",
    }
    for line in logs:
        assert line["provider"] == "github"
        assert line["delivery_id"] in (throttled["delivery_id"], stored["delivery_id"])
        assert line["message_id"] in {r["messageId"] for r in records}


def test_one_metrics_line_per_invocation(
    events_table: str, sqs_record: Record, message: Message, capsys: pytest.CaptureFixture
) -> None:
    _invoke(*(sqs_record(message(b"{}")) for _ in range(4)))

    [line] = _metric_lines(capsys.readouterr().out)
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Webhooks"
    assert directive["Dimensions"] == [["Environment"]]
    assert line["Environment"] == "test"
    assert {m["Name"] for m in directive["Metrics"]} == {
        "Stored",
        "Duplicate",
        "Conflict",
        "Failed",
    }
    assert (line["Stored"], line["Duplicate"], line["Conflict"], line["Failed"]) == (4, 0, 0, 0)


def test_empty_batch_is_fine(events_table: str) -> None:
    assert _invoke() == set()


def test_misconfiguration_fails_the_whole_batch_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, sqs_record: Record, message: Message
) -> None:
    monkeypatch.delenv("TABLE_NAME")
    with pytest.raises(SettingsError, match="TABLE_NAME"):
        process.handler({"Records": [sqs_record(message(b"{}"))]}, None)


def test_client_honours_aws_endpoint_url_and_retries_in_standard_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    _, table, _, _ = process._runtime()
    client: Any = table  # a botocore client, untyped
    assert inspect.ismethod(client.put_item), f"expected a DynamoDB client, got {client!r}"
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_replay_order_stores_each_delivery_exactly_once(
    data: st.DataObject,
    events_table: str,
    put_item_faults: dict[str, str],
    sqs_record: Record,
    message: Message,
    capsys: pytest.CaptureFixture,
) -> None:
    run = uuid.uuid4().hex  # examples share the table: keep each one's deliveries apart
    put_item_faults.clear()
    bodies = data.draw(st.lists(st.binary(max_size=64), min_size=1, max_size=5), label="bodies")
    messages = [message(body, delivery_id=f"{run}-{i}") for i, body in enumerate(bodies)]
    extra = data.draw(st.lists(st.sampled_from(range(len(messages))), max_size=8), label="extra")
    copies = data.draw(st.permutations([*range(len(messages)), *extra]), label="order")
    records = [(i, sqs_record(messages[i])) for i in copies]
    throttled = data.draw(st.sets(st.sampled_from(range(len(messages)))), label="throttled")
    for i in throttled:
        put_item_faults[storage.item_key("github", messages[i]["delivery_id"])] = (
            "ThrottlingException"
        )
    size = data.draw(st.integers(1, 4), label="batch size")
    capsys.readouterr()

    retry: list[dict[str, Any]] = []
    for start in range(0, len(records), size):
        batch = records[start : start + size]
        failed = _invoke(*(record for _, record in batch))
        expected = {record["messageId"] for i, record in batch if i in throttled}
        assert failed == expected
        retry += [record for _, record in batch if record["messageId"] in failed]
    put_item_faults.clear()
    retry = data.draw(st.permutations(retry), label="redelivery order")
    for start in range(0, len(retry), size):
        assert _invoke(*retry[start : start + size]) == set()

    counts = _metric_lines(capsys.readouterr().out)
    assert sum(line["Stored"] for line in counts) == len(messages)
    assert sum(line["Duplicate"] for line in counts) == len(records) - len(messages)
    for body, sent in zip(bodies, messages, strict=True):
        stored = _stored_item(events_table, "github", sent["delivery_id"])
        assert storage.original_bytes(stored) == body


class _Context:
    """The part of the Lambda context the handler reads."""

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_with_no_time_left_only_the_first_record_is_attempted(
    events_table: str, sqs_record: Record, message: Message
) -> None:
    messages = [message(b"{}") for _ in range(3)]
    records = [sqs_record(m) for m in messages]

    result = process.handler({"Records": records}, _Context(remaining_ms=0))

    assert result == {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records[1:]]
    }
    assert [_item(events_table, "github", m["delivery_id"]) is not None for m in messages] == [
        True,
        False,
        False,
    ]


def test_with_time_left_the_whole_batch_is_attempted(
    events_table: str, sqs_record: Record, message: Message
) -> None:
    records = [sqs_record(message(b"{}")) for _ in range(3)]
    assert process.handler({"Records": records}, _Context(30_000)) == {"batchItemFailures": []}


def test_new_records_start_only_within_the_working_share_of_the_time_left(
    events_table: str, sqs_record: Record, message: Message, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert 0 < process.WORKING_SHARE < 1  # a reserve is kept for the record in flight
    monkeypatch.setattr(process, "WORKING_SHARE", 0)  # no working time: the reserve only
    records = [sqs_record(message(b"{}")) for _ in range(3)]
    result = process.handler({"Records": records}, _Context(30_000))
    assert result == {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records[1:]]
    }


def test_copies_of_one_delivery_written_at_once_are_stored_once(
    events_table: str, sqs_record: Record, message: Message, capsys: pytest.CaptureFixture
) -> None:
    """The batch's writers put copies of one delivery concurrently: DynamoDB's conditional put
    lets exactly one through (the emulator's is made atomic to match, local/motoserver.py)."""
    capsys.readouterr()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: a check-then-write race shows at once
    try:
        for round_ in range(30):
            sent = message(b"", delivery_id=f"{uuid.uuid4().hex}-{round_}")
            assert _invoke(*(sqs_record(sent) for _ in range(4))) == set()
    finally:
        sys.setswitchinterval(interval)
    counts = _metric_lines(capsys.readouterr().out)
    assert sum(line["Stored"] for line in counts) == 30
    assert sum(line["Duplicate"] for line in counts) == 90


def test_a_captured_delivery_under_the_id_content_sha_of_a_future_body_blocks_nothing(
    events_table: str, sqs_record: Record, message: Message, capsys: pytest.CaptureFixture
) -> None:
    """Finding 2 on the real conditions: the captured bytes re-sent under `content#<sha of F>`
    (and under F's key spelled out) before F comes; F is stored, nothing fails."""
    future = b'{"ref": "refs/heads/main", "after": "f"}'
    sha = hashlib.sha256(future).hexdigest()
    key = storage.content_key("github", "push", sha)
    captured = message(b'{"captured": 1}', dedupe="content")
    assert _invoke(sqs_record(captured)) == set()
    for chosen in (f"content#{sha}", key, key.removeprefix("github")):
        assert _invoke(sqs_record({**captured, "delivery_id": chosen})) == set()
    capsys.readouterr()

    assert _invoke(sqs_record(message(future, dedupe="content"))) == set()

    [line] = _metric_lines(capsys.readouterr().out)
    assert (line["Stored"], line["Failed"]) == (1, 0)
    item = boto3.client("dynamodb").get_item(TableName=events_table, Key={"pk": {"S": key}})
    assert storage.original_bytes(item["Item"]) == future


def test_content_dedupe_on_dynamodb_keeps_types_apart_and_ids_bounded(
    events_table: str, sqs_record: Record, message: Message
) -> None:
    """Finding 6 and the bounded id set, on the real conditional update (`size()`)."""
    body = b'{"id": 450789469, "financial_status": "paid"}'
    updated = message(body, provider="shopify", event_type="orders/updated", dedupe="content")
    paid = message(body, provider="shopify", event_type="orders/paid", dedupe="content")
    assert _invoke(sqs_record(updated), sqs_record(paid), sqs_record(dict(paid))) == set()
    sha = hashlib.sha256(body).hexdigest()
    dynamodb = boto3.client("dynamodb")
    for topic, sent in (("orders/updated", updated), ("orders/paid", paid)):
        key = {"pk": {"S": storage.content_key("shopify", topic, sha)}}
        item = dynamodb.get_item(TableName=events_table, Key=key)["Item"]
        assert item["event_type"] == {"S": topic}
        assert item["delivery_ids"] == {"SS": [sent["delivery_id"]]}
    replays = [
        sqs_record({**paid, "delivery_id": f"replay-{i}"})
        for i in range(store.MAX_DELIVERY_IDS + 1)
    ]
    for start in range(0, len(replays), 50):
        assert _invoke(*replays[start : start + 50]) == set()
    key = {"pk": {"S": storage.content_key("shopify", "orders/paid", sha)}}
    item = dynamodb.get_item(TableName=events_table, Key=key)["Item"]
    assert len(item["delivery_ids"]["SS"]) == store.MAX_DELIVERY_IDS
