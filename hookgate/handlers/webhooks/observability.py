"""Structured JSON logs and CloudWatch embedded-metric-format (EMF) lines.

Hand-written rather than Powertools: a few dozen lines cost nothing at cold start, while the
Powertools logger and metrics modules add measurable import time (see `make bench`).
"""

from __future__ import annotations

import json
import sys
import time
from json.encoder import encode_basestring_ascii as json_string

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}
"""The log levels (`LOG_LEVEL`'s allowed values), lowest first."""
DEFAULT_LEVEL = "INFO"
"""The level lines are written from until `set_level`, and `LOG_LEVEL`'s default."""
_threshold = LEVELS[DEFAULT_LEVEL]
MAX_LOGGED_CHARS = 200
"""What a log line keeps of a text it did not write (an error's message, an id a rejected
message claims)."""
# Built once: `json.dumps` with options builds a new encoder on every call.
_encode = json.JSONEncoder(default=str, separators=(",", ":")).encode


def set_level(level: str) -> None:
    """Write lines of `level` and above from now on (the function's `LOG_LEVEL` setting)."""
    global _threshold
    _threshold = LEVELS[level]


def log(level: str, message: str, **fields: object) -> None:
    """Write one JSON log line; callers pass provider and delivery_id, never payloads or secrets."""
    if LEVELS[level] < _threshold:
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
    # The directive and the constant members are serialised once per combination and the rest
    # without the JSON encoder's per-call set-up: 4.7 against 10.2 us for an ingest line
    # through a plain `json.JSONEncoder` (measured beside `make bench`, 1 KiB deliveries).
    key = (namespace, tuple(dimensions.items()), tuple(counts.items()))
    tail = _tails.get(key)
    if tail is None:
        tail = _tail(namespace, dimensions, counts)
        if len(_tails) >= _MAX_TAILS:  # counts vary per batch: stay bounded
            _tails.clear()
        _tails[key] = tail
    directive, names, members = tail
    # A field shadowed by a dimension or count takes its value, as in a dict merge.
    if not names.isdisjoint(fields):
        properties = _encode({**fields, **dimensions, **counts})[1:-1]
    elif fields:
        properties = _members(fields) + "," + members if members else _members(fields)
    else:
        properties = members
    stamp = round(time.time() * 1000)
    head = f'{{"_aws":{{"Timestamp":{stamp},"CloudWatchMetrics":{directive}}}'
    sys.stdout.write(f"{head},{properties}}}\n" if properties else head + "}\n")


def _tail(
    namespace: str, dimensions: dict[str, str], counts: dict[str, int]
) -> tuple[str, frozenset[str], str]:
    """What every line with these dimensions and counts repeats: built once, not per line."""
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
    constant = {**dimensions, **counts}
    return directive, frozenset(constant), _members(constant)


def _members(values: dict[str, object]) -> str:
    """`"name":value,...` as `_encode` writes it; strings and ints without the encoder's set-up.

    Exact types: a bool is an int to `isinstance`, but not a JSON number.
    """
    return ",".join(
        [
            (_names.get(name) or _name(name))
            + (
                json_string(value)
                if type(value) is str
                else int.__repr__(value)
                if type(value) is int
                else _encode(value)
            )
            for name, value in values.items()
        ]
    )


def _name(name: str) -> str:
    quoted = _names[name] = json_string(name) + ":"
    return quoted


# `"name":` of each property name; the names come from the code, so there are a few dozen.
_names: dict[str, str] = {}
# Serialised metric directive, dimension and count members by namespace, dimensions and counts:
# a handful per container (provider x reason), built once instead of on every line.
_tails: dict[tuple[object, ...], tuple[str, frozenset[str], str]] = {}
_MAX_TAILS = 256
