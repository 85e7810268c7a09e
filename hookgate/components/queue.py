"""The durable buffer between ingest and processing: a queue that redrives to a DLQ."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from hookgate.components.settings import QueueSettings


@dataclass(frozen=True)
class WebhookQueueArgs:
    queue: QueueSettings
    visibility_timeout_seconds: int
    """As set, or derived from the processor when `queue.visibilityTimeoutSeconds` is unset
    (`Settings.queue_visibility_timeout_seconds`)."""
    queue_name: str
    dlq_name: str
    # Pulumi `protect` (prod profile): a rename or replacement cannot delete queued events.
    protect: bool
    tags: dict[str, str]


class WebhookQueue(pulumi.ComponentResource):
    """Standard SQS queue + DLQ, both with SQS-managed encryption.

    A message the processor fails `max_receive_count` times moves to the DLQ, which keeps it
    longer than the queue would, and only this queue may redrive into it. With `protect`,
    neither queue can be deleted by a `pulumi up` or `destroy`: `CreateQueue` of an existing
    name adopts the live queue, so a create-then-delete would delete the one holding events.
    """

    queue: aws.sqs.Queue
    dlq: aws.sqs.Queue

    def __init__(
        self, name: str, args: WebhookQueueArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webhooks:queue:WebhookQueue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        self.dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=args.dlq_name,
            message_retention_seconds=args.queue.dlq_retention_seconds,
            sqs_managed_sse_enabled=True,
            tags=args.tags,
            opts=stateful,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            name=args.queue_name,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
            message_retention_seconds=args.queue.retention_seconds,
            sqs_managed_sse_enabled=True,
            redrive_policy=pulumi.Output.json_dumps(
                {
                    "deadLetterTargetArn": self.dlq.arn,
                    "maxReceiveCount": args.queue.max_receive_count,
                }
            ),
            tags=args.tags,
            opts=stateful,
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow",
            queue_url=self.dlq.url,
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [self.queue.arn]}
            ),
            opts=child,
        )
        self.queue_url = self.queue.url
        self.queue_arn = self.queue.arn
        self.queue_name = self.queue.name
        self.dlq_url = self.dlq.url
        self.dlq_arn = self.dlq.arn
        self.dlq_name = self.dlq.name
        self.register_outputs(
            {
                "queue_url": self.queue_url,
                "queue_arn": self.queue_arn,
                "dlq_url": self.dlq_url,
                "dlq_arn": self.dlq_arn,
            }
        )
