"""The comparator of `make bench`'s first response: an ingest handler built on Powertools.

Equivalent work for one GitHub delivery: Powertools `Logger` and `Metrics` (EMF), the signing
secret from Secrets Manager, HMAC-SHA256 verification, one SQS SendMessage, 202. Test-only
(aws-lambda-powertools is a dev dependency); the clients are created during init, as
Powertools' documentation recommends.
"""

import base64
import hashlib
import hmac
import json
import os

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="webhooks")
metrics = Metrics(namespace="Webhooks", service="webhooks")
sqs = boto3.client("sqs")
secrets = boto3.client("secretsmanager")
QUEUE_URL = os.environ["QUEUE_URL"]
SECRET_ARN = json.loads(os.environ["PROVIDERS"])["github"]["secret_arn"]
_secret: list[bytes] = []


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    if not _secret:
        value = json.loads(secrets.get_secret_value(SecretId=SECRET_ARN)["SecretString"])
        _secret.append(value["secrets"][0].encode())
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    headers = event.get("headers") or {}
    expected = "sha256=" + hmac.new(_secret[0], raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("x-hub-signature-256", "")):
        metrics.add_metric(name="Rejected", unit=MetricUnit.Count, value=1)
        logger.info("rejected", extra={"provider": "github"})
        return {"statusCode": 401, "body": "{}"}
    sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps({"body": body}))
    metrics.add_metric(name="Accepted", unit=MetricUnit.Count, value=1)
    logger.info("accepted", extra={"provider": "github"})
    return {"statusCode": 202, "body": "{}"}
