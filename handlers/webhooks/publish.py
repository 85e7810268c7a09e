"""The publish function's logic: stored item → EventBridge entry, PutEvents in bounded batches.

The events table is the outbox: its stream (new images) feeds the publish function through an
event source mapping filtered to inserts of event items. Each item becomes one entry
(docs/contract.md, "Published event"): `source` `webhooks.<provider>`, `detail-type` the event
type (or `unknown`), `detail` the event's fields and its body. Entries go out in `PutEvents`
calls of at most 10 entries within the request size limit; an entry EventBridge refuses fails its
record only, which the mapping retries (`batchItemFailures`, keyed by the stream record's
`SequenceNumber`). Publishing is at-least-once: a retried batch may publish an event again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from .batch import FAILED, BatchResult
from .envelope import archive_key
from .observability import MAX_LOGGED_CHARS, log

SOURCE_PREFIX = "webhooks."
UNKNOWN_TYPE = "unknown"
MAX_ENTRIES = 10
"""PutEvents takes at most 10 entries per call."""
MAX_REQUEST_BYTES = 256 * 1000
"""PutEvents' 256 KB limit on the entries of one call (and so on one entry), counted as AWS
counts it (`entry_size`), with KB read as 1,000 bytes to stay on the safe side."""
PUBLISHED, SKIPPED = "Published", "Skipped"
METRICS = {PUBLISHED: "Published", SKIPPED: "PublishSkipped", FAILED: "PublishFailed"}
"""Every outcome of a stream record → its metric name (apart from the processor's `Failed`)."""

Item = Mapping[str, Mapping[str, Any]]
Entry = dict[str, Any]
PutEvents = Callable[..., Mapping[str, Any]]
"""The EventBridge client's `put_events` (keyword `Entries`)."""
ReadArchived = Callable[[str], bytes]
WriteArchived = Callable[[str, bytes], None]


class PublishError(Exception):
    """An item that cannot become an event (malformed, or too large with nowhere to put it)."""


def is_event_item(item: Item) -> bool:
    """Event items carry `body_sha256`; other items in the table (lookups) are not published."""
    return "body_sha256" in item and "pk" in item


def _text(item: Item, name: str) -> str:
    value = item.get(name, {}).get("S")
    if not isinstance(value, str):
        raise PublishError(f"item attribute {name!r} is missing or not a string")
    return value


def _binary(value: Any) -> bytes:
    # Stream events carry B values base64-encoded in JSON; boto3 returns bytes.
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return base64.b64decode(value)
    raise PublishError("item attribute 'payload' is not binary")


def inline_body(item: Item) -> bytes | None:
    """The raw body of an item that holds it inline, checked against `body_sha256`."""
    if "payload" not in item:
        return None
    raw = zlib.decompress(_binary(item["payload"].get("B")))
    if hashlib.sha256(raw).hexdigest() != _text(item, "body_sha256"):
        raise PublishError("inline body does not match the item's body_sha256")
    return raw


def json_body(raw: bytes) -> object | None:
    """The parsed body when it is a JSON object or array, else None."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict | list) else None


def match_values(data: object, paths: Sequence[str]) -> dict[str, Any]:
    """`detail.match`: for each dotted path that leads to a scalar (or a list of scalars) in the
    JSON body, that value, nested as the path reads (`a.b` → `{"a": {"b": value}}`)."""
    match: dict[str, Any] = {}
    for path in paths:
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                break
        if value is None or isinstance(value, dict):
            continue
        if isinstance(value, list) and not all(
            isinstance(v, str | int | float | bool) for v in value
        ):
            continue
        node = match
        *parents, leaf = path.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[leaf] = value
    return match


def entry_size(entry: Mapping[str, Any]) -> int:
    """An entry's size as PutEvents counts it: Source, DetailType and Detail in UTF-8 bytes,
    plus 14 bytes for Time and each resource ARN (EventBridge docs, "Calculating PutEvents
    event entry size")."""
    size = 14 if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(name, "")).encode())
    size += sum(len(r.encode()) for r in entry.get("Resources", ()))
    return size


class Publisher:
    """Turns items into entries for one bus."""

    # A slotted class with `Final` fields, not a frozen dataclass: defining a dataclass costs
    # about 1.5 ms of cold start (webhooks/__init__.py, `Record`).
    __slots__ = ("archive_bucket", "bus", "match_paths", "read_archived", "write_archived")

    def __init__(
        self,
        bus: str,
        *,
        match_paths: tuple[str, ...] = (),
        archive_bucket: str = "",
        read_archived: ReadArchived | None = None,
        write_archived: WriteArchived | None = None,
    ) -> None:
        self.bus: Final = bus
        self.match_paths: Final = match_paths
        self.archive_bucket: Final = archive_bucket
        self.read_archived: Final = read_archived
        self.write_archived: Final = write_archived

    def detail(self, item: Item, *, replayed: bool = False) -> dict[str, Any]:
        """The event's `detail` without the body (the fields every case shares)."""
        size = item.get("body_size", {}).get("N")
        if not isinstance(size, str) or not size.isdigit():
            raise PublishError("item attribute 'body_size' is missing or not a number")
        return {
            "provider": _text(item, "provider"),
            "delivery_id": _text(item, "delivery_id"),
            "event_type": item.get("event_type", {}).get("S", ""),
            "received_at": _text(item, "received_at"),
            "stored_at": _text(item, "stored_at"),
            "body_sha256": _text(item, "body_sha256"),
            "body_size": int(size),
            "replayed": replayed,
        }

    def entry(self, item: Item, *, replayed: bool = False) -> Entry:
        """The PutEvents entry of one stored event (docs/contract.md, "Published event")."""
        detail = self.detail(item, replayed=replayed)
        raw = inline_body(item)
        archived = item.get("payload_s3_key", {}).get("S")
        if raw is None and not isinstance(archived, str):
            raise PublishError("item has neither 'payload' nor 'payload_s3_key'")
        data = json_body(raw) if raw is not None else None
        if self.match_paths:
            if raw is None and isinstance(archived, str):
                data = self._archived_json(archived)
            detail["match"] = match_values(data, self.match_paths)
        entry: Entry = {
            "Source": SOURCE_PREFIX + detail["provider"],
            "DetailType": detail["event_type"] or UNKNOWN_TYPE,
            "EventBusName": self.bus,
        }
        if raw is not None:
            inline = dict(detail)
            if data is not None:
                inline["payload"] = data
            else:
                try:
                    inline["body"] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    inline["body"] = base64.b64encode(raw).decode("ascii")
                    inline["body_base64"] = True
            candidate = {**entry, "Detail": _dumps(inline)}
            if entry_size(candidate) <= MAX_REQUEST_BYTES:
                return candidate
            archived = self._archive(detail, raw)
        detail["body_s3_bucket"] = self.archive_bucket
        detail["body_s3_key"] = archived
        entry["Detail"] = _dumps(detail)
        if entry_size(entry) > MAX_REQUEST_BYTES:
            raise PublishError("the event does not fit PutEvents even as a claim check")
        return entry

    def _archived_json(self, key: str) -> object | None:
        if self.read_archived is None:
            raise PublishError("subscribers filter on the payload but the archive is not readable")
        return json_body(self.read_archived(key))

    def _archive(self, detail: Mapping[str, Any], raw: bytes) -> str:
        """Write a body too large for an entry where ingest would have (same key), for the claim
        check; the object is the same bytes, so a retry or an ingest copy is harmless."""
        if self.write_archived is None or not self.archive_bucket:
            raise PublishError("the body does not fit an event and no archive bucket is set")
        key = archive_key(detail["provider"], detail["delivery_id"])
        self.write_archived(key, raw)
        return key


def _dumps(value: object) -> str:
    # UTF-8 as is: EventBridge counts bytes, and \u escapes would only make entries larger.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def batches(entries: Sequence[Entry]) -> list[list[int]]:
    """Indices of `entries` grouped into PutEvents calls: ≤ 10 entries, ≤ the request limit."""
    groups: list[list[int]] = []
    size = 0
    for index, entry in enumerate(entries):
        this = entry_size(entry)
        if not groups or len(groups[-1]) >= MAX_ENTRIES or size + this > MAX_REQUEST_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(index)
        size += this
    return groups


def put_entries(put_events: PutEvents, entries: Sequence[Entry]) -> list[str | None]:
    """Send every entry; per entry None (published) or the error code EventBridge gave."""
    errors: list[str | None] = [None] * len(entries)
    for group in batches(entries):
        try:
            answer = put_events(Entries=[entries[i] for i in group])
        except Exception as error:  # the whole call failed: every entry of it is retried
            code = _error_code(error) or type(error).__name__
            for index in group:
                errors[index] = code
            continue
        results = answer.get("Entries") or []
        for position, index in enumerate(group):
            result = results[position] if position < len(results) else {"ErrorCode": "Missing"}
            if result.get("ErrorCode") or not result.get("EventId"):
                errors[index] = str(result.get("ErrorCode") or "NoEventId")
    return errors


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return code if isinstance(code, str) else None
    return None


def publish_records(
    records: Iterable[Mapping[str, Any]],
    publisher: Publisher,
    put_events: PutEvents,
    *,
    deadline: float | None = None,
) -> BatchResult:
    """Publish a batch of DynamoDB stream records; the failed ones are reported by their
    `SequenceNumber` (the mapping retries from the lowest)."""
    result = BatchResult()
    pending: list[tuple[str, Entry, dict[str, Any]]] = []
    for index, record in enumerate(records):
        stream = record.get("dynamodb") or {}
        sequence = str(stream.get("SequenceNumber", ""))
        image = stream.get("NewImage") or {}
        if record.get("eventName") != "INSERT" or not is_event_item(image):
            result.outcomes[SKIPPED] += 1
            continue
        ids = {
            "provider": image.get("provider", {}).get("S"),
            "delivery_id": image.get("delivery_id", {}).get("S"),
            "sequence_number": sequence,
        }
        if index and deadline is not None and time.monotonic() >= deadline:
            log("WARNING", "out of time, record left for retry", **ids)
            result.outcomes[FAILED] += 1
            result.failed.append(sequence)
            continue
        try:
            pending.append((sequence, publisher.entry(image), ids))
        except Exception as error:  # one bad item must not fail the others
            log(
                "ERROR",
                "item cannot be published, record will be retried",
                error=type(error).__name__,
                detail=str(error)[:MAX_LOGGED_CHARS],
                **ids,
            )
            result.outcomes[FAILED] += 1
            result.failed.append(sequence)
    errors = put_entries(put_events, [entry for _, entry, _ in pending])
    for (sequence, _, logged), code in zip(pending, errors, strict=True):
        if code is None:
            result.outcomes[PUBLISHED] += 1
            log("DEBUG", "event published", **logged)
        else:
            log(
                "WARNING",
                "PutEvents refused the entry, record will be retried",
                error=code,
                **logged,
            )
            result.outcomes[FAILED] += 1
            result.failed.append(sequence)
    return result
