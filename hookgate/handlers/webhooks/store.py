"""The process function's record step: one queued envelope → one conditional PutItem.

A duplicate delivery (the item exists already, with the same `body_sha256`) is an outcome of its
own, not a failure: that is the "stored once" guarantee. A key that holds *other* bytes, or an
item that is no event (an alias item of an earlier version), is a conflict: the new event is
stored beside it (`storage.conflict_key`, `conflict_of`) and linked from it (`conflicts`), never
instead of it. An event deduplicated by content is stored under its body's hash and event type;
the delivery ids of its duplicates are added to it (`delivery_ids`, at most `MAX_DELIVERY_IDS`).
Nothing is written at a content-deduped delivery's own id: a new event costs its one item.

An archived body is checked before anything is written: the object must exist and its SHA-256
(S3's checksum) must be the envelope's. Throttling and other write errors fail the record so SQS
delivers it again; an envelope that is not v1, or whose archived body is missing or different,
fails it for good (it ends in the DLQ).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final, Protocol

from . import storage
from .batch import FAILED, SqsRecord
from .envelope import DEDUPE_BY_CONTENT, Envelope, parse
from .observability import MAX_LOGGED_CHARS, log

STORED, DUPLICATE, CONFLICT = "Stored", "Duplicate", "Conflict"
OUTCOMES = (STORED, DUPLICATE, CONFLICT, FAILED)
"""Every outcome of this step: the process function's metric names."""

MAX_DELIVERY_IDS = 100
"""Ids kept on a content-deduped event: replays under fresh unsigned ids must not grow it to
DynamoDB's 400 KB item limit (each id is up to 1 KB), after which every duplicate would fail."""


class Table(Protocol):
    """The DynamoDB client calls this step makes (keyword arguments, botocore's `ClientError`)."""

    def put_item(self, **request: Any) -> object: ...
    def get_item(self, **request: Any) -> Any: ...
    def update_item(self, **request: Any) -> Any: ...


ArchiveCheck = Callable[[str, str], str | None]
"""`(body_s3_key, body_sha256) -> None` when the archived object is there with that SHA-256,
else why not (the record can never succeed). Raises when the answer is not known (retried)."""

_DUPLICATE = "ConditionalCheckFailedException"
# Capacity or service hiccups: expected now and then, so a warning; anything else is an error.
_THROTTLED = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)


class StoreEvent:
    """Stores each record's event once, with the item times of one batch."""

    # A slotted class with `Final` fields, not a frozen dataclass: defining a dataclass costs
    # about 1.5 ms of cold start (webhooks/__init__.py, `Record`).
    __slots__ = ("check_archived", "expires_at", "stored_at", "table", "table_name")

    def __init__(
        self,
        table: Table,
        table_name: str,
        stored_at: str,
        expires_at: int | None,
        check_archived: ArchiveCheck | None = None,
    ) -> None:
        self.table: Final = table
        self.table_name: Final = table_name
        self.stored_at: Final = stored_at
        self.expires_at: Final = expires_at
        self.check_archived: Final = check_archived

    @classmethod
    def at(
        cls,
        table: Table,
        table_name: str,
        ttl_days: int,
        now: float,
        check_archived: ArchiveCheck | None = None,
    ) -> StoreEvent:
        """The step for a batch handled at `now` (epoch seconds)."""
        return cls(
            table,
            table_name,
            storage.stored_at(now),
            storage.expires_at(now, ttl_days),
            check_archived,
        )

    def __call__(self, record: SqsRecord, message_id: str) -> str:
        """STORED, DUPLICATE (same bytes already there), CONFLICT (the key held other bytes:
        stored beside them) or FAILED (logged; SQS delivers it again)."""
        body = record["body"]
        try:
            envelope = parse(body if isinstance(body, str | bytes) else "")
            pk = storage.event_key(envelope)
        # EnvelopeError, or a provider name that could end a key early (none ingest sends)
        except ValueError as error:
            log(
                "ERROR",
                "envelope rejected, record will go to the DLQ",
                message_id=message_id,
                reason=str(error),
                **_claimed_ids(body),
            )
            return FAILED
        ids = {
            "provider": envelope.provider,
            "delivery_id": envelope.delivery_id,
            "message_id": message_id,
        }
        try:
            if envelope.body_s3_key is not None and not self._archived(envelope, ids):
                return FAILED
            outcome = self._store(envelope, pk, ids)
            if envelope.dedupe == DEDUPE_BY_CONTENT and outcome == DUPLICATE:
                self._add_delivery_id(envelope, pk, ids)
            return outcome
        except _Failed:
            return FAILED

    def _archived(self, envelope: Envelope, ids: dict[str, str]) -> bool:
        """Whether the archived body is there and is the envelope's (else logged, FAILED)."""
        key = envelope.body_s3_key or ""
        try:
            problem = (
                "no archive bucket configured"
                if self.check_archived is None
                else self.check_archived(key, envelope.body_sha256)
            )
        except Exception as error:
            log(
                "WARNING",
                "archive check failed, record will be retried",
                error=_error_code(error) or type(error).__name__,
                body_s3_key=key,
                **ids,
            )
            return False
        if problem:
            log(
                "ERROR",
                "archived body unusable, record will go to the DLQ",
                reason=problem,
                body_s3_key=key,
                **ids,
            )
            return False
        return True

    def _store(self, envelope: Envelope, pk: str, ids: dict[str, str]) -> str:
        """Put the event at `pk`; on a taken key, DUPLICATE or a conflict stored beside it."""
        item = storage.to_item(
            envelope, stored_at=self.stored_at, expires_at=self.expires_at, pk=pk
        )
        if self._put(item, ids):
            log("DEBUG", "event stored", **ids)  # per-batch counts are in the metrics line
            return STORED
        existing = self._body_sha256(pk, ids)
        if existing == envelope.body_sha256:
            log("INFO", "duplicate delivery, already stored", **ids)
            return DUPLICATE
        # Same key, other bytes (or no event at all): keep both. Only a sender's own redelivery
        # has the same bytes; an item without bytes never takes an event's place.
        conflict = storage.conflict_key(envelope.provider, pk, envelope.body_sha256)
        item = storage.to_item(
            envelope,
            stored_at=self.stored_at,
            expires_at=self.expires_at,
            pk=conflict,
            conflict_of=pk,
        )
        created = self._put(item, ids)
        if not created and self._body_sha256(conflict, ids) != envelope.body_sha256:
            # Not reachable by a sender: conflict keys are in the system's namespace.
            log(
                "ERROR",
                "conflict key holds other bytes, record will be retried",
                pk=conflict,
                **ids,
            )
            raise _Failed
        self._update(
            Key={"pk": {"S": pk}},
            UpdateExpression="ADD conflicts :conflict",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":conflict": {"SS": [conflict]}},
            ids=ids,
        )
        if not created:
            log("INFO", "duplicate of a conflicting delivery, already stored", pk=conflict, **ids)
            return DUPLICATE
        log(
            "WARNING",
            "delivery key holds other bytes: stored as a separate event"
            if existing
            else "delivery key holds an item that is no event: stored as a separate event",
            pk=conflict,
            conflict_of=pk,
            body_sha256=envelope.body_sha256,
            existing_sha256=existing,
            **ids,
        )
        return CONFLICT

    def _add_delivery_id(self, envelope: Envelope, pk: str, ids: dict[str, str]) -> None:
        """Content dedupe: keep a duplicate's delivery id on its event, up to MAX_DELIVERY_IDS.

        The one write a duplicate may cost; a full set (or an event expired since) is left as
        it is: the bytes are stored, only the id's mention is dropped (logged).
        """
        answer = self._update(
            Key={"pk": {"S": pk}},
            UpdateExpression="ADD delivery_ids :id",
            ConditionExpression="attribute_exists(body_sha256) AND size(delivery_ids) < :most",
            ExpressionAttributeValues={
                ":id": {"SS": [envelope.delivery_id]},
                ":most": {"N": str(MAX_DELIVERY_IDS)},
            },
            ids=ids,
            taken_ok=True,
        )
        if answer is None:
            log("INFO", "delivery id not recorded: the event lists enough ids", pk=pk, **ids)

    def _put(self, item: storage.Item, ids: dict[str, str]) -> bool:
        """True when written, False when the key is taken; raises `_Failed` (logged)."""
        try:
            self.table.put_item(
                TableName=self.table_name, Item=item, ConditionExpression=storage.CONDITION
            )
        except Exception as error:
            if _error_code(error) == _DUPLICATE:
                return False
            _log_failure("store", error, ids)
            raise _Failed from None
        return True

    def _body_sha256(self, pk: str, ids: dict[str, str]) -> str | None:
        """The `body_sha256` of the item at `pk` (strongly consistent), None when that item is
        no event; raises `_Failed` when there is no item (expired in between: retried)."""
        try:
            answer = self.table.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": pk}},
                ProjectionExpression="pk, body_sha256",
                ConsistentRead=True,
            )
        except Exception as error:
            _log_failure("read", error, ids)
            raise _Failed from None
        item = answer.get("Item")
        if not item:
            # Expired in between: the next attempt sees the key as it is then.
            log("WARNING", "taken key holds no item, record will be retried", pk=pk, **ids)
            raise _Failed
        value = item.get("body_sha256", {}).get("S")
        return value if isinstance(value, str) else None

    def _update(self, *, ids: dict[str, str], taken_ok: bool = False, **request: Any) -> Any:
        """`UpdateItem`; a failed condition is None when `taken_ok`, else `_Failed` (logged)."""
        try:
            return self.table.update_item(TableName=self.table_name, **request)
        except Exception as error:
            if taken_ok and _error_code(error) == _DUPLICATE:
                return None
            _log_failure("update", error, ids)
            raise _Failed from None


class _Failed(Exception):
    """The record failed (already logged); SQS delivers it again."""


def _log_failure(action: str, error: Exception, ids: dict[str, str]) -> None:
    code = _error_code(error)
    if code in _THROTTLED:
        log("WARNING", f"{action} throttled, record will be retried", error=code, **ids)
    else:
        log(
            "ERROR",
            f"{action} failed, record will be retried",
            error=code or type(error).__name__,
            detail=str(error)[:MAX_LOGGED_CHARS],
            **ids,
        )


def _error_code(error: Exception) -> str | None:
    """The AWS error code of a botocore `ClientError` (read by shape: this package has no boto)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return code if isinstance(code, str) else None
    return None


def _claimed_ids(body: object) -> dict[str, str | None]:
    """Provider and delivery id of a rejected message, if it names them, for the log line."""
    try:
        data = json.loads(body) if isinstance(body, str | bytes) else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        data = {}
    claimed = {}
    for name in ("provider", "delivery_id"):
        value = data.get(name)
        claimed[name] = value[:MAX_LOGGED_CHARS] if isinstance(value, str) else None
    return claimed
