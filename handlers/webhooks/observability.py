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


def log(level: str, message: str, **fields: object) -> None:
    """Write one JSON log line; callers pass provider and delivery_id, never payloads or secrets."""
    if _LEVELS[level] < _threshold:
        return
    record = {"level": level, "message": message, "timestamp": round(time.time() * 1000)}
    record.update(fields)
    sys.stdout.write(json.dumps(record, default=str, separators=(",", ":")) + "\n")


def metrics(namespace: str, dimensions: dict[str, str], counts: dict[str, int]) -> None:
    """Write one EMF line: CloudWatch turns its `Count` values into metrics, with no API call."""
    record: dict[str, object] = {
        "_aws": {
            "Timestamp": round(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [{"Name": name, "Unit": "Count"} for name in counts],
                }
            ],
        }
    }
    record.update(dimensions)
    record.update(counts)
    sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
