"""The consumer: a Lambda fed by the queue that stores each event exactly once."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from hookgate.components.function import FunctionSpec, Grant, create_function, list_archive
from webhooks.process_settings import ProcessHandlerSettings


@dataclass(frozen=True)
class WebhookProcessorArgs:
    function_name: str
    role_name: str
    code: pulumi.Archive
    queue_arn: pulumi.Input[str]
    table_name: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    timeout_seconds: int
    memory_mb: int
    reserved_concurrency: int | None
    batch_size: int
    batching_window_seconds: int
    maximum_concurrency: int
    write_concurrency: int
    event_ttl_days: int
    archive_bucket_name: pulumi.Input[str]
    archive_bucket_arn: pulumi.Input[str]
    log_retention_days: int
    log_level: str
    metrics_namespace: str
    environment: str
    tags: dict[str, str]


class WebhookProcessor(pulumi.ComponentResource):
    """`process.handler` on arm64, its log group and role, and the SQS event source mapping.

    The mapping reports partial batch failures (`ReportBatchItemFailures`), so one bad message
    is retried alone instead of re-running its whole batch.
    """

    function: aws.lambda_.Function
    event_source_mapping: aws.lambda_.EventSourceMapping

    def __init__(
        self, name: str, args: WebhookProcessorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webhooks:processor:WebhookProcessor", name, None, opts)
        resources = create_function(
            self,
            f"{name}-function",
            FunctionSpec(
                function_name=args.function_name,
                role_name=args.role_name,
                description="Stores queued webhook deliveries in DynamoDB, exactly once.",
                handler="process.handler",
                code=args.code,
                timeout_seconds=args.timeout_seconds,
                memory_mb=args.memory_mb,
                reserved_concurrency=args.reserved_concurrency,
                log_retention_days=args.log_retention_days,
                environment=pulumi.Output.all(args.table_name, args.archive_bucket_name).apply(
                    lambda names: ProcessHandlerSettings(
                        table_name=names[0],
                        ttl_days=args.event_ttl_days,
                        environment=args.environment,
                        archive_bucket=names[1],
                        metrics_namespace=args.metrics_namespace,
                        log_level=args.log_level,
                        write_concurrency=args.write_concurrency,
                    ).to_environ()
                ),
                grants=[
                    # PutItem stores; GetItem reads a taken key's body_sha256 (duplicate or
                    # conflict); UpdateItem links conflicts and content-dedupe aliases.
                    Grant(
                        actions=["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
                        resources=[args.table_arn],
                    ),
                    # Archived bodies are read back and hashed before their event is stored.
                    Grant(
                        actions=["s3:GetObject"],
                        resources=[pulumi.Output.concat(args.archive_bucket_arn, "/bodies/*")],
                    ),
                    list_archive(args.archive_bucket_arn),
                    Grant(
                        actions=[
                            "sqs:ReceiveMessage",
                            "sqs:DeleteMessage",
                            "sqs:GetQueueAttributes",
                        ],
                        resources=[args.queue_arn],
                    ),
                ],
                tags=args.tags,
            ),
        )
        self.function = resources.function
        self.role = resources.role
        self.log_group = resources.log_group
        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            f"{name}-queue-mapping",
            event_source_arn=args.queue_arn,
            function_name=self.function.arn,
            batch_size=args.batch_size,
            maximum_batching_window_in_seconds=args.batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=args.maximum_concurrency
            ),
            tags=args.tags,
            # Creating the mapping checks that the role may already read the queue.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[resources.role_policy]),
        )
        self.function_name = self.function.name
        self.function_arn = self.function.arn
        self.register_outputs(
            {"function_name": self.function_name, "function_arn": self.function_arn}
        )
