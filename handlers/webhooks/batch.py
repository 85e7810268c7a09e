"""One SQS batch: a conditional PutItem per record, and the records SQS must deliver again.

Every problem is a problem of one record: it is logged with its message id and reported in
`batchItemFailures`, and the rest of the batch goes on. A record that can never succeed (not a
v1 envelope) is failed too, so SQS moves it to the DLQ after `maxReceiveCount` receives.
"""

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from webhooks import storage
from webhooks.envelope import EnvelopeError, parse
from webhooks.observability import log

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

STORED, DUPLICATE, FAILED = "stored", "duplicate", "failed"


@dataclass(slots=True)
class BatchResult:
    stored: int = 0
    duplicate: int = 0
    failed: list[str] = field(default_factory=list)

    def response(self) -> dict[str, list[dict[str, str]]]:
        """The handler's return value: what the event source mapping retries."""
        return {"batchItemFailures": [{"itemIdentifier": m} for m in self.failed]}

    def counts(self) -> dict[str, int]:
        """The batch's metric values."""
        return {"Stored": self.stored, "Duplicate": self.duplicate, "Failed": len(self.failed)}


def process_batch(
    records: Iterable[Mapping[str, object]],
    put_item: PutItem,
    *,
    table_name: str,
    ttl_days: int,
    now: float,
    deadline: float | None = None,
) -> BatchResult:
    """Store each record's event once; a duplicate delivery counts as stored, not as failed.

    Past `deadline` (a `time.monotonic()` value) no further record is started: the rest are
    reported failed and come again, instead of the invocation timing out and SQS delivering
    the records already stored once more. The first record is always attempted.
    """
    stored_at = storage.stored_at(now)
    expires_at = storage.expires_at(now, ttl_days)
    result = BatchResult()
    for index, record in enumerate(records):
        # SQS always sets messageId; were it missing, the empty identifier makes Lambda retry
        # the whole batch, which the conditional write makes harmless.
        message_id = str(record.get("messageId", ""))
        if index and deadline is not None and time.monotonic() >= deadline:
            log(
                "WARNING",
                "out of time, record left for redelivery",
                message_id=message_id,
                provider=None,
                delivery_id=None,
            )
            result.failed.append(message_id)
            continue
        try:
            outcome = _store(record, message_id, put_item, table_name, stored_at, expires_at)
        except Exception as error:  # one bad record must not fail the others
            log(
                "ERROR",
                "unexpected error, record will be retried",
                message_id=message_id,
                provider=None,
                delivery_id=None,
                error=type(error).__name__,
                detail=str(error)[:_MAX_LOGGED_CHARS],
            )
            outcome = FAILED
        if outcome == STORED:
            result.stored += 1
        elif outcome == DUPLICATE:
            result.duplicate += 1
        else:
            result.failed.append(message_id)
    return result


def _store(
    record: Mapping[str, object],
    message_id: str,
    put_item: PutItem,
    table_name: str,
    stored_at: str,
    expires_at: int | None,
) -> str:
    """STORED, DUPLICATE (already there) or FAILED (logged; SQS delivers it again)."""
    body = record["body"]
    try:
        envelope = parse(body)
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
    item = storage.to_item(envelope, stored_at=stored_at, expires_at=expires_at)
    try:
        put_item(TableName=table_name, Item=item, ConditionExpression=storage.CONDITION)
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
        return response.get("Error", {}).get("Code")
    return None


def _claimed_ids(body: object) -> dict[str, str | None]:
    """Provider and delivery id of a rejected message, if it names them, for the log line."""
    try:
        data = json.loads(body)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        data = None
    if not isinstance(data, dict):
        data = {}
    claimed = {}
    for name in ("provider", "delivery_id"):
        value = data.get(name)
        claimed[name] = value[:_MAX_LOGGED_CHARS] if isinstance(value, str) else None
    return claimed
