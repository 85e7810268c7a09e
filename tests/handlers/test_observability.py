"""JSON log lines and EMF metric lines, as CloudWatch reads them."""

import json

import pytest

from webhooks import observability
from webhooks.observability import log, metrics


def _lines(capsys: pytest.CaptureFixture) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_log_writes_one_json_line_with_the_fields(capsys: pytest.CaptureFixture) -> None:
    log("WARNING", "store throttled", provider="github", delivery_id="d-1", attempts=2)
    [line] = _lines(capsys)
    assert line["level"] == "WARNING"
    assert line["message"] == "store throttled"
    assert (line["provider"], line["delivery_id"], line["attempts"]) == ("github", "d-1", 2)
    assert isinstance(line["timestamp"], int)


def test_log_drops_lines_below_the_level(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(observability, "_threshold", observability._threshold)  # restored after
    observability.set_level("WARNING")
    log("DEBUG", "d")
    log("INFO", "i")
    log("WARNING", "w")
    log("ERROR", "e")
    assert [line["message"] for line in _lines(capsys)] == ["w", "e"]


def test_level_is_info_until_set_and_not_read_from_the_environment(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    monkeypatch.setattr(observability, "_threshold", observability._threshold)
    fresh = importlib.reload(observability)
    fresh.log("DEBUG", "d")
    fresh.log("INFO", "i")
    fresh.set_level("DEBUG")
    fresh.log("DEBUG", "debug on")
    assert [line["message"] for line in _lines(capsys)] == ["i", "debug on"]
    with pytest.raises(KeyError):
        fresh.set_level("VERBOSE")


def test_log_turns_odd_values_into_text(capsys: pytest.CaptureFixture) -> None:
    log("ERROR", "odd", provider=None, error=ValueError("bad"), tags={"a"})
    [line] = _lines(capsys)
    assert line["provider"] is None
    assert line["error"] == "bad"
    assert line["tags"] == "{'a'}"


def test_metrics_line_is_embedded_metric_format(capsys: pytest.CaptureFixture) -> None:
    metrics("Webhooks", {"Environment": "dev"}, {"Stored": 3, "Duplicate": 1, "Failed": 0})
    [line] = _lines(capsys)
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive == {
        "Namespace": "Webhooks",
        "Dimensions": [["Environment"]],
        "Metrics": [
            {"Name": "Stored", "Unit": "Count"},
            {"Name": "Duplicate", "Unit": "Count"},
            {"Name": "Failed", "Unit": "Count"},
        ],
    }
    assert isinstance(line["_aws"]["Timestamp"], int)
    assert (line["Environment"], line["Stored"], line["Duplicate"], line["Failed"]) == (
        "dev",
        3,
        1,
        0,
    )


def test_metrics_line_can_carry_log_fields(capsys: pytest.CaptureFixture) -> None:
    metrics("Webhooks", {"Environment": "dev", "Provider": "stripe"}, {"Accepted": 1},
            level="INFO", delivery_id="evt_1")  # fmt: skip
    metrics("Webhooks", {}, {})
    first, bare = _lines(capsys)
    assert first["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Environment", "Provider"]]
    assert (first["Provider"], first["Accepted"], first["delivery_id"]) == ("stripe", 1, "evt_1")
    assert bare["_aws"]["CloudWatchMetrics"][0]["Metrics"] == []
    assert set(bare) == {"_aws"}


def test_metrics_directive_follows_the_names_of_each_call(capsys: pytest.CaptureFixture) -> None:
    metrics("Webhooks", {"Environment": "dev"}, {"Stored": 1})
    metrics("Other", {"Environment": "dev"}, {"Failed": 2})
    first, second = _lines(capsys)
    assert first["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Webhooks"
    assert second["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Other"
    assert second["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "Failed", "Unit": "Count"}
    ]
    assert "Stored" not in second


@pytest.mark.parametrize("shadow", [False, True])
def test_metrics_properties_are_the_merged_fields(
    capsys: pytest.CaptureFixture, shadow: bool
) -> None:
    fields = {"level": "INFO", "size": 3, "ok": True, "none": None, "ratio": 1.5, "odd": {"a"}}
    if shadow:
        fields["Provider"] = "shadowed"
    for _ in range(2):  # the second line reuses what the first one built
        metrics("Webhooks", {"Environment": "dév", "Provider": "p"}, {"Accepted": 1}, **fields)
    for line in _lines(capsys):
        del line["_aws"]
        assert line == {
            **{name: value for name, value in fields.items() if name != "odd"},
            "odd": "{'a'}",
            "Environment": "dév",
            "Provider": "p",
            "Accepted": 1,
        }
