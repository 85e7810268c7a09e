"""The process function's record step: one queued envelope → one conditional PutItem.

A duplicate delivery (the item exists already) is an outcome of its own, not a failure: that is
the "stored once" guarantee. Throttling and other write errors fail the record so SQS delivers
it again; an envelope that is not v1 fails it for good (it ends in the DLQ).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from . import storage
from .batch import FAILED, SqsRecord
from .envelope import EnvelopeError, parse
from .observability import log

STORED, DUPLICATE = "Stored", "Duplicate"
OUTCOMES = (STORED, DUPLICATE, FAILED)
"""Every outcome of this step: the process function's metric names."""

PutItem = Callable[..., object]
"""The DynamoDB client's `put_item` (keyword arguments, raises botocore's `ClientError`)."""

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
_MAX_LOGGED_CHARS = 200


@dataclass(frozen=True, slots=True)
class StoreEvent:
    """Stores each record's event once, with the item times of one batch."""

    put_item: PutItem
    table_name: str
    stored_at: str
    expires_at: int | None

    @classmethod
    def at(cls, put_item: PutItem, table_name: str, ttl_days: int, now: float) -> "StoreEvent":
        """The step for a batch handled at `now` (epoch seconds)."""
        return cls(put_item, table_name, storage.stored_at(now), storage.expires_at(now, ttl_days))

    def __call__(self, record: SqsRecord, message_id: str) -> str:
        """STORED, DUPLICATE (already there) or FAILED (logged; SQS delivers it again)."""
        body = record["body"]
        try:
            envelope = parse(body if isinstance(body, str | bytes) else "")
        except EnvelopeError as error:
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
        item = storage.to_item(envelope, stored_at=self.stored_at, expires_at=self.expires_at)
        try:
            self.put_item(
                TableName=self.table_name, Item=item, ConditionExpression=storage.CONDITION
            )
        except Exception as error:
            code = _error_code(error)
            if code == _DUPLICATE:
                log("INFO", "duplicate delivery, already stored", **ids)
                return DUPLICATE
            if code in _THROTTLED:
                log("WARNING", "store throttled, record will be retried", error=code, **ids)
            else:
                log(
                    "ERROR",
                    "store failed, record will be retried",
                    error=code or type(error).__name__,
                    detail=str(error)[:_MAX_LOGGED_CHARS],
                    **ids,
                )
            return FAILED
        log("DEBUG", "event stored", **ids)  # per-batch counts are in the metrics line
        return STORED


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
        claimed[name] = value[:_MAX_LOGGED_CHARS] if isinstance(value, str) else None
    return claimed
