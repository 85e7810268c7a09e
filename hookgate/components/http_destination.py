"""An HTTP destination: a subscriber's managed queue feeding a deliver function that POSTs each
event to the subscriber's URL, re-signed with Standard Webhooks (docs/design.md, "HTTP
destinations").

Per destination: the signing secret (Secrets Manager, `webhooks/<stack>/destinations/<name>`,
its value put by `ops subscribers secret`, never in Pulumi state), a small state table (rate
limiter and circuit breaker: two items), the function with a role allowed exactly its queue
(retries are sent back to it), its DLQ, its secret, its state table and, for the sender's
original bytes, the stored events of its providers (items whose key starts with one of them,
and their archived bodies); the queue mapping whose maximum concurrency and batch size bound
the work in flight, and an alarm on the breaker opening. The attempt log is the function's log
group (one line per attempt), not a table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from hookgate.components.environments import deliver
from hookgate.components.function import FunctionSpec, Grant, create_function
from hookgate.components.http_settings import HttpSettings
from hookgate.components.settings import LogSettings
from webhooks.destination import MAX_SLOT_WAIT_SECONDS
from webhooks.storage import SENDER_SEPARATOR as SENDER
from webhooks.storage import SYSTEM_SEPARATOR as SYSTEM

HTTP_MAX_RECEIVE_COUNT = 1000
"""SQS's largest `maxReceiveCount`: the function dead-letters at `maxAgeHours` itself; a message
received this often (a function failing before it decides) still ends in the DLQ."""
MAX_BATCH_SIZE = 10
AWS_CALLS_SECONDS = 10
"""The table, secret and archive calls of one record, beside the POST and its slot wait."""
MEMORY_MB = 256
VPC_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
"""What Lambda needs to attach a function to a VPC (its network interfaces): AWS's managed
policy, whose EC2 actions take no resource narrower than `*`."""


def stored_events_of(providers: tuple[str, ...]) -> dict[str, Any] | None:
    """The condition narrowing `GetItem` on the events table to the providers' items: every
    key of a provider's event starts with its name and `#` (by delivery id) or `!` (by content,
    or beside a conflict; handlers/webhooks/storage.py). None (no condition) for a subscriber
    of every provider."""
    if not providers:
        return None
    prefixes = [f"{p}{separator}*" for p in providers for separator in (SENDER, SYSTEM)]
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": prefixes}}


def function_timeout(http: HttpSettings) -> int:
    """The deliver function's timeout: a record's slot wait, its POST and its AWS calls (the
    records of a batch run side by side)."""
    return http.timeout_seconds + MAX_SLOT_WAIT_SECONDS + AWS_CALLS_SECONDS


def http_queue_visibility(http: HttpSettings) -> int:
    """The subscriber queue's visibility timeout: AWS asks for at least the function timeout
    (six times is its advice for retries of a failed invocation)."""
    return 6 * function_timeout(http)


def batch_size(http: HttpSettings) -> int:
    """Records per invocation: at most a second's worth of the rate, so records do not sit in
    a function (billed) waiting for slots a slow rate hands out."""
    return min(MAX_BATCH_SIZE, http.rate_limit_per_second)


def maximum_concurrency(http: HttpSettings) -> int:
    """Invocations in flight: enough batches to keep the rate busy with a second of latency,
    from the mapping's minimum (2) up to 100. The rate limiter, not this, bounds the rate."""
    return max(2, min(100, math.ceil(http.rate_limit_per_second / batch_size(http))))


@dataclass(frozen=True)
class WebhookHttpDestinationArgs:
    destination: str
    """The subscriber's name."""
    http: HttpSettings
    providers: tuple[str, ...]
    """The subscriber's providers (none: every provider): whose stored events it may read."""
    function_name: str
    role_name: str
    secret_name: str
    state_table_name: str
    alarm_name: str
    code: pulumi.Archive
    queue_arn: pulumi.Input[str]
    queue_url: pulumi.Input[str]
    dlq_url: pulumi.Input[str]
    dlq_arn: pulumi.Input[str]
    events_table_name: pulumi.Input[str]
    events_table_arn: pulumi.Input[str]
    archive_bucket_name: pulumi.Input[str]
    archive_bucket_arn: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    secret_recovery_window_days: int
    logs: LogSettings
    metrics_namespace: str
    stack: str
    protect: bool
    tags: dict[str, str]


class WebhookHttpDestination(pulumi.ComponentResource):
    """One subscriber's HTTPS delivery: secret, state table, deliver function, mapping, alarm."""

    def __init__(
        self,
        name: str,
        args: WebhookHttpDestinationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("webhooks:http_destination:WebhookHttpDestination", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        http = args.http
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=args.secret_name,
            description=f"Standard Webhooks signing secrets of HTTP destination {args.destination}"
            ' ({"secrets": [current, previous]}; set by `ops subscribers secret`).',
            recovery_window_in_days=args.secret_recovery_window_days,
            tags=args.tags,
            opts=stateful,
        )
        self.state_table = aws.dynamodb.Table(
            f"{name}-state",
            name=args.state_table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            range_key="sk",
            attributes=[
                aws.dynamodb.TableAttributeArgs(name="pk", type="S"),
                aws.dynamodb.TableAttributeArgs(name="sk", type="S"),
            ],
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            # Transient state, protected like every table of a prod stack (policy/rules.py).
            deletion_protection_enabled=args.protect,
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=args.protect),
            tags=args.tags,
            opts=stateful,
        )
        grants = [
            Grant(
                actions=[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ChangeMessageVisibility",
                    "sqs:SendMessage",
                ],
                resources=[args.queue_arn],
            ),
            Grant(actions=["sqs:SendMessage"], resources=[args.dlq_arn]),
            Grant(actions=["secretsmanager:GetSecretValue"], resources=[self.secret.arn]),
            Grant(
                actions=["dynamodb:GetItem", "dynamodb:UpdateItem"],
                resources=[self.state_table.arn],
            ),
        ]
        if http.body == "original":
            prefixes = [f"bodies/{p}/*" for p in args.providers] or ["bodies/*"]
            grants += [
                Grant(
                    actions=["dynamodb:GetItem"],
                    resources=[args.events_table_arn],
                    condition=stored_events_of(args.providers),
                ),
                Grant(
                    actions=["s3:GetObject"],
                    resources=[
                        pulumi.Output.concat(args.archive_bucket_arn, "/", prefix)
                        for prefix in prefixes
                    ],
                ),
            ]
        vpc = (http.subnet_ids, http.security_group_ids) if http.subnet_ids else None
        resources = create_function(
            self,
            f"{name}-function",
            FunctionSpec(
                function_name=args.function_name,
                role_name=args.role_name,
                description=f"Delivers subscriber {args.destination}'s events over HTTPS.",
                handler="deliver.handler",
                code=args.code,
                timeout_seconds=function_timeout(http),
                memory_mb=MEMORY_MB,
                reserved_concurrency=None,
                log_retention_days=args.logs.retention_days,
                environment=deliver.environment(
                    http,
                    args.logs,
                    destination=args.destination,
                    stack=args.stack,
                    metrics_namespace=args.metrics_namespace,
                    secret_arn=self.secret.arn,
                    state_table=self.state_table.name,
                    events_table=args.events_table_name,
                    archive_bucket=args.archive_bucket_name,
                    queue_url=args.queue_url,
                    dlq_url=args.dlq_url,
                ),
                grants=grants,
                tags=args.tags,
                vpc=vpc,
            ),
        )
        self.function = resources.function
        if vpc is not None:
            aws.iam.RolePolicyAttachment(
                f"{name}-vpc-access",
                role=resources.role.name,
                policy_arn=VPC_ACCESS_POLICY,
                opts=child,
            )
        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            f"{name}-queue-mapping",
            event_source_arn=args.queue_arn,
            function_name=self.function.arn,
            batch_size=batch_size(http),
            maximum_batching_window_in_seconds=0,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=maximum_concurrency(http)
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[resources.role_policy]),
        )
        self.breaker_alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-breaker-open",
            name=args.alarm_name,
            alarm_description=f"HTTP destination {args.destination} failed continuously: its"
            " circuit breaker opened (deliveries paused and probed; nothing is lost).",
            namespace=args.metrics_namespace,
            metric_name="BreakerOpened",
            dimensions={"Environment": args.stack, "Destination": args.destination},
            statistic="Sum",
            period=60,
            evaluation_periods=1,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[args.alarm_topic_arn],
            ok_actions=[args.alarm_topic_arn],
            tags=args.tags,
            opts=child,
        )
        self.url = http.url
        self.headers = dict(http.headers)
        self.timeout_seconds = http.timeout_seconds
        self.function_name = self.function.name
        self.secret_arn = self.secret.arn
        self.state_table_name = self.state_table.name
        self.register_outputs(
            {
                "function_name": self.function_name,
                "secret_arn": self.secret_arn,
                "state_table_name": self.state_table_name,
            }
        )
