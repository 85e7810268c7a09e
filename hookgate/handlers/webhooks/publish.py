"""The publish function's logic: stored item → EventBridge entry, PutEvents in bounded batches.

The events table is the outbox: its stream (new images) feeds the publish function through an
event source mapping filtered to inserts of event items. Each item becomes one entry
(docs/contract.md, "Published event"): `source` `webhooks.<provider>`, `detail-type` the event
type (or `unknown`, truncated to PutEvents' limit), `detail` the event's fields and its body.

Every stored body becomes an entry PutEvents accepts: the parsed payload only when it is JSON
EventBridge takes (finite numbers, int64 integers, no lone surrogates, nesting within its
limit), else the body as text or base64; `detail.match` is bounded per path and in total; an
entry too large goes out as a claim check, its body archived at the key of its bytes.

A batch is published in two steps (docs/design.md, "Publishing: a poison item"): every entry is
built first, and if one cannot be, nothing is published and `PoisonedBatch` is raised, so the
mapping bisects the batch until that item is alone. Then the entries go out in stream order:
the first alone, then the rest in `PutEvents` calls. When the first is refused, nothing else is
sent and `PoisonedBatch` is raised (a record the mapping retries comes first, so one refused
for good is bisected down to itself as well); after a later call with a refused entry the
calls after it are not made: the mapping retries from the lowest reported `SequenceNumber`, so
they come again anyway. Publishing is at-least-once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from .batch import FAILED, BatchResult
from .envelope import archive_object
from .observability import MAX_LOGGED_CHARS, log

SOURCE_PREFIX = "webhooks."
UNKNOWN_TYPE = "unknown"
MAX_ENTRIES = 10
"""PutEvents takes at most 10 entries per call."""
MAX_REQUEST_BYTES = 256 * 1000
"""PutEvents' 256 KB limit on the entries of one call (and so on one entry), counted as AWS
counts it (`entry_size`), with KB read as 1,000 bytes to stay on the safe side."""
MAX_DETAIL_TYPE_LENGTH = 128
"""PutEvents' limit on `DetailType` (characters). Ingest accepts event types up to
`envelope.MAX_EVENT_TYPE_LENGTH` (256); a longer one than this is published truncated by
`detail_type`, its full text in `detail.event_type`."""
TRUNCATED_MARK = "*"
"""Ends a truncated `DetailType`: a subscriber's exact event type never ends in `*` (there it
means a prefix), so a truncated type equals no exact type, and every prefix of at most
`MAX_DETAIL_TYPE_LENGTH - 1` characters matches it as it matches the full type."""
MAX_JSON_DEPTH = 1000
"""PutEvents processes nested JSON up to 1000 levels deep (EventBridge API reference,
PutEvents: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html)."""
MAX_PAYLOAD_DEPTH = MAX_JSON_DEPTH - 2
"""The payload's own levels: the event object and `detail` enclose it."""
MIN_INT64, MAX_INT64 = -(2**63), 2**63 - 1
"""PutEvents' bounds for a JSON integer (same page)."""
MAX_MATCH_VALUE_LENGTH = 256
"""Longest string in `detail.match` (characters): a subscriber's allowed values are refused
above it (components/subscribers.py), so a longer value could equal none and is left out."""
MAX_MATCH_PATH_BYTES = 4096
"""Most JSON bytes one path's value may take in `detail.match`."""
MAX_MATCH_BYTES = 16384
"""Most JSON bytes of all paths' values together; with `MAX_MATCH_PATH_BYTES` this bounds
`detail.match`, so a claim check always fits an entry."""
MAX_UNMATCHED_BYTES = 4096
"""`detail.unmatched` lists some of `MATCH_PATHS`; the subscriber config refuses paths longer
than this together as a JSON list (components/subscribers.py)."""
MAX_FIELDS_BYTES = 8192
"""`Source`, `DetailType` and `detail`'s own fields (bounded by envelope.LIMITS) at 6 bytes a
character (a `\\u00XX` escape), with their names and the claim check's bucket and key."""
ALWAYS_INLINE_BYTES = (
    MAX_REQUEST_BYTES - MAX_FIELDS_BYTES - MAX_MATCH_BYTES - MAX_UNMATCHED_BYTES
) // 6
"""A body of this size or less always fits an entry inline, even at 6 bytes a byte: above it
the publisher may have to archive it for a claim check (components/publisher.py grants the
write only then)."""
PUBLISHED, SKIPPED, DEFERRED = "Published", "Skipped", "Deferred"
METRICS = {
    PUBLISHED: "Published",
    SKIPPED: "PublishSkipped",
    FAILED: "PublishFailed",
    DEFERRED: "PublishDeferred",
}
"""Every outcome of a stream record → its metric name (apart from the processor's `Failed`).
`Deferred`: not sent because an earlier record of the batch was refused (retried with it)."""
NOT_SENT = "NotSent"
"""`put_entries`' code for an entry left unsent after an earlier call's refusal."""

Item = Mapping[str, Mapping[str, Any]]
Entry = dict[str, Any]
PutEvents = Callable[..., Mapping[str, Any]]
"""The EventBridge client's `put_events` (keyword `Entries`)."""
ReadArchived = Callable[[str], bytes]
WriteArchived = Callable[[Mapping[str, Any]], None]
"""Writes one archive object: S3 `PutObject`'s arguments but the bucket
(`envelope.archive_object`: the key and the checksum of the bytes)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_TOO_DEEP: Final = object()
"""`parse_json`'s answer for JSON nested deeper than Python parses it."""


class PublishError(Exception):
    """An item that cannot become an event (malformed, or too large with nowhere to put it)."""


class PoisonedBatch(Exception):
    """Nothing of the batch was published: an item cannot become an entry, or PutEvents
    refused the batch's first entry, which went alone.

    Raised by `publish_records` after counting, so the handler emits the metrics and fails the
    invocation: the mapping then bisects the batch (splitting consumes no retries) until the
    failing record is alone, retries it alone and sends it to the publish DLQ."""

    def __init__(self, result: BatchResult) -> None:
        super().__init__(f"{len(result.failed)} record(s) of the batch cannot be published")
        self.result = result


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


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> object:
    """The parsed body when it is a JSON object or array (strict: no `NaN` or `Infinity`),
    `_TOO_DEEP` when it nests deeper than Python parses, else None."""
    try:
        data = json.loads(raw, parse_constant=_no_constants)
    except RecursionError:
        return _TOO_DEEP
    except ValueError:
        return None
    return data if isinstance(data, dict | list) else None


def _text_accepted(text: str) -> bool:
    return _SURROGATE.search(text) is None


def _scalar_accepted(value: object) -> bool:
    """A JSON scalar EventBridge takes: finite numbers, int64 integers, valid Unicode."""
    if isinstance(value, str):
        return _text_accepted(value)
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return MIN_INT64 <= value <= MAX_INT64
    if isinstance(value, float):
        return math.isfinite(value)
    return False


def accepted_payload(data: object) -> bool:
    """Whether parsed JSON can be a `payload` PutEvents accepts (see the module doc)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_PAYLOAD_DEPTH or not all(_text_accepted(k) for k in value):
                return False
            stack.extend((member, depth + 1) for member in value.values())
        elif isinstance(value, list):
            if depth > MAX_PAYLOAD_DEPTH:
                return False
            stack.extend((member, depth + 1) for member in value)
        elif not _scalar_accepted(value):
            return False
    return True


def detail_type(event_type: str) -> str:
    """The entry's `DetailType`: the event type, `unknown` when empty; a type longer than
    `MAX_DETAIL_TYPE_LENGTH` is cut to its first `MAX_DETAIL_TYPE_LENGTH - 1` characters and
    `TRUNCATED_MARK`."""
    if not event_type:
        return UNKNOWN_TYPE
    if len(event_type) <= MAX_DETAIL_TYPE_LENGTH:
        return event_type
    return event_type[: MAX_DETAIL_TYPE_LENGTH - 1] + TRUNCATED_MARK


def _match_value(value: Any) -> tuple[Any, bool]:
    """(what `detail.match` carries for a path's value, whether that is all of it).

    A scalar or list of scalars is kept as EventBridge matches it; a string longer than
    `MAX_MATCH_VALUE_LENGTH`, or a value EventBridge refuses, could equal no allowed value and
    is left out; a list keeps each distinct element once (any element matching matches)."""
    if isinstance(value, list):
        kept: list[Any] = []
        seen: set[tuple[type, Any]] = set()
        complete = True
        for element in value:
            if isinstance(element, dict | list):
                return None, True  # an object is no value: the path matches nothing
            if not _matchable(element):
                complete = False
                continue
            key = (type(element), element)
            if key not in seen:
                seen.add(key)
                kept.append(element)
        return (kept or None), complete
    if _matchable(value):
        return value, True
    return None, False


def _matchable(value: object) -> bool:
    if isinstance(value, str) and len(value) > MAX_MATCH_VALUE_LENGTH:
        return False
    return value is not None and _scalar_accepted(value)


def match_values(data: object, paths: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    """`detail.match` and `detail.unmatched` of a body.

    `match`: for each dotted path that leads to a scalar (or a list of scalars) in the JSON body,
    that value (`_match_value`), nested as the path reads (`a.b` → `{"a": {"b": value}}`), each
    path within `MAX_MATCH_PATH_BYTES` and all within `MAX_MATCH_BYTES`. `unmatched`: the paths
    whose value is present but not carried in full (too long, too many, or a body nested too
    deep to read); a rule filtering on such a path cannot match its value for this event."""
    match: dict[str, Any] = {}
    unmatched: list[str] = []
    if data is _TOO_DEEP:
        return match, list(paths)
    total = 0
    for path in paths:
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                break
        if value is None or isinstance(value, dict):
            continue
        carried, complete = _match_value(value)
        size = len(_dumps(carried).encode()) if carried is not None else 0
        if size > MAX_MATCH_PATH_BYTES or total + size > MAX_MATCH_BYTES:
            carried, complete = None, False
        if not complete:
            unmatched.append(path)
        if carried is None:
            continue
        node = match
        *parents, leaf = path.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[leaf] = carried
            total += size
    return match, unmatched


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
        """The PutEvents entry of one stored event (docs/contract.md, "Published event").

        Always within PutEvents' limits for a body that was stored: only an item that is not
        one (corrupt, or unreadable archive) raises."""
        detail = self.detail(item, replayed=replayed)
        raw = inline_body(item)
        archived = item.get("payload_s3_key", {}).get("S")
        if raw is None and not isinstance(archived, str):
            raise PublishError("item has neither 'payload' nor 'payload_s3_key'")
        data = parse_json(raw) if raw is not None else None
        if self.match_paths:
            if raw is None and isinstance(archived, str):
                data = self._archived_json(archived)
            detail["match"], unmatched = match_values(data, self.match_paths)
            if unmatched:
                detail["unmatched"] = unmatched
        entry: Entry = {
            "Source": SOURCE_PREFIX + detail["provider"],
            "DetailType": detail_type(detail["event_type"]),
            "EventBusName": self.bus,
        }
        if raw is not None:
            candidate = {**entry, "Detail": _inline_detail(detail, raw, data)}
            if entry_size(candidate) <= MAX_REQUEST_BYTES:
                return candidate
            archived = self._archive(detail["provider"], raw)
        detail["body_s3_bucket"] = self.archive_bucket
        detail["body_s3_key"] = archived
        entry["Detail"] = _dumps(detail)
        if entry_size(entry) > MAX_REQUEST_BYTES:
            raise PublishError("the event does not fit PutEvents even as a claim check")
        return entry

    def _archived_json(self, key: str) -> object:
        if self.read_archived is None:
            raise PublishError("subscribers filter on the payload but the archive is not readable")
        return parse_json(self.read_archived(key))

    def _archive(self, provider: str, raw: bytes) -> str:
        """Write a body too large for an entry for its claim check, as ingest writes one: at the
        key of its own bytes, with their checksum (`envelope.archive_object`), so no id an item
        carries can name the key and S3 refuses any other bytes under it."""
        if self.write_archived is None or not self.archive_bucket:
            raise PublishError("the body does not fit an event and no archive bucket is set")
        request = archive_object(provider, raw, hashlib.sha256(raw).hexdigest())
        self.write_archived(request)
        return str(request["Key"])


def _inline_detail(detail: Mapping[str, Any], raw: bytes, data: object) -> str:
    """`detail` with the body: the payload when EventBridge accepts it as parsed, else the
    body as text (UTF-8, which never holds a lone surrogate) or base64."""
    inline = dict(detail)
    if isinstance(data, dict | list) and accepted_payload(data):
        inline["payload"] = data
        try:
            return _dumps(inline)
        except RecursionError:  # deeper than the encoder goes: the body as text instead
            del inline["payload"]
    try:
        inline["body"] = raw.decode("utf-8")
    except UnicodeDecodeError:
        inline["body"] = base64.b64encode(raw).decode("ascii")
        inline["body_base64"] = True
    return _dumps(inline)


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


def put_entries(
    put_events: PutEvents, entries: Sequence[Entry], *, stream_batch: bool = False
) -> list[str | None]:
    """Send every entry; per entry None (published) or the error code EventBridge gave.

    For a `stream_batch` the first entry goes in a call of its own, and the calls after the
    first one with a refused entry are not made: their entries get `NOT_SENT`."""
    errors: list[str | None] = [None] * len(entries)
    groups = batches(entries)
    if stream_batch and groups and len(groups[0]) > 1:
        groups = [[0], *([i + 1 for i in group] for group in batches(entries[1:]))]
    refused = False
    for group in groups:
        if refused and stream_batch:
            for index in group:
                errors[index] = NOT_SENT
            continue
        try:
            answer = put_events(Entries=[entries[i] for i in group])
        except Exception as error:  # the whole call failed: every entry of it is retried
            code = _error_code(error) or type(error).__name__
            for index in group:
                errors[index] = code
            refused = True
            continue
        results = answer.get("Entries") or []
        for position, index in enumerate(group):
            result = results[position] if position < len(results) else {"ErrorCode": "Missing"}
            if result.get("ErrorCode") or not result.get("EventId"):
                errors[index] = str(result.get("ErrorCode") or "NoEventId")
                refused = True
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
    """Publish a batch of DynamoDB stream records; the ones to retry are reported by their
    `SequenceNumber` (the mapping retries from the lowest).

    Every entry is built before any is sent: when an item cannot become one, nothing is sent and
    `PoisonedBatch` is raised (see the module doc)."""
    result = BatchResult()
    pending: list[tuple[str, Entry, dict[str, Any]]] = []
    poisoned: list[str] = []
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
            result.outcomes[DEFERRED] += 1
            result.failed.append(sequence)
            continue
        try:
            pending.append((sequence, publisher.entry(image), ids))
        except Exception as error:  # one bad item must not publish its batch-mates twice
            log(
                "ERROR",
                "item cannot be published, its batch is bisected until it is alone",
                error=type(error).__name__,
                detail=str(error)[:MAX_LOGGED_CHARS],
                **ids,
            )
            poisoned.append(sequence)
    if poisoned:
        result.outcomes[FAILED] += len(poisoned)
        result.failed = poisoned
        raise PoisonedBatch(result)
    errors = put_entries(put_events, [entry for _, entry, _ in pending], stream_batch=True)
    first_refused = bool(errors) and errors[0] is not None
    for (sequence, _, logged), code in zip(pending, errors, strict=True):
        if code is None:
            result.outcomes[PUBLISHED] += 1
            log("DEBUG", "event published", **logged)
            continue
        result.failed.append(sequence)
        if code == NOT_SENT:
            result.outcomes[DEFERRED] += 1
            continue
        log("WARNING", "PutEvents refused the entry, record will be retried", error=code, **logged)
        result.outcomes[FAILED] += 1
    if first_refused:  # nothing else was sent: the mapping bisects down to it
        raise PoisonedBatch(result)
    return result
