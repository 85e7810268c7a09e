"""Structured JSON logs and CloudWatch embedded-metric-format (EMF) lines.

Hand-written rather than Powertools: a few dozen lines cost nothing at cold start, while the
Powertools logger and metrics modules add measurable import time (see `make bench`).
"""

import json
import os
import sys
import time

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}
_threshold = _LEVELS.get(os.environ.get("LOG_LEVEL", "INFO").upper(), 20)
# Built once: `json.dumps` with options builds a new encoder on every call.
_encode = json.JSONEncoder(default=str, separators=(",", ":")).encode


def log(level: str, message: str, **fields: object) -> None:
    """Write one JSON log line; callers pass provider and delivery_id, never payloads or secrets."""
    if _LEVELS[level] < _threshold:
        return
    record = {"level": level, "message": message, "timestamp": round(time.time() * 1000)}
    record.update(fields)
    sys.stdout.write(_encode(record) + "\n")


def metrics(
    namespace: str, dimensions: dict[str, str], counts: dict[str, int], **fields: object
) -> None:
    """Write one EMF line: CloudWatch turns its `Count` values into metrics, with no API call.

    `fields` are extra properties on the same line (e.g. level, message, provider, delivery_id),
    so a request's log record and its metrics can share one line.
    """
    key = (namespace, tuple(dimensions), tuple(counts))
    directive = _directives.get(key)
    if directive is None:
        directive = json.dumps(
            [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in counts],
                }
            ],
            separators=(",", ":"),
        )
        _directives[key] = directive
    record: dict[str, object] = {**fields, **dimensions, **counts}
    properties = _encode(record)
    rest = "," + properties[1:] if len(properties) > 2 else "}"
    stamp = round(time.time() * 1000)
    sys.stdout.write(f'{{"_aws":{{"Timestamp":{stamp},"CloudWatchMetrics":{directive}}}{rest}\n')


# Serialised metric directives by namespace, dimension names and metric names: a handful per
# container, built once instead of on every line.
_directives: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}
