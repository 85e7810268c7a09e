"""The processor's writes: records per second per invocation, sequential against concurrent.

The real batch runner (`webhooks.batch.run_batch`) and record step (`webhooks.store.StoreEvent`)
over a `put_item` that sleeps the simulated PutItem latency, so what is measured is how the
runner overlaps waits, not how fast a fake answers. The largest batch is measured too: a batch
far too big is run against the real deadline (`WORKING_SHARE` of a scaled-down timeout) and the
records stored before it are counted, then scaled to the configured timeout.
"""

import io
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stdout

from webhooks import envelope
from webhooks.batch import FAILED, WORKING_SHARE, largest_batch, run_batch
from webhooks.process_settings import DEFAULT_WRITE_CONCURRENCY
from webhooks.store import StoreEvent

LATENCIES_MS = (5, 8)
BATCH = 200
PROBE_TIMEOUT_SECONDS = 2.0
TIMEOUT_SECONDS = 30  # processor.timeoutSeconds default


def _records(count: int) -> list[dict[str, str]]:
    records = []
    for i in range(count):
        message = envelope.build(
            provider="bench",
            delivery_id=f"d-{i}",
            event_type="push",
            received_at="2026-12-01T00:00:00.000Z",
            source_ip="192.0.2.1",
            headers={"content-type": "application/json"},
            body=b"{}",
            body_sha256="44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        )
        records.append({"messageId": f"m-{i}", "body": envelope.encode(message)})
    return records


class _SlowTable:
    """A table whose `put_item` sleeps the simulated PutItem latency. Every record is a new
    event keyed by its delivery id, so the step never reads or updates an item."""

    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s

    def put_item(self, **_: object) -> dict:
        time.sleep(self.latency_s)
        return {}

    def get_item(self, **request: object) -> dict:
        raise AssertionError(f"the bench's writes never read: {request}")

    def update_item(self, **request: object) -> dict:
        raise AssertionError(f"the bench's writes never update: {request}")


def _run(
    records: list, latency_s: float, writers: int, deadline: float | None
) -> tuple[int, float]:
    """(records stored, seconds) for one invocation's batch."""
    step = StoreEvent.at(_SlowTable(latency_s), "bench", 30, time.time())
    executor = ThreadPoolExecutor(max_workers=writers) if writers > 1 else None
    try:
        with redirect_stdout(io.StringIO()):  # the deadline's warnings, one per record left
            started = time.perf_counter()
            result = run_batch(records, step, deadline=deadline, executor=executor)
            seconds = time.perf_counter() - started
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    return len(records) - result.outcomes[FAILED], seconds


def rates_of(row: dict[str, object], label: str) -> float:
    value = row[f"{label}_per_s"]
    assert isinstance(value, float)
    return value


def run(repeat: int) -> dict[str, object]:
    writers = DEFAULT_WRITE_CONCURRENCY
    records = _records(BATCH)
    throughput: list[dict[str, object]] = []
    for latency_ms in LATENCIES_MS:
        row: dict[str, object] = {"latency_ms": latency_ms, "batch": BATCH}
        for label, count in (("sequential", 1), ("concurrent", writers)):
            rates = []
            for _ in range(max(1, repeat // 2)):
                stored, seconds = _run(records, latency_ms / 1000, count, None)
                rates.append(stored / seconds)
            rates.sort()
            row[f"{label}_per_s"] = rates[len(rates) // 2]
        row["speedup"] = rates_of(row, "concurrent") / rates_of(row, "sequential")
        throughput.append(row)
    largest: list[dict[str, object]] = []
    probe = _records(4000)
    for count in (1, writers):
        deadline = time.monotonic() + WORKING_SHARE * PROBE_TIMEOUT_SECONDS
        stored, _ = _run(probe, 0.008, count, deadline)
        scaled = int(stored * TIMEOUT_SECONDS / PROBE_TIMEOUT_SECONDS)
        largest.append(
            {
                "writers": count,
                "probe_timeout_s": PROBE_TIMEOUT_SECONDS,
                "stored_before_deadline": stored,
                "measured_at_timeout": scaled,
                "timeout_s": TIMEOUT_SECONDS,
                "allowed_by_settings": largest_batch(TIMEOUT_SECONDS, count),
            }
        )
    return {"writers": writers, "throughput": throughput, "largest_batch": largest}
