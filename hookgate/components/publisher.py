"""The publisher: the table's stream → `publish.handler` → the stack's bus (the outbox).

The mapping reads new images, filtered to inserts of event items (items with `body_sha256`;
other items the table may hold are never published), reports partial failures by sequence
number, bisects a failing batch, retries a bounded number of times and then records the
batch's stream position in the publish DLQ (an SQS on-failure destination). The events
themselves stay in the table: `python -m ops events replay` publishes them again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from hookgate.components.function import FunctionSpec, Grant, create_function, list_archive
from webhooks.publish import ALWAYS_INLINE_BYTES
from webhooks.publish_settings import PublishHandlerSettings

BATCH_SIZE = 10
MAXIMUM_RETRY_ATTEMPTS = 10
MAXIMUM_RECORD_AGE_SECONDS = 6 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# Inserts of event items only: lookup items carry no body_sha256 (docs/contract.md).
STREAM_FILTER = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {"body_sha256": {"S": [{"exists": True}]}}},
}


@dataclass(frozen=True)
class WebhookPublisherArgs:
    function_name: str
    role_name: str
    dlq_name: str
    code: pulumi.Archive
    stream_arn: pulumi.Input[str]
    bus_name: pulumi.Input[str]
    bus_arn: pulumi.Input[str]
    archive_bucket: pulumi.Input[str]
    archive_bucket_arn: pulumi.Input[str]
    match_paths: tuple[str, ...]
    inline_body_limit: int
    timeout_seconds: int
    memory_mb: int
    log_retention_days: int
    log_level: str
    metrics_namespace: str
    environment: str
    protect: bool
    tags: dict[str, str]


def needs_archive_write(inline_body_limit: int) -> bool:
    """Whether an inline body may be too large for an entry (then it is archived first)."""
    return inline_body_limit > ALWAYS_INLINE_BYTES


class WebhookPublisher(pulumi.ComponentResource):
    """`publish.handler`, its role, the stream mapping and the publish DLQ."""

    def __init__(
        self, name: str, args: WebhookPublisherArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webhooks:publisher:WebhookPublisher", name, None, opts)
        self.dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=args.dlq_name,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        write = needs_archive_write(args.inline_body_limit)
        uses_archive = write or bool(args.match_paths)
        bodies = pulumi.Output.from_input(args.archive_bucket_arn).apply(lambda a: f"{a}/bodies/*")
        grants = [
            Grant(
                actions=[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                ],
                resources=[args.stream_arn],
            ),
            # The stream mapping needs ListStreams too, an action without resource-level
            # permissions: the Service Authorization Reference lists no resource type for it,
            # so AWS honours it on "*" only (policy/iam_check.py checks every grant so).
            Grant(actions=["dynamodb:ListStreams"], resources=["*"]),
            Grant(actions=["events:PutEvents"], resources=[args.bus_arn]),
            Grant(actions=["sqs:SendMessage"], resources=[self.dlq.arn]),
        ]
        if args.match_paths:  # claim-checked bodies are read for the payload filters
            grants.append(Grant(actions=["s3:GetObject"], resources=[bodies]))
            grants.append(list_archive(args.archive_bucket_arn))
        if write:  # at the key of the bytes, with their checksum (envelope.archive_object)
            grants.append(Grant(actions=["s3:PutObject"], resources=[bodies]))
        resources = create_function(
            self,
            f"{name}-function",
            FunctionSpec(
                function_name=args.function_name,
                role_name=args.role_name,
                description="Publishes every newly stored webhook event to the stack's bus.",
                handler="publish.handler",
                code=args.code,
                timeout_seconds=args.timeout_seconds,
                memory_mb=args.memory_mb,
                reserved_concurrency=None,
                log_retention_days=args.log_retention_days,
                environment=pulumi.Output.all(args.bus_name, args.archive_bucket).apply(
                    lambda values: PublishHandlerSettings(
                        event_bus_name=values[0],
                        archive_bucket=values[1] if uses_archive else "",
                        match_paths=args.match_paths,
                        environment=args.environment,
                        metrics_namespace=args.metrics_namespace,
                        log_level=args.log_level,
                    ).to_environ()
                ),
                grants=grants,
                tags=args.tags,
            ),
        )
        self.function = resources.function
        self.role = resources.role
        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            f"{name}-stream-mapping",
            event_source_arn=args.stream_arn,
            function_name=self.function.arn,
            starting_position="TRIM_HORIZON",
            batch_size=BATCH_SIZE,
            function_response_types=["ReportBatchItemFailures"],
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=MAXIMUM_RETRY_ATTEMPTS,
            maximum_record_age_in_seconds=MAXIMUM_RECORD_AGE_SECONDS,
            filter_criteria=aws.lambda_.EventSourceMappingFilterCriteriaArgs(
                filters=[
                    aws.lambda_.EventSourceMappingFilterCriteriaFilterArgs(
                        pattern=json.dumps(STREAM_FILTER, sort_keys=True)
                    )
                ]
            ),
            destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                    destination_arn=self.dlq.arn
                )
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[resources.role_policy]),
        )
        self.function_name = self.function.name
        self.dlq_url = self.dlq.url
        self.dlq_name = self.dlq.name
        self.register_outputs({"function_name": self.function_name, "dlq_url": self.dlq_url})
