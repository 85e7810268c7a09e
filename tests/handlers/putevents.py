"""What EventBridge's PutEvents accepts of an entry, written from its documentation, not from the
publisher: the publish tests hold every entry to it, and route it with moto's pattern matcher.

- Entry size within 256 KB as "Calculating PutEvents event entry size" counts it
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
- `DetailType` 1-128 characters, `Source` 1-256 (PutEventsRequestEntry,
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html).
- `Detail` a JSON object; integers from -2^63 to 2^63-1; nested JSON up to 1000 levels deep
  (PutEvents, https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html);
  strict JSON (no `NaN` or `Infinity`) in valid UTF-8, so no lone surrogate.
"""

import json
import math
from typing import Any

from moto.events.models import EventPattern

MAX_ENTRY_BYTES = 256 * 1024
MAX_DETAIL_TYPE = 128
MAX_SOURCE = 256
MAX_DEPTH = 1000


def _reject_constant(name: str) -> Any:
    raise AssertionError(f"Detail holds {name}, which is not JSON")


def _check_values(detail: Any) -> int:
    """Every number and string of `detail` as EventBridge takes it; returns its depth (the
    event object around `detail` adds one level)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(detail, 2)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            deepest = max(deepest, depth)
            stack += [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            deepest = max(deepest, depth)
            stack += [(v, depth + 1) for v in value]
        elif isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        elif isinstance(value, int):
            assert -(2**63) <= value <= 2**63 - 1, f"integer {value} beyond int64"
        else:
            assert math.isfinite(value), f"number {value} is not finite"
    return deepest


def assert_accepted(entry: dict[str, Any]) -> dict[str, Any]:
    """Fail unless PutEvents accepts `entry`; returns the event a rule sees (as moto builds it)."""
    assert 1 <= len(entry["Source"]) <= MAX_SOURCE
    assert 1 <= len(entry["DetailType"]) <= MAX_DETAIL_TYPE, entry["DetailType"]
    raw = entry["Detail"].encode("utf-8")  # raises on a lone surrogate
    size = len(entry["Source"].encode()) + len(entry["DetailType"].encode()) + len(raw)
    assert size <= MAX_ENTRY_BYTES, size
    detail = json.loads(raw, parse_constant=_reject_constant)
    assert isinstance(detail, dict)
    assert _check_values(detail) <= MAX_DEPTH
    return {"source": entry["Source"], "detail-type": entry["DetailType"], "detail": detail}


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether a rule with `pattern` matches `event`, as moto's EventBridge decides."""
    return bool(EventPattern(None, pattern).matches_event(event))
