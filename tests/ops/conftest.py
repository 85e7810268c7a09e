"""A stack's AWS resources in moto (in-process) and its outputs file, for the CLI's unit tests."""

import hashlib
import json

import boto3
import pytest
from moto import mock_aws

from ops import outputs
from tests.contract import EVENTS_TABLE
from webhooks import envelope, storage
from webhooks.ingest_settings import DEFAULT_INLINE_BODY_LIMIT

REGION = "eu-west-1"
PROVIDERS = {
    "github": "github",
    "stripe": "stripe",
    "shopify": "shopify",
    "slack": "slack",
    "standard": "standard",
    "acme": "hmac",
}
# A generic HMAC sender's options, as in PROVIDERS (docs/contract.md), minus secret_arn.
ACME_OPTIONS = {
    "scheme": "hmac",
    "signature_header": "x-acme-signature",
    "signature_prefix": "sha256=",
    "timestamp_header": "x-acme-timestamp",
    "tolerance_seconds": 300,
    "delivery_id_header": "x-acme-delivery",
    "event_type_header": "x-acme-event",
    "signed_content": "{id}.{timestamp}.{body}",
}
SECRETS = {
    "github": "gh-secret",
    "stripe": "whsec_stripe",
    "shopify": "shpss_secret",
    "slack": "slack-signing-secret",
    "standard": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "acme": "acme-secret",
}


@pytest.fixture
def stack(tmp_path, monkeypatch):
    """Outputs of a small stack realized in moto; the outputs file is `stack.source`."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv(outputs.ENV_VAR, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.chdir(tmp_path)
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dlq_url = sqs.create_queue(QueueName="webhooks-dlq-test")["QueueUrl"]
        dlq_arn = _arn(sqs, dlq_url)
        queue_url = sqs.create_queue(
            QueueName="webhooks-queue-test",
            Attributes={
                "VisibilityTimeout": "0",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}),
            },
        )["QueueUrl"]
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(TableName="webhooks-events-test", **EVENTS_TABLE)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(
            Bucket="webhooks-archive-test",
            CreateBucketConfiguration={"LocationConstraint": REGION},
        )
        secretsmanager = boto3.client("secretsmanager", region_name=REGION)
        arns = {
            name: secretsmanager.create_secret(
                Name=f"webhooks/{name}",
                SecretString=json.dumps({"secrets": [SECRETS[name], "old"]}),
            )["ARN"]
            for name in PROVIDERS
        }
        values = {
            "webhook_base_url": "http://127.0.0.1:9/webhooks",
            "webhook_urls": {name: f"http://127.0.0.1:9/webhooks/{name}" for name in PROVIDERS},
            "providers": PROVIDERS,
            "provider_secret_arns": arns,
            "provider_options": {"acme": ACME_OPTIONS},
            "queue_url": queue_url,
            "queue_arn": _arn(sqs, queue_url),
            "dlq_url": dlq_url,
            "dlq_arn": dlq_arn,
            "table_name": "webhooks-events-test",
            "archive_bucket": "webhooks-archive-test",
            "region": REGION,
            "inline_body_limit": DEFAULT_INLINE_BODY_LIMIT,
            "max_receive_count": 1,
        }
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(values))
        yield outputs.load(str(path))


def _arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


BASE_MS = 1_795_000_000_000  # 2026-11-18T11:06:40Z: `at` of `store_event` counts from here


def store_event(
    stack,
    provider: str,
    delivery_id: str,
    body: bytes,
    *,
    archived: bool = False,
    at: int = 0,
    event_type: str = "push",
) -> None:
    """Write an item as the processor does, through the handlers' own storage module; received
    `at` milliseconds after `BASE_MS`; `archived`: the body claim-checked in the bucket."""
    digest = hashlib.sha256(body).hexdigest()
    key = None
    if archived:
        key = envelope.archive_key(provider, digest)
        stack.client("s3").put_object(Bucket=stack.text("archive_bucket"), Key=key, Body=body)
    message = envelope.build(
        provider=provider,
        delivery_id=delivery_id,
        event_type=event_type,
        received_at=envelope.format_received_at(BASE_MS + at),
        source_ip="192.0.2.1",
        headers={"user-agent": "GitHub-Hookshot/abc"},
        body=body,
        body_sha256=digest,
        body_s3_key=key,
    )
    item = storage.to_item(
        envelope.parse(envelope.encode(message)),
        stored_at="2026-11-28T17:00:00.000Z",
        expires_at=None,
    )
    stack.client("dynamodb").put_item(TableName=stack.text("table_name"), Item=item)
