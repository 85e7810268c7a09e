"""The batch machinery of an SQS event source mapping: deadline and partial failure reporting.

What is done to one record is a `RecordHandler` (for example `store.StoreEvent`); `run_batch`
calls it per record and knows nothing of what it does. Every problem is a problem of one record:
it is reported in `batchItemFailures` and the rest of the batch goes on. A record that can never
succeed is failed too, so SQS moves it to the DLQ after `maxReceiveCount` receives.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .observability import log

FAILED = "Failed"
"""The outcome of a record SQS must deliver again."""

SqsRecord = Mapping[str, object]
RecordHandler = Callable[[SqsRecord, str], str]
"""`(record, message_id) -> outcome`: a metric name such as `Stored`, or `FAILED`."""

_MAX_LOGGED_CHARS = 200


@dataclass(slots=True)
class BatchResult:
    """How many records ended in each outcome, and which ones SQS must deliver again."""

    outcomes: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)

    def response(self) -> dict[str, list[dict[str, str]]]:
        """The handler's return value: what the event source mapping retries."""
        return {"batchItemFailures": [{"itemIdentifier": m} for m in self.failed]}

    def counts(self, outcomes: Iterable[str]) -> dict[str, int]:
        """The batch's metric values for `outcomes` (each present, zero included)."""
        return {outcome: self.outcomes[outcome] for outcome in outcomes}


def run_batch(
    records: Iterable[SqsRecord], handle: RecordHandler, *, deadline: float | None = None
) -> BatchResult:
    """Run `handle` on each record; an exception fails that record only.

    Past `deadline` (a `time.monotonic()` value) no further record is started: the rest are
    reported failed and come again, instead of the invocation timing out and SQS delivering
    the records already handled once more. The first record is always attempted.
    """
    result = BatchResult()
    for index, record in enumerate(records):
        # SQS always sets messageId; were it missing, the empty identifier makes Lambda retry
        # the whole batch, which the record handlers must make harmless.
        message_id = str(record.get("messageId", ""))
        if index and deadline is not None and time.monotonic() >= deadline:
            log(
                "WARNING",
                "out of time, record left for redelivery",
                message_id=message_id,
                provider=None,
                delivery_id=None,
            )
            outcome = FAILED
        else:
            try:
                outcome = handle(record, message_id)
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
        result.outcomes[outcome] += 1
        if outcome == FAILED:
            result.failed.append(message_id)
    return result
