"""A poison item on the local stack's stream mapping (bisect, `ReportBatchItemFailures`, 10
retries, the publish DLQ): it ends alone in the publish DLQ, its batch-mates reach the
subscribers once each, and after the fix `python -m ops dlq replay --queue publish`
publishes it from the DLQ message."""

import hashlib
import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ops import cli, dlq_replay
from tests.integration.harness import Pipeline, wait_for
from tests.integration.test_subscribers import Inbox, inbox  # noqa: F401 - the fixture
from webhooks import envelope, storage

SETTLE_SECONDS = 5


def event_item(delivery_id: str) -> dict[str, Any]:
    """An event item as the processor stores it (inline body, type `ping`: no filter but
    `everything` takes it)."""
    body = json.dumps({"zen": delivery_id}).encode()
    message = envelope.build(
        provider="github",
        delivery_id=delivery_id,
        event_type="ping",
        received_at="2026-12-06T03:00:00.000Z",
        source_ip="192.0.2.1",
        headers={},
        body=body,
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    parsed = envelope.parse(envelope.encode(message))
    return storage.to_item(parsed, stored_at="2026-12-06T03:00:01.000Z", expires_at=None)


def test_a_poison_item_is_retried_alone_and_republished_after_the_fix(
    pipeline: Pipeline,
    inbox: Inbox,  # noqa: F811 - the fixture
) -> None:
    run = uuid.uuid4().hex[:8]
    innocent = [f"innocent-{run}-{n}" for n in range(6)]
    poison_id = f"poison-{run}"
    poison = event_item(poison_id)
    poison["body_sha256"] = {"S": "0" * 64}  # a corrupt item: it can never become an event
    dynamodb = pipeline.client("dynamodb")
    table = pipeline.outputs.text("table_name")
    for delivery_id in [*innocent[:3], poison_id, *innocent[3:]]:  # one stream batch, mostly
        item = poison if delivery_id == poison_id else event_item(delivery_id)
        dynamodb.put_item(TableName=table, Item=item)

    inbox.wait({d: {"everything"} for d in innocent}, settle=SETTLE_SECONDS)
    assert all(len(inbox.got["everything"][d]) == 1 for d in innocent), inbox.got["everything"]

    sqs = pipeline.client("sqs")
    url = pipeline.outputs.text("publish_dlq_url")
    streams = pipeline.client("dynamodbstreams")

    def mine() -> list[dict[str, Any]]:
        found = []
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1
        ).get("Messages", []):
            info = dlq_replay.stream_range(message["Body"])
            keys = dlq_replay.stream_event_keys(streams, info)
            if f"github#{poison_id}" in keys or any(
                k.startswith(f"github#innocent-{run}") for k in keys
            ):
                found.append({"message": message, "info": info, "keys": keys})
        return found

    [parked] = wait_for(mine, "the poison item in the publish DLQ")
    assert parked["keys"] == [f"github#{poison_id}"]  # alone: no batch-mate with it
    assert parked["info"]["batchSize"] == 1

    dynamodb.put_item(TableName=table, Item=event_item(poison_id))  # the fix (a MODIFY)
    time.sleep(SETTLE_SECONDS)
    inbox.drain()
    assert poison_id not in inbox.got["everything"]  # a MODIFY is not published

    time.sleep(1)  # mine() left the message invisible for a second
    assert cli.main(["dlq", "replay", "--queue", "publish"]) == 0  # the operator's command
    assert mine() == []  # deleted once its event was published
    inbox.wait({poison_id: {"everything"}, **{d: {"everything"} for d in innocent}})
    assert all(len(inbox.got["everything"][d]) == 1 for d in [*innocent, poison_id])


def test_the_archive_refuses_bytes_that_are_not_the_ones_its_key_names(pipeline: Pipeline) -> None:
    """Every archive write names its key and checksum by one digest; S3 (and the local stack)
    refuses other bytes, so no writer can replace an archived body."""
    body = f"archived {uuid.uuid4()}".encode()
    request = envelope.archive_object("github", body, hashlib.sha256(body).hexdigest())
    s3, bucket = pipeline.client("s3"), pipeline.outputs.text("archive_bucket")
    s3.put_object(Bucket=bucket, **request)
    with pytest.raises(ClientError, match="BadDigest"):
        s3.put_object(Bucket=bucket, **{**request, "Body": b"other bytes"})
    assert s3.get_object(Bucket=bucket, Key=request["Key"])["Body"].read() == body
