"""A DynamoDB stream event source mapping, run as Lambda runs it (one poller per shard).

From the mapping: batch size, filter criteria (records that match no filter are dropped, as
Lambda drops them), `ReportBatchItemFailures` (retry from the lowest reported sequence number;
the records before it are done), bisect on function error (the failing batch is split in two and
each half retried), `maximumRetryAttempts`, and the on-failure destination: a batch that still
fails is described in an SQS message there (Lambda's `DDBStreamBatchInfo` shape) and skipped.
"""

import base64
import datetime
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from local.errors import LocalStackError
from local.pool import FunctionPool

IDLE_WAIT_SECONDS = 0.5

log = logging.getLogger("local.streampoller")


@dataclass(frozen=True)
class StreamMappingSpec:
    stream_arn: str
    region: str
    batch_size: int = 100
    filters: tuple[dict[str, Any], ...] = ()
    report_batch_item_failures: bool = False
    bisect_on_error: bool = False
    maximum_retry_attempts: int = -1
    on_failure_queue_url: str | None = None
    starting_position: str = "TRIM_HORIZON"


def matches(pattern: Any, value: Any) -> bool:
    """The part of Lambda's event filtering (EventBridge pattern syntax) our mappings use:
    nested fields, exact values, `exists` and `prefix`."""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return all(_absent_ok(p) for p in pattern.values())
        return all(
            matches(p, value[k]) if k in value else _absent_ok(p) for k, p in pattern.items()
        )
    if not isinstance(pattern, list):
        raise LocalStackError(f"filter pattern leaf {pattern!r} is not a list")
    for candidate in pattern:
        if isinstance(candidate, dict):
            if "exists" in candidate:
                if candidate["exists"]:
                    return True
                continue
            if "prefix" in candidate:
                if isinstance(value, str) and value.startswith(candidate["prefix"]):
                    return True
                continue
            raise LocalStackError(f"filter matcher {candidate!r} is not run locally")
        if candidate == value:
            return True
    return False


def _absent_ok(pattern: Any) -> bool:
    return isinstance(pattern, list) and any(
        isinstance(c, dict) and c.get("exists") is False for c in pattern
    )


def check_filters(filters: tuple[dict[str, Any], ...]) -> None:
    """Fail at start-up on a matcher the local runner does not implement."""
    probe: dict[str, Any] = {}
    for pattern in filters:
        matches(pattern, probe)


def _wire(value: Any) -> Any:
    """boto3's attribute values → the JSON shape Lambda passes (binary base64-encoded)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return value


def lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    wired = _wire(record)
    wired["eventSourceARN"] = stream_arn
    wired["awsRegion"] = region
    return wired


class StreamPoller:
    """Runs one stream mapping over every shard of the stream, in order, one batch at a time."""

    def __init__(self, streams: Any, sqs: Any, spec: StreamMappingSpec, pool: FunctionPool) -> None:
        check_filters(spec.filters)
        self.streams = streams
        self.sqs = sqs
        self.spec = spec
        self.pool = pool
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.stats = {
            "batches": 0,
            "records": 0,
            "filtered_out": 0,
            "failed_records": 0,
            "function_errors": 0,
            "retries": 0,
            "sent_to_dlq": 0,
        }

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=IDLE_WAIT_SECONDS + 10)

    def _count(self, **changes: int) -> None:
        with self._lock:
            for key, delta in changes.items():
                self.stats[key] += delta

    def _run(self) -> None:
        iterators: dict[str, str | None] = {}
        while not self._stop.is_set():
            try:
                shards = self.streams.describe_stream(StreamArn=self.spec.stream_arn)[
                    "StreamDescription"
                ]["Shards"]
                for shard in shards:
                    shard_id = shard["ShardId"]
                    if shard_id not in iterators:
                        iterators[shard_id] = self.streams.get_shard_iterator(
                            StreamArn=self.spec.stream_arn,
                            ShardId=shard_id,
                            ShardIteratorType=self.spec.starting_position,
                        )["ShardIterator"]
                busy = False
                for shard_id, iterator in list(iterators.items()):
                    if iterator is None:
                        continue
                    answer = self.streams.get_records(
                        ShardIterator=iterator, Limit=self.spec.batch_size
                    )
                    iterators[shard_id] = answer.get("NextShardIterator")
                    records = answer.get("Records") or []
                    if records:
                        busy = True
                        self._handle(shard_id, records)
                if not busy:
                    self._stop.wait(IDLE_WAIT_SECONDS)
            except Exception:  # the emulator going away at shutdown, or a transient error
                if self._stop.is_set():
                    return
                log.exception("stream poller error; retrying")
                self._stop.wait(1)

    def _handle(self, shard_id: str, raw: list[dict[str, Any]]) -> None:
        records = [lambda_record(r, self.spec.stream_arn, self.spec.region) for r in raw]
        kept = [
            r
            for r in records
            if not self.spec.filters or any(matches(f, r) for f in self.spec.filters)
        ]
        self._count(filtered_out=len(records) - len(kept))
        if kept:
            self._process(shard_id, kept, attempts=0)

    def _process(self, shard_id: str, batch: list[dict[str, Any]], attempts: int) -> None:
        """Invoke until the batch succeeds, retrying the failed part, bisecting on errors."""
        while batch and not self._stop.is_set():
            invocation = self.pool.invoke({"Records": batch})
            self._count(batches=1, records=len(batch))
            if invocation.ok:
                start = self._first_failed(batch, invocation.result)
                if start is None:
                    return
                self._count(failed_records=len(batch) - start)
                batch = batch[start:]
            else:
                self._count(function_errors=1)
                log.warning("function error: %s", invocation.error.get("errorMessage"))
            limit = self.spec.maximum_retry_attempts
            if limit >= 0 and attempts >= limit:
                self._to_destination(shard_id, batch)
                return
            attempts += 1
            self._count(retries=1)
            if not invocation.ok and self.spec.bisect_on_error and len(batch) > 1:
                half = len(batch) // 2
                self._process(shard_id, batch[:half], attempts)
                self._process(shard_id, batch[half:], attempts)
                return

    def _first_failed(self, batch: list[dict[str, Any]], result: Any) -> int | None:
        """Index to retry from (None: all done), per Lambda's stream failure reporting."""
        if not self.spec.report_batch_item_failures or result is None:
            return None
        if not isinstance(result, dict):
            return 0
        failures = result.get("batchItemFailures")
        if not failures:
            return None
        sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
        positions = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if identifier not in sequences:
                return 0  # an unknown identifier fails the whole batch
            positions.append(sequences.index(identifier))
        return min(positions)

    def _to_destination(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        self._count(sent_to_dlq=1)
        if self.spec.on_failure_queue_url is None:
            log.error("batch of %d records dropped after retries (no destination)", len(batch))
            return
        info = {
            "requestContext": {"condition": "RetryAttemptsExhausted"},
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "batchSize": len(batch),
                "streamArn": self.spec.stream_arn,
            },
        }
        self.sqs.send_message(QueueUrl=self.spec.on_failure_queue_url, MessageBody=json.dumps(info))
