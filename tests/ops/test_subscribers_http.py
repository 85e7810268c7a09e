"""`ops subscribers deliveries` reads the deliver function's attempt lines: from CloudWatch Logs
for a real stack (FilterLogEvents with a pattern on `message`, and on `outcome` for
`--failed`), from the function's log file for the local stack's."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ops import outputs, subscribers_http

FUNCTION = "webhooks-deliver-orders-dev"
START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
START_MS = round(START.timestamp() * 1000)


def line(**fields: Any) -> str:
    record = {
        "message": "delivery attempt",
        "Destination": "orders",
        "timestamp": START_MS + 1000,
        "outcome": "Delivered",
        "attempt": 1,
        "status": 204,
        "provider": "stripe",
        "delivery_id": "evt_1",
        "DeliveryLatency": 12.5,
    }
    return json.dumps(record | fields)


LINES = [
    line(),
    line(outcome="Retry", status=503, failure_class="http_5xx", timestamp=START_MS + 2000),
    line(Destination="audit"),  # another destination's function would not share the group
    line(timestamp=START_MS - 1),  # before --since
    '{"message": "delivery deferred", "Destination": "orders"}',
    "START RequestId: 1",
]


class Logs:
    """FilterLogEvents over LINES, in two pages; records the requests it was sent."""

    class exceptions:  # boto3 clients name their errors here
        ResourceNotFoundException = KeyError

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def filter_log_events(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        if "nextToken" not in request:
            return {"events": [{"message": m} for m in LINES[:3]], "nextToken": "2"}
        return {"events": [{"message": m} for m in LINES[3:]]}


def stack(tmp_path: Path) -> outputs.Outputs:
    entry = {"url": "https://x", "function_name": FUNCTION, "secret_arn": "a", "state_table": "t"}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"subscriber_http": {"orders": entry}}))
    return outputs.load(str(path))


@pytest.mark.parametrize("failed", [False, True])
def test_a_real_stacks_attempts_come_from_cloudwatch_logs(
    tmp_path: Path, failed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = Logs()
    monkeypatch.setattr(outputs.Outputs, "client", lambda self, service: logs)
    rows = subscribers_http.attempts(stack(tmp_path), "orders", START, failed)
    assert [r["outcome"] for r in rows] == (["Retry"] if failed else ["Delivered", "Retry"])
    first = logs.requests[0]
    assert first["logGroupName"] == f"/aws/lambda/{FUNCTION}"
    assert first["startTime"] == START_MS
    assert '$.message = "delivery attempt"' in first["filterPattern"]
    assert ('$.outcome != "Delivered"' in first["filterPattern"]) is failed
    assert len(logs.requests) == 2  # every page read


def test_the_local_stacks_attempts_come_from_its_log_file(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "functions.json").write_text(json.dumps({FUNCTION: "deliver.log"}))
    (tmp_path / "logs" / "deliver.log").write_text("\n".join(LINES) + "\n")
    rows = subscribers_http.attempts(stack(tmp_path), "orders", START, failed_only=True)
    assert [(r["status"], r["failure_class"]) for r in rows] == [(503, "http_5xx")]
