"""Concurrent writes in the batch runner: bounded in flight, failures reported as sequentially,
the deadline respected, and the largest batch the settings allow completing at 8 ms a write."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import parse_settings
from tests.handlers.test_process_batch import NOW, FakeTable, _client_error, _record
from webhooks import batch
from webhooks.batch import FAILED, largest_batch, run_batch
from webhooks.environ import SettingsError
from webhooks.process_settings import DEFAULT_WRITE_CONCURRENCY, ProcessHandlerSettings
from webhooks.store import OUTCOMES, StoreEvent


class SlowTable(FakeTable):
    """A `FakeTable` whose every write takes `seconds`, counting the writes in flight."""

    def __init__(self, seconds: float, errors: dict[str, Exception] | None = None) -> None:
        super().__init__(errors)
        self.seconds = seconds
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.started: list[float] = []

    def put_item(self, **request: Any) -> dict[str, Any]:
        with self.lock:
            self.started.append(time.monotonic())
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.seconds)
            with self.lock:
                return super().put_item(**request)
        finally:
            with self.lock:
                self.in_flight -= 1


def _records(count: int) -> list[dict[str, str]]:
    return [_record(f"m-{i}", f"Ev{i}") for i in range(count)]


def test_no_more_writes_in_flight_than_the_executor_has_workers() -> None:
    table = SlowTable(0.005)
    with ThreadPoolExecutor(max_workers=4) as executor:
        result = run_batch(_records(40), StoreEvent.at(table, "t", 1, NOW), executor=executor)
    assert result.counts(OUTCOMES) == {"Stored": 40, "Duplicate": 0, "Conflict": 0, "Failed": 0}
    assert 1 < table.most_in_flight <= 4


def test_failures_are_reported_in_the_batch_order_as_sequentially() -> None:
    records = [*_records(30), {"messageId": "bad", "body": "not an envelope"}]
    records += [_record("m-dup", "Ev3")]  # a delivery already stored: a duplicate
    errors: dict[str, Exception] = {
        "slack#Ev7": _client_error("ProvisionedThroughputExceededException"),
        "slack#Ev21": _client_error("InternalServerError"),
    }

    def run(executor: ThreadPoolExecutor | None) -> tuple[dict[str, int], list[str]]:
        table = FakeTable(dict(errors))
        step = StoreEvent.at(table, "t", 1, NOW)
        result = run_batch(records, step, executor=executor)
        return result.counts(OUTCOMES), result.failed

    sequential = run(None)
    with ThreadPoolExecutor(max_workers=8) as executor:
        concurrent = run(executor)
    assert sequential == concurrent
    assert concurrent[1] == ["m-7", "m-21", "bad"]
    assert concurrent[0]["Duplicate"] == 1


def test_an_exception_in_one_record_fails_that_record_only() -> None:
    def handle(record: Any, message_id: str) -> str:
        if message_id == "m-2":
            raise RuntimeError("boom")
        return "Stored"

    with ThreadPoolExecutor(max_workers=3) as executor:
        result = run_batch(_records(5), handle, executor=executor)
    assert result.failed == ["m-2"]
    assert result.outcomes == {"Stored": 4, FAILED: 1}


def test_no_record_starts_after_the_deadline() -> None:
    table = SlowTable(0.02)
    deadline = time.monotonic() + 0.1
    with ThreadPoolExecutor(max_workers=2) as executor:
        result = run_batch(
            _records(40),
            StoreEvent.at(table, "t", 1, NOW),
            deadline=deadline,
            executor=executor,
        )
    assert table.started and max(table.started) < deadline
    assert 0 < result.outcomes[FAILED] < 40
    # The records left for redelivery are the unstarted ones: the tail of the batch.
    assert result.failed == [f"m-{i}" for i in range(40 - len(result.failed), 40)]
    assert len(table.items) == 40 - len(result.failed)


def test_the_first_record_is_attempted_even_past_the_deadline() -> None:
    table = FakeTable()
    with ThreadPoolExecutor(max_workers=4) as executor:
        result = run_batch(
            _records(3),
            StoreEvent.at(table, "t", 1, NOW),
            deadline=time.monotonic() - 1,
            executor=executor,
        )
    assert result.failed == ["m-1", "m-2"]
    assert list(table.items) == ["slack#Ev0"]


def test_write_concurrency_setting_defaults_to_8_and_round_trips() -> None:
    base = {"TABLE_NAME": "t", "ARCHIVE_BUCKET": "b", "EVENT_TTL_DAYS": "1", "ENVIRONMENT": "dev"}
    settings = ProcessHandlerSettings.from_environ(base)
    assert settings.write_concurrency == DEFAULT_WRITE_CONCURRENCY == 8
    tuned = ProcessHandlerSettings.from_environ({**base, "WRITE_CONCURRENCY": "3"})
    assert tuned.write_concurrency == 3
    assert ProcessHandlerSettings.from_environ(tuned.to_environ()) == tuned
    for bad in ("0", "65", "eight"):
        with pytest.raises(SettingsError, match="WRITE_CONCURRENCY"):
            ProcessHandlerSettings.from_environ({**base, "WRITE_CONCURRENCY": bad})


def test_largest_batch_is_rounds_of_the_worst_case_write_times_the_writers() -> None:
    # 0.75 x 0.8 x 30 s = 18 s of writes: 2250 rounds of 8 ms.
    assert largest_batch(30, 1) == 2250
    assert largest_batch(30, 8) == 18000
    assert largest_batch(1, 8, 0.008) == 75 * 8
    assert largest_batch(1, 1, 10.0) == 1  # the first record is always attempted


def _raw(**processor: object) -> dict[str, object]:
    return {
        "environment": "dev",
        "providers": {"gh": {"scheme": "github"}},
        "secrets": {"gh": "s3cret-value-0123"},
        "processor": {"batchingWindowSeconds": 1, **processor},
    }


def test_settings_refuse_a_batch_that_cannot_complete_in_the_timeout() -> None:
    allowed = largest_batch(1, 1)
    settings = parse_settings(
        _raw(timeoutSeconds=1, writeConcurrency=1, batchSize=allowed)
    ).processor
    assert (settings.batch_size, settings.write_concurrency) == (allowed, 1)
    with pytest.raises(ConfigError) as error:
        parse_settings(_raw(timeoutSeconds=1, writeConcurrency=1, batchSize=allowed + 1))
    assert error.value.key == "webhooks:processor.batchSize"
    assert error.value.value == allowed + 1
    assert f"at most {allowed}" in error.value.allowed
    assert "8 ms" in error.value.allowed and "processor.writeConcurrency" in error.value.allowed


def test_settings_bound_write_concurrency() -> None:
    assert parse_settings(_raw()).processor.write_concurrency == 8
    with pytest.raises(ConfigError, match=r"processor\.writeConcurrency"):
        parse_settings(_raw(writeConcurrency=0))


@pytest.mark.parametrize("concurrency", [1, 8])
def test_at_the_largest_allowed_batch_and_8_ms_writes_nothing_healthy_reaches_the_dlq(
    concurrency: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the process handler: its deadline (WORKING_SHARE of the time left), its executor.

    A record failed at the deadline is received again; one failed `maxReceiveCount` times
    (the default, 5) reaches the DLQ. At the batch size the settings allow, the first receive
    stores the batch; a host slower than the sizing assumes may leave a few for the second.
    """
    import process

    timeout = 1
    raw = _raw(timeoutSeconds=timeout, writeConcurrency=concurrency, batchSize=10)
    config = parse_settings(raw)
    size = largest_batch(timeout, config.processor.write_concurrency)
    table = SlowTable(batch.WORST_CASE_WRITE_SECONDS)
    handler_settings = ProcessHandlerSettings(
        table_name="t",
        archive_bucket="b",
        ttl_days=1,
        environment="dev",
        write_concurrency=concurrency,
    )

    class Context:
        def __init__(self) -> None:
            self.started = time.monotonic()

        def get_remaining_time_in_millis(self) -> int:
            return round(1000 * (timeout - (time.monotonic() - self.started)))

    pending = _records(size)
    receives: dict[str, int] = {}
    first_failures = None
    with ThreadPoolExecutor(max_workers=concurrency) as executor:
        runtime = (handler_settings, table, None, executor if concurrency > 1 else None)
        monkeypatch.setattr(process, "_runtime", lambda: runtime)
        for _ in range(config.queue.max_receive_count):
            if not pending:
                break
            for record in pending:
                receives[record["messageId"]] = receives.get(record["messageId"], 0) + 1
            response = process.handler({"Records": pending}, Context())
            failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
            first_failures = len(failed) if first_failures is None else first_failures
            pending = [r for r in pending if r["messageId"] in failed]
    assert pending == [], f"{len(pending)} healthy records would reach the DLQ"
    assert len(table.items) == size
    assert first_failures is not None and first_failures <= size // 10


@pytest.mark.usefixtures("process_env")
def test_the_client_pool_holds_a_connection_per_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    import process

    monkeypatch.setenv("WRITE_CONCURRENCY", "16")
    settings, table, _, executor = process._runtime()
    assert settings.write_concurrency == 16
    assert isinstance(executor, ThreadPoolExecutor) and executor._max_workers == 16
    client: Any = table  # the botocore client, untyped
    assert client.meta.config.max_pool_connections == 16


@pytest.mark.usefixtures("process_env")
def test_one_writer_runs_the_batch_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    import process

    monkeypatch.setenv("WRITE_CONCURRENCY", "1")
    assert process._runtime()[3] is None
