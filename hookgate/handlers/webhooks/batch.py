"""The batch machinery of an SQS event source mapping: deadline and partial failure reporting.

What is done to one record is a `RecordHandler` (for example `store.StoreEvent`); `run_batch`
calls it per record and knows nothing of what it does. Every problem is a problem of one record:
it is reported in `batchItemFailures` and the rest of the batch goes on. A record that can never
succeed is failed too, so SQS moves it to the DLQ after `maxReceiveCount` receives.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor

from .observability import MAX_LOGGED_CHARS, log

FAILED = "Failed"
"""The outcome of a record SQS must deliver again."""

SqsRecord = Mapping[str, object]
RecordHandler = Callable[[SqsRecord, str], str]
"""`(record, message_id) -> outcome`: a metric name such as `Stored`, or `FAILED`."""

WORKING_SHARE = 0.75
"""Share of the invocation's time in which new records are started. The last quarter is the
reserve for the records in flight: 7.5 s of a 30 s timeout covers one slow attempt (2 s + 5 s),
not the client's three (docs/design.md, "Known gaps": timeout budgets)."""
WORST_CASE_WRITE_SECONDS = 0.008
"""The write time the largest allowed batch is sized for (a PutItem at 8 ms, `make bench`)."""
SCHEDULING_SHARE = 0.8
"""Share of the working time counted on for writes: the rest absorbs thread hand-offs and
scheduling on a busy host, so a batch of `largest_batch` records finishes before the deadline."""


def largest_batch(
    timeout_seconds: float,
    write_concurrency: int,
    write_seconds: float = WORST_CASE_WRITE_SECONDS,
) -> int:
    """The most records one invocation starts before its deadline at `write_seconds` each.

    `write_concurrency` writes are in flight at once, so the working time holds that many
    records per round of one write time each.
    """
    working = WORKING_SHARE * SCHEDULING_SHARE * timeout_seconds
    return max(1, math.floor(working / write_seconds + 1e-9)) * write_concurrency


class BatchResult:
    """How many records ended in each outcome, and which ones SQS must deliver again."""

    # A plain class, not a dataclass: a dataclass costs about 1.5 ms of cold start
    # (webhooks/__init__.py, `Record`).
    __slots__ = ("failed", "outcomes")

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.failed: list[str] = []

    def response(self) -> dict[str, list[dict[str, str]]]:
        """The handler's return value: what the event source mapping retries."""
        return {"batchItemFailures": [{"itemIdentifier": m} for m in self.failed]}

    def counts(self, outcomes: Iterable[str]) -> dict[str, int]:
        """The batch's metric values for `outcomes` (each present, zero included)."""
        return {outcome: self.outcomes[outcome] for outcome in outcomes}


def run_batch(
    records: Iterable[SqsRecord],
    handle: RecordHandler,
    *,
    deadline: float | None = None,
    executor: Executor | None = None,
    writers: int | None = None,
) -> BatchResult:
    """Run `handle` on each record; an exception fails that record only.

    Past `deadline` (a `time.monotonic()` value) no further record is started: the rest are
    reported failed and come again, instead of the invocation timing out and SQS delivering
    the records already handled once more. The first record is always attempted.

    With an `executor` the records run on its threads, `writers` in flight (by default as many
    as it has workers: the process function's `WRITE_CONCURRENCY`); each checks the deadline
    when it starts.
    Outcomes and failures are reported in the batch's order either way.
    """
    batch = list(records)
    workers = min(len(batch), writers or getattr(executor, "_max_workers", 1))
    if executor is None or workers < 2:
        outcomes = [_one(i, record, handle, deadline) for i, record in enumerate(batch)]
    else:
        # One task per writer, each taking the next record until none is left: at most
        # `workers` records in flight, and a batch costs `workers` hand-offs, not one a record.
        outcomes = [FAILED] * len(batch)
        indexes = iter(range(len(batch)))
        lock = threading.Lock()

        def write() -> None:
            while True:
                with lock:
                    index = next(indexes, None)
                if index is None:
                    return
                outcomes[index] = _one(index, batch[index], handle, deadline)

        for future in [executor.submit(write) for _ in range(workers)]:
            future.result()
    result = BatchResult()
    for record, outcome in zip(batch, outcomes, strict=True):
        result.outcomes[outcome] += 1
        if outcome == FAILED:
            result.failed.append(_message_id(record))
    return result


def _message_id(record: SqsRecord) -> str:
    # SQS always sets messageId; were it missing, the empty identifier makes Lambda retry
    # the whole batch, which the record handlers must make harmless.
    return str(record.get("messageId", ""))


def _one(index: int, record: SqsRecord, handle: RecordHandler, deadline: float | None) -> str:
    """One record's outcome; never raises, so one record cannot fail the others."""
    message_id = _message_id(record)
    if index and deadline is not None and time.monotonic() >= deadline:
        log(
            "WARNING",
            "out of time, record left for redelivery",
            message_id=message_id,
            provider=None,
            delivery_id=None,
        )
        return FAILED
    try:
        return handle(record, message_id)
    except Exception as error:  # one bad record must not fail the others
        log(
            "ERROR",
            "unexpected error, record will be retried",
            message_id=message_id,
            provider=None,
            delivery_id=None,
            error=type(error).__name__,
            detail=str(error)[:MAX_LOGGED_CHARS],
        )
        return FAILED
