"""Shared fixtures of the handler tests: an in-process moto AWS, the events table, SQS records."""

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from local.motoserver import atomic_dynamodb_writes
from tests.contract import EVENTS_TABLE
from tests.handlers.messages import envelope_message
from webhooks import envelope

# The process function writes from several threads; DynamoDB's conditional writes are atomic,
# in-process moto's are not unless told (local/motoserver.py).
atomic_dynamodb_writes()

REGION = "eu-west-1"
TABLE_NAME = "webhooks-events-test"
ARCHIVE_BUCKET = "webhooks-archive-test"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, fake credentials, and a fresh default boto3 session."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        yield
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def events_table(aws: None) -> str:
    """The events table as docs/contract.md describes it (key, GSI `by_provider`)."""
    boto3.client("dynamodb").create_table(TableName=TABLE_NAME, **EVENTS_TABLE)
    return TABLE_NAME


@pytest.fixture
def process_env(monkeypatch: pytest.MonkeyPatch, events_table: str) -> Iterator[None]:
    """The process function's environment, and a cold container for each test."""
    import process

    monkeypatch.setenv("TABLE_NAME", events_table)
    monkeypatch.setenv("EVENT_TTL_DAYS", "30")
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("METRICS_NAMESPACE", "Webhooks")
    monkeypatch.setenv("ARCHIVE_BUCKET", ARCHIVE_BUCKET)
    boto3.client("s3").create_bucket(
        Bucket=ARCHIVE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    process._runtime.cache_clear()
    yield
    process._runtime.cache_clear()


@pytest.fixture
def put_item_faults(aws: None) -> dict[str, str]:
    """pk → AWS error code: PutItem of those items answers that error, the rest reach moto.

    Hooked into the default session before the handler builds its client, so the handler's
    real botocore client raises the error exactly as it would for a DynamoDB answer.
    """
    faults: dict[str, str] = {}

    def inject(params: dict, **_: object) -> tuple[AWSResponse, dict] | None:
        pk = json.loads(params["body"])["Item"]["pk"]["S"]
        code = faults.get(pk)
        if code is None:
            return None
        response = AWSResponse(params["url"], 400, {}, None)
        return response, {"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {}}

    boto3.DEFAULT_SESSION.events.register("before-call.dynamodb.PutItem", inject)
    return faults


@pytest.fixture
def sqs_record() -> Callable[..., dict[str, Any]]:
    """Factory of one SQS record of the event source mapping carrying `message_body`."""

    def make(message_body: str | dict, message_id: str | None = None) -> dict[str, Any]:
        if isinstance(message_body, dict):
            message_body = envelope.encode(message_body)
        return {
            "messageId": message_id or str(uuid.uuid4()),
            "receiptHandle": "handle",
            "body": message_body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:webhooks-queue-test",
            "awsRegion": REGION,
        }

    return make


@pytest.fixture
def message() -> Callable[..., dict[str, Any]]:
    """Factory of v1 envelopes: `message(body, **fields)`."""
    return envelope_message
