"""An SQS event source mapping, run as Lambda's pollers run it.

Batch size and batching window come from the mapping; each invocation gets records in Lambda's
SQS event shape. After the function returns, the records it did not fail are deleted: all of
them without `ReportBatchItemFailures`, all but the reported ones with it, none on a function
error. Everything else (visibility timeout, redelivery, the move to the DLQ after
`maxReceiveCount`) is the queue's own behaviour in the emulator, as in AWS.
"""

import base64
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from local.pool import FunctionPool

MAX_RECEIVE = 10  # SQS ReceiveMessage returns at most 10 messages per call
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # synchronous invocation payload limit
IDLE_WAIT_SECONDS = 1  # long poll when idle; also bounds how long stop() waits

log = logging.getLogger("local.poller")


@dataclass(frozen=True)
class MappingSpec:
    """The declared event source mapping, as the poller needs it."""

    queue_url: str
    queue_arn: str
    region: str
    batch_size: int = 10
    batching_window_seconds: float = 0.0
    report_batch_item_failures: bool = False
    maximum_concurrency: int = 5


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of a Lambda SQS event, from one ReceiveMessage message."""
    attributes = dict(message.get("Attributes") or {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    def b64(data: Any) -> str:
        return base64.b64encode(data).decode() if isinstance(data, bytes) else data

    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [b64(v) for v in value.get("BinaryListValues") or []],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = b64(value["BinaryValue"])
    return attribute


def records_to_delete(
    records: list[dict[str, Any]], succeeded: bool, result: Any, report_failures: bool
) -> list[dict[str, Any]]:
    """The records Lambda deletes after an invocation (AWS docs, "Handling errors ... SQS").

    With ReportBatchItemFailures, a null/empty response or `batchItemFailures` list is complete
    success; an item identifier that is missing, empty or not in the batch, or a response that
    is not an object, fails the whole batch.
    """
    if not succeeded:
        return []
    if not report_failures or result is None:
        return list(records)
    if not isinstance(result, dict):
        return []
    failures = result.get("batchItemFailures")
    if not failures:
        return list(records)
    if not isinstance(failures, list):
        return []
    ids = {record["messageId"] for record in records}
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in ids:
            return []
        failed.add(identifier)
    return [record for record in records if record["messageId"] not in failed]


class QueuePoller:
    """Runs one mapping: `maximum_concurrency` pollers, each invoking with one batch at a time."""

    def __init__(self, sqs: Any, spec: MappingSpec, pool: FunctionPool) -> None:
        self.sqs = sqs
        self.spec = spec
        self.pool = pool
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.stats = {
            "batches": 0,
            "records": 0,
            "deleted": 0,
            "failed_records": 0,
            "function_errors": 0,
        }

    def start(self) -> None:
        for index in range(self.spec.maximum_concurrency):
            thread = threading.Thread(target=self._run, name=f"poller-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=IDLE_WAIT_SECONDS + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._collect()
                if messages:
                    self._deliver(messages)
            except Exception:  # the emulator going away at shutdown, or a transient error
                if self._stop.is_set():
                    return
                log.exception("poller error; retrying")
                self._stop.wait(1)

    def _collect(self) -> list[dict[str, Any]]:
        """Receive until the batch is full, the window has passed or the payload limit is near."""
        # By message id: a window longer than the visibility timeout can receive a message
        # twice; the newest receipt handle is the one that can delete it.
        messages: dict[str, dict[str, Any]] = {}
        size = 0
        deadline: float | None = None
        while not self._stop.is_set() and len(messages) < self.spec.batch_size:
            if deadline is None:
                wait = IDLE_WAIT_SECONDS
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wait = min(IDLE_WAIT_SECONDS, int(remaining))
            answer = self.sqs.receive_message(
                QueueUrl=self.spec.queue_url,
                MaxNumberOfMessages=min(MAX_RECEIVE, self.spec.batch_size - len(messages)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            for message in answer.get("Messages") or []:
                size += 0 if message["MessageId"] in messages else len(message["Body"])
                messages[message["MessageId"]] = message
            if messages and deadline is None:
                deadline = time.monotonic() + self.spec.batching_window_seconds
            if messages and self.spec.batching_window_seconds <= 0:
                break
            if size >= MAX_PAYLOAD_BYTES // 2:
                break
        return list(messages.values())

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        records = [sqs_record(m, self.spec.queue_arn, self.spec.region) for m in messages]
        invocation = self.pool.invoke({"Records": records})
        done = records_to_delete(
            records, invocation.ok, invocation.result, self.spec.report_batch_item_failures
        )
        for start in range(0, len(done), MAX_RECEIVE):
            chunk = done[start : start + MAX_RECEIVE]
            self.sqs.delete_message_batch(
                QueueUrl=self.spec.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)
                ],
            )
        with self._lock:
            self.stats["batches"] += 1
            self.stats["records"] += len(records)
            self.stats["deleted"] += len(done)
            self.stats["failed_records"] += len(records) - len(done)
            self.stats["function_errors"] += 0 if invocation.ok else 1
        if not invocation.ok:
            log.warning("function error: %s", invocation.error.get("errorMessage"))
