"""The comparator of `make bench`'s first response: a process handler built on Powertools.

Equivalent work for one SQS batch: Powertools `BatchProcessor` (partial failures), `Logger`,
`Metrics`, one conditional DynamoDB PutItem per record. Test-only; clients created at init.
"""

import json
import os

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="webhooks")
metrics = Metrics(namespace="Webhooks", service="webhooks")
processor = BatchProcessor(event_type=EventType.SQS)
table = os.environ["TABLE_NAME"]
dynamodb = boto3.client("dynamodb")


def record_handler(record: object) -> None:
    message = json.loads(record.body)  # type: ignore[attr-defined]
    dynamodb.put_item(
        TableName=table,
        Item={"pk": {"S": f"{message['provider']}#{message['delivery_id']}"}},
        ConditionExpression="attribute_not_exists(pk)",
    )
    metrics.add_metric(name="Stored", unit=MetricUnit.Count, value=1)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict, context: LambdaContext) -> object:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
