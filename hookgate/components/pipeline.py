"""The whole webhook pipeline from one `Settings` object: API → queue → processor → table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import pulumi
import pulumi_aws as aws

from hookgate.components import naming
from hookgate.components.api import WebhookApi, WebhookApiArgs
from hookgate.components.bus import WebhookBus, WebhookBusArgs
from hookgate.components.dashboard import WebhookDashboard, WebhookDashboardArgs
from hookgate.components.domain import WebhookDomain, WebhookDomainArgs
from hookgate.components.http_destination import WebhookHttpDestination, WebhookHttpDestinationArgs
from hookgate.components.processor import WebhookProcessor, WebhookProcessorArgs
from hookgate.components.publisher import WebhookPublisher, WebhookPublisherArgs
from hookgate.components.queue import WebhookQueue, WebhookQueueArgs
from hookgate.components.settings import Settings
from hookgate.components.subscribers import match_paths
from hookgate.components.table import WebhookTable, WebhookTableArgs
from webhooks.batch import FAILED
from webhooks.publish import METRICS


@dataclass(frozen=True)
class WebhookPipelineArgs:
    settings: Settings
    code: pulumi.Archive
    account_id: pulumi.Input[str]
    # A plain value: names of account-global resources carry it (components/naming).
    region: str


class WebhookPipeline(pulumi.ComponentResource):
    """Builds the four parts, wires them together, alarms on what needs a human, and exposes
    the stack outputs of the contract (`outputs`)."""

    outputs: dict[str, pulumi.Input[object]]

    def __init__(
        self, name: str, args: WebhookPipelineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webhooks:pipeline:WebhookPipeline", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.table = WebhookTable(
            f"{name}-table",
            WebhookTableArgs(
                table=s.table, table_name=s.name("events", naming.DYNAMODB_TABLE), tags=s.tags
            ),
            opts=child,
        )
        self.queue = WebhookQueue(
            f"{name}-queue",
            WebhookQueueArgs(
                queue=s.queue,
                visibility_timeout_seconds=s.queue_visibility_timeout_seconds,
                queue_name=s.name("queue", naming.SQS_QUEUE),
                dlq_name=s.name("dlq", naming.SQS_QUEUE),
                protect=s.protected,
                tags=s.tags,
            ),
            opts=child,
        )
        # The processor reads archived bodies back, so the bucket is named before the API
        # (which creates it) exists.
        archive_bucket_name = pulumi.Output.from_input(args.account_id).apply(
            lambda account_id: naming.archive_bucket(s.stack, args.region, account_id)
        )
        self.processor = WebhookProcessor(
            f"{name}-processor",
            WebhookProcessorArgs(
                processor=s.processor,
                table=s.table,
                logs=s.logs,
                stack=s.stack,
                metrics_namespace=s.metrics_namespace,
                function_name=s.name("process"),
                role_name=naming.account_global("process", s.stack, args.region, naming.IAM_ROLE),
                code=args.code,
                queue_arn=self.queue.queue_arn,
                table_name=self.table.table_name,
                table_arn=self.table.table_arn,
                archive_bucket_name=archive_bucket_name,
                archive_bucket_arn=pulumi.Output.concat("arn:aws:s3:::", archive_bucket_name),
                tags=s.tags,
            ),
            opts=child,
        )
        self.api = WebhookApi(
            f"{name}-api",
            WebhookApiArgs(
                api=s.api,
                ingest=s.ingest,
                archive=s.archive,
                archive_expiration_days=s.archive_expiration_days,
                throttling_rate_limit=s.api_throttling_rate_limit,
                throttling_burst_limit=s.api_throttling_burst_limit,
                logs=s.logs,
                providers=s.providers,
                secret_values=s.secret_values,
                stack=s.stack,
                metrics_namespace=s.metrics_namespace,
                api_name=s.name("api", naming.API),
                function_name=s.name("ingest"),
                role_name=naming.account_global("ingest", s.stack, args.region, naming.IAM_ROLE),
                bucket_name=archive_bucket_name,
                secret_name_prefix=naming.secret_prefix(s.stack),
                secret_recovery_window_days=s.secret_recovery_window_days,
                protect_secrets=s.protected,
                code=args.code,
                queue_url=self.queue.queue_url,
                queue_arn=self.queue.queue_arn,
                tags=s.tags,
            ),
            opts=child,
        )
        self._delivery(name, s, args)
        base_url = self.api.webhook_base_url
        domain_target: pulumi.Input[str | None] = None
        if (
            s.api.domain_name is not None
            and self.api.api_id is not None
            and self.api.stage_id is not None
        ):
            domain = WebhookDomain(
                f"{name}-domain",
                WebhookDomainArgs(
                    api=s.api,
                    api_id=self.api.api_id,
                    stage=self.api.stage_id,
                    tags=s.tags,
                ),
                opts=child,
            )
            base_url = domain.base_url
            domain_target = domain.target_domain_name
        self.dashboard = WebhookDashboard(
            f"{name}-dashboard",
            WebhookDashboardArgs(
                # Dashboards are global to the account, so the name carries the region.
                dashboard_name=naming.dashboard(s.stack, args.region),
                region=args.region,
                metrics_namespace=s.metrics_namespace,
                stack=s.stack,
                queue_name=self.queue.queue_name,
                dlq_name=self.queue.dlq_name,
                ingest_function_name=self.api.function_name,
                process_function_name=self.processor.function_name,
            ),
            opts=child,
        )

        self.alarm_topic = aws.sns.Topic(
            f"{name}-alarms", name=s.name("alarms", naming.SNS_TOPIC), tags=s.tags, opts=child
        )
        if s.alarms.email:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self.alarm_topic.arn,
                protocol="email",
                endpoint=s.alarms.email,
                opts=child,
            )
        self._alarms(name, s)
        self._http_destinations(name, s, args)

        self.outputs = {
            "webhook_base_url": base_url,
            "webhook_urls": {
                p.name: pulumi.Output.concat(base_url, "/", p.name) for p in s.providers
            },
            "providers": {p.name: p.scheme for p in s.providers},
            # Header names etc. a sender needs to sign (no secrets): what `ops send` reads.
            "provider_options": {p.name: p.handler_options() for p in s.providers},
            "provider_secret_arns": self.api.secret_arns,
            "queue_url": self.queue.queue_url,
            "queue_arn": self.queue.queue_arn,
            "dlq_url": self.queue.dlq_url,
            "dlq_arn": self.queue.dlq_arn,
            "table_name": self.table.table_name,
            "table_arn": self.table.table_arn,
            "archive_bucket": self.api.bucket_name,
            "ingest_function_name": self.api.function_name,
            "process_function_name": self.processor.function_name,
            "alarm_topic_arn": self.alarm_topic.arn,
            "region": args.region,
            "inline_body_limit": s.ingest.inline_body_limit,
            "max_receive_count": s.queue.max_receive_count,
            "dashboard_url": self.dashboard.url,
            # The custom domain's API Gateway target (DNS records point here); null without one.
            "api_domain_target": domain_target,
            # Delivery to subscribers (components/bus.py, components/publisher.py).
            "bus_name": self.bus.bus_name,
            "bus_arn": self.bus.bus_arn,
            "subscriber_queue_urls": self.bus.queue_urls,
            "subscriber_queue_arns": {
                n: x.queue.arn for n, x in self.bus.subscribers.items() if x.queue
            },
            "subscriber_dlq_urls": self.bus.dlq_urls,
            "subscriber_dlq_arns": {n: x.dlq.arn for n, x in self.bus.subscribers.items()},
            "subscriber_rules": self.bus.rule_arns,
            "subscriber_targets": {x.name: x.target for x in s.subscribers if x.target},
            # The role a target's owner must allow (a bus, or a queue or function of another
            # account: docs/deploying.md, "Subscribers in another account").
            "subscriber_roles": self.bus.role_arns,
            "publish_dlq_url": self.publisher.dlq_url,
            "publish_dlq_arn": self.publisher.dlq.arn,
            "publish_function_name": self.publisher.function_name,
            # The payload paths the publisher carries in detail.match (what a replay must too).
            "publish_match_paths": list(match_paths(s.subscribers)),
            # HTTP destinations (components/http_destination.py): what `ops subscribers` reads.
            "subscriber_http": {
                n: {
                    "url": d.url,
                    # What `ops subscribers test` sends with, as the deliver function does.
                    "headers": d.headers,
                    "timeout_seconds": d.timeout_seconds,
                    "function_name": d.function_name,
                    "secret_arn": d.secret_arn,
                    "state_table": d.state_table_name,
                }
                for n, d in self.http_destinations.items()
            },
        }
        self.register_outputs(self.outputs)

    def _alarms(self, name: str, s: Settings) -> None:
        """Alarms for what needs a human: parked events, a stalled queue, failing code, 5xx."""
        a = s.alarms
        processor = {"FunctionName": self.processor.function_name}
        specs = [
            _Alarm(
                "dlq-not-empty",
                "Deliveries are parked in the DLQ: fix the cause, then replay them.",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": self.queue.dlq_name},
                "Maximum",
                60,
                1,
            ),
            _Alarm(
                "oldest-message-age",
                "The queue is not drained: the processor is failing, throttled or too slow.",
                "AWS/SQS",
                "ApproximateAgeOfOldestMessage",
                {"QueueName": self.queue.queue_name},
                "Maximum",
                60,
                a.oldest_message_age_seconds,
            ),
            _Alarm(
                "processor-errors",
                "The process function raised errors.",
                "AWS/Lambda",
                "Errors",
                processor,
                "Sum",
                a.period_seconds,
                a.processor_errors,
            ),
            _Alarm(
                "processor-throttles",
                "The process function was throttled.",
                "AWS/Lambda",
                "Throttles",
                processor,
                "Sum",
                a.period_seconds,
                a.processor_throttles,
            ),
            _Alarm(
                "record-failures",
                "Records failed to store (throttling, bad envelopes): they are retried and end"
                " in the DLQ. The function itself does not error for them.",
                s.metrics_namespace,
                "Failed",
                {"Environment": s.stack},
                "Sum",
                a.period_seconds,
                a.record_failures,
            ),
            _Alarm(
                "conflicts",
                "A delivery arrived under a key that holds other bytes (an id reused for another"
                " body: a sender bug or someone replaying a captured request under a chosen id)."
                " Both events are kept: compare them with `python -m ops events show`.",
                s.metrics_namespace,
                "Conflict",
                {"Environment": s.stack},
                "Sum",
                a.period_seconds,
                1,
            ),
            _Alarm(
                "ingest-errors",
                "The ingest function raised errors: senders see 5xx and will retry.",
                "AWS/Lambda",
                "Errors",
                {"FunctionName": self.api.function_name},
                "Sum",
                a.period_seconds,
                a.ingest_errors,
            ),
            *self._front_door_alarms(s),
        ]
        specs += self._delivery_alarms(s)
        self.alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}
        for spec in specs:
            self.alarms[spec.suffix] = aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.suffix}",
                name=s.name(spec.suffix, naming.ALARM),
                alarm_description=spec.description,
                namespace=spec.namespace,
                metric_name=spec.metric,
                dimensions=spec.dimensions,
                statistic=spec.statistic,
                period=spec.period_seconds,
                evaluation_periods=1,
                threshold=spec.threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[self.alarm_topic.arn],
                ok_actions=[self.alarm_topic.arn],
                tags=s.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _front_door_alarms(self, s: Settings) -> list[_Alarm]:
        """`api-5xx` from API Gateway's metric, or for a function URL Lambda's `Url5xxCount`
        with the ingest function's throttles (its reserved concurrency is the throttle)."""
        a = s.alarms
        if self.api.api_id is not None:
            return [
                _Alarm(
                    "api-5xx",
                    "The webhook API answered 5xx.",
                    "AWS/ApiGateway",
                    "5xx",
                    {"ApiId": self.api.api_id, "Stage": "$default"},
                    "Sum",
                    a.period_seconds,
                    a.api_5xx_errors,
                )
            ]
        ingest = {"FunctionName": self.api.function_name}
        return [
            _Alarm(
                "api-5xx",
                "The webhook function URL answered 5xx.",
                "AWS/Lambda",
                "Url5xxCount",
                ingest,
                "Sum",
                a.period_seconds,
                a.api_5xx_errors,
            ),
            _Alarm(
                "ingest-throttles",
                "The ingest function hit its reserved concurrency: senders got 429 and retry.",
                "AWS/Lambda",
                "Throttles",
                ingest,
                "Sum",
                a.period_seconds,
                a.api_5xx_errors,
            ),
        ]

    def _delivery(self, name: str, s: Settings, args: WebhookPipelineArgs) -> None:
        """The outbox: the table's stream → publish function → the bus → subscribers."""
        self.bus = WebhookBus(
            f"{name}-bus",
            WebhookBusArgs(
                bus_name=naming.bus(s.stack),
                subscribers=s.subscribers,
                name=s.name,
                role_name=lambda part: naming.account_global(
                    part, s.stack, args.region, naming.IAM_ROLE
                ),
                # A plain value (`account_id` may be an Output): it decides which targets are
                # in another account and get a delivery role.
                account_id=aws.get_caller_identity(
                    opts=pulumi.InvokeOptions(parent=self)
                ).account_id,
                protect=s.protected,
                tags=s.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.publisher = WebhookPublisher(
            f"{name}-publisher",
            WebhookPublisherArgs(
                processor=s.processor,
                ingest=s.ingest,
                subscribers=s.subscribers,
                logs=s.logs,
                stack=s.stack,
                metrics_namespace=s.metrics_namespace,
                function_name=s.name("publish"),
                role_name=naming.account_global("publish", s.stack, args.region, naming.IAM_ROLE),
                dlq_name=s.name("publish-dlq", naming.SQS_QUEUE),
                code=args.code,
                stream_arn=self.table.stream_arn,
                bus_name=self.bus.bus_name,
                bus_arn=self.bus.bus_arn,
                archive_bucket=self.api.bucket_name,
                archive_bucket_arn=self.api.bucket.arn,
                protect=s.protected,
                tags=s.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _http_destinations(self, name: str, s: Settings, args: WebhookPipelineArgs) -> None:
        """Each subscriber with `http`: its managed queue feeds a deliver function."""
        self.http_destinations: dict[str, WebhookHttpDestination] = {}
        for subscriber in s.subscribers:
            if subscriber.http is None:
                continue
            built = self.bus.subscribers[subscriber.name]
            assert built.queue is not None  # an http subscriber is managed
            names = naming.destination_names(subscriber.name, s.stack, args.region)
            self.http_destinations[subscriber.name] = WebhookHttpDestination(
                f"{name}-http-{subscriber.name}",
                WebhookHttpDestinationArgs(
                    destination=subscriber.name,
                    http=subscriber.http,
                    providers=subscriber.providers,
                    function_name=names.function,
                    role_name=names.role,
                    secret_name=names.secret,
                    state_table_name=names.state_table,
                    alarm_name=names.alarm,
                    code=args.code,
                    queue_arn=built.queue.arn,
                    queue_url=built.queue.url,
                    dlq_arn=built.dlq.arn,
                    dlq_url=built.dlq.url,
                    events_table_name=self.table.table_name,
                    events_table_arn=self.table.table_arn,
                    archive_bucket_name=self.api.bucket_name,
                    archive_bucket_arn=self.api.bucket.arn,
                    alarm_topic_arn=self.alarm_topic.arn,
                    secret_recovery_window_days=s.secret_recovery_window_days,
                    logs=s.logs,
                    metrics_namespace=s.metrics_namespace,
                    stack=s.stack,
                    protect=s.protected,
                    tags=s.tags,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _delivery_alarms(self, s: Settings) -> list[_Alarm]:
        """Events that were stored but not (yet) delivered need a human too."""
        a = s.alarms
        publisher = {"FunctionName": self.publisher.function_name}
        specs = [
            _Alarm(
                "publish-dlq-not-empty",
                "Stream records failed to publish after every retry (each message names their"
                " range): fix the cause, then `python -m ops dlq replay --queue publish`.",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": self.publisher.dlq_name},
                "Maximum",
                60,
                1,
            ),
            _Alarm(
                "publish-errors",
                "The publish function raised errors: stored events are not reaching the bus.",
                "AWS/Lambda",
                "Errors",
                publisher,
                "Sum",
                a.period_seconds,
                a.processor_errors,
            ),
            _Alarm(
                "publish-failures",
                "Stored events failed to publish (an item that cannot become an event, or"
                " PutEvents refusing entries): they are retried, a poison item alone, and end in"
                " the publish DLQ. Per-record failures are not function errors.",
                s.metrics_namespace,
                METRICS[FAILED],
                {"Environment": s.stack},
                "Sum",
                a.period_seconds,
                a.record_failures,
            ),
            _Alarm(
                "publish-iterator-age",
                "The publisher lags behind the table's stream (milliseconds).",
                "AWS/Lambda",
                "IteratorAge",
                publisher,
                "Maximum",
                60,
                a.oldest_message_age_seconds * 1000,
            ),
        ]
        for subscriber, dlq_name in self.bus.dlq_names.items():
            specs.append(
                _Alarm(
                    f"sub-{subscriber}-dlq-not-empty",
                    f"Events for subscriber {subscriber} could not be delivered or consumed.",
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    {"QueueName": dlq_name},
                    "Maximum",
                    60,
                    1,
                )
            )
        return specs


class _Alarm(NamedTuple):
    """One CloudWatch alarm: fires when the statistic reaches `threshold` in one period."""

    suffix: str
    description: str
    namespace: str
    metric: str
    dimensions: Mapping[str, pulumi.Input[str]]
    statistic: str
    period_seconds: int
    threshold: int
