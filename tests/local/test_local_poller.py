"""The SQS event source mapping: Lambda's record shape, batching, and what gets deleted."""

import itertools
import json
import time
from pathlib import Path

import pytest

from local.poller import MappingSpec, QueuePoller, records_to_delete, sqs_record
from local.pool import FunctionPool, WorkerSpec

# Logs each batch, fails records whose body contains "fail", raises on "crash".
RECORDER = """
    import json
    import os

    def handler(event, context):
        records = event["Records"]
        with open(os.environ["BATCH_LOG"], "a") as log:
            log.write(json.dumps(records) + "\\n")
        if any("crash" in r["body"] for r in records):
            raise RuntimeError("crash")
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in records if "fail" in r["body"]
            ]
        }
"""

RECORD_KEYS = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}
names = itertools.count()


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory, write_code):
    return str(write_code(tmp_path_factory.mktemp("code"), {"recorder": RECORDER}))


@pytest.fixture
def run_mapping(tmp_path, code_dir, runtime_env, aws):
    """Start a mapping on a fresh queue; returns (queue url, send, batches-so-far)."""
    started: list[tuple[QueuePoller, FunctionPool]] = []
    log = tmp_path / "batches.jsonl"

    def run(bodies, visibility=2, **mapping):
        sqs = aws("sqs")
        url = sqs.create_queue(
            QueueName=f"poller-{next(names)}",
            Attributes={"VisibilityTimeout": str(visibility)},
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        for body in bodies:
            sqs.send_message(QueueUrl=url, MessageBody=body)
        spec = WorkerSpec(
            name="recorder",
            arn="arn:aws:lambda:eu-west-1:123456789012:function:recorder",
            handler="recorder.handler",
            code_dir=code_dir,
            environment=runtime_env(BATCH_LOG=str(log)),
        )
        pool = FunctionPool(spec, 1, tmp_path / "recorder.log")
        poller = QueuePoller(
            sqs,
            MappingSpec(queue_url=url, queue_arn=arn, region="eu-west-1", **mapping),
            pool,
        )
        poller.start()
        started.append((poller, pool))
        return url, poller, lambda: _batches(log)

    yield run
    for poller, pool in started:
        poller.stop()
        pool.close()


def _batches(log: Path) -> list[list[dict]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def bodies_seen(batches) -> list[str]:
    return [record["body"] for batch in batches for record in batch]


def test_records_have_lambdas_sqs_event_shape(run_mapping):
    url, _, batches = run_mapping(["hello"], maximum_concurrency=1)
    wait_for(lambda: batches())
    (record,) = batches()[0]
    assert set(record) == RECORD_KEYS
    assert record["body"] == "hello"
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(url.rsplit("/", 1)[1])
    assert record["awsRegion"] == "eu-west-1"
    assert {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    } <= set(record["attributes"])
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


def test_partial_batch_failure_deletes_only_the_successes(run_mapping):
    _, _, batches = run_mapping(
        ["ok-1", "fail-1", "ok-2"],
        batch_size=10,
        batching_window_seconds=1,
        report_batch_item_failures=True,
        maximum_concurrency=1,
    )
    wait_for(lambda: bodies_seen(batches()).count("fail-1") >= 2)  # redelivered after 2 s
    seen = bodies_seen(batches())
    assert seen.count("ok-1") == 1 and seen.count("ok-2") == 1
    second = next(r for b in batches()[1:] for r in b if r["body"] == "fail-1")
    assert int(second["attributes"]["ApproximateReceiveCount"]) >= 2


def test_function_error_deletes_nothing(run_mapping):
    _, _, batches = run_mapping(
        ["ok-1", "crash"],
        batch_size=10,
        batching_window_seconds=1,
        report_batch_item_failures=True,
        maximum_concurrency=1,
    )
    wait_for(lambda: len(batches()) >= 2)
    assert sorted(bodies_seen(batches()[:1])) == ["crash", "ok-1"]
    assert sorted(bodies_seen(batches()[1:2])) == ["crash", "ok-1"]  # both came back


def test_without_report_batch_item_failures_a_success_deletes_all(run_mapping):
    _, poller, batches = run_mapping(
        ["fail-1", "ok-1"],
        batch_size=10,
        batching_window_seconds=1,
        report_batch_item_failures=False,
        maximum_concurrency=1,
    )
    wait_for(lambda: poller.stats["deleted"] == 2)
    time.sleep(3)  # past the visibility timeout: nothing comes back
    assert sorted(bodies_seen(batches())) == ["fail-1", "ok-1"]


def test_batch_size_and_window_are_honoured(run_mapping):
    bodies = [f"m-{i}" for i in range(7)]
    _, poller, batches = run_mapping(
        bodies, batch_size=3, batching_window_seconds=1, maximum_concurrency=1
    )
    wait_for(lambda: poller.stats["deleted"] == 7)
    sizes = [len(batch) for batch in batches()]
    assert sizes == [3, 3, 1]
    assert sorted(bodies_seen(batches())) == sorted(bodies)


def test_window_accumulates_across_receives(run_mapping, aws):
    url, poller, batches = run_mapping(
        [], visibility=30, batch_size=10, batching_window_seconds=3, maximum_concurrency=1
    )
    sqs = aws("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="first")
    time.sleep(1)
    sqs.send_message(QueueUrl=url, MessageBody="second")
    wait_for(lambda: poller.stats["deleted"] == 2)
    assert [sorted(bodies_seen([b])) for b in batches()] == [["first", "second"]]


def records(*ids):
    return [{"messageId": i} for i in ids]


@pytest.mark.parametrize(
    ("succeeded", "result", "report", "deleted"),
    [
        (False, None, True, []),
        (False, None, False, []),
        (True, None, True, ["a", "b"]),
        (True, {}, True, ["a", "b"]),
        (True, {"batchItemFailures": []}, True, ["a", "b"]),
        (True, {"batchItemFailures": None}, True, ["a", "b"]),
        (True, {"batchItemFailures": [{"itemIdentifier": "a"}]}, True, ["b"]),
        (True, {"batchItemFailures": [{"itemIdentifier": "a"}]}, False, ["a", "b"]),
        (True, {"batchItemFailures": [{"itemIdentifier": "zzz"}]}, True, []),
        (True, {"batchItemFailures": [{"itemIdentifier": ""}]}, True, []),
        (True, {"batchItemFailures": [{"wrongKey": "a"}]}, True, []),
        (True, "not an object", True, []),
    ],
)
def test_records_to_delete_follows_lambdas_rules(succeeded, result, report, deleted):
    kept = records_to_delete(records("a", "b"), succeeded, result, report)
    assert [r["messageId"] for r in kept] == deleted


def test_message_attributes_in_lambdas_casing():
    message = {
        "MessageId": "m",
        "ReceiptHandle": "r",
        "Body": "b",
        "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "1"},
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "push"}},
        "MD5OfMessageAttributes": "y",
    }
    record = sqs_record(message, "arn:q", "eu-west-1")
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "push",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record["md5OfMessageAttributes"] == "y"
