"""One picture of a stack's health: a CloudWatch dashboard of the whole delivery path.

Deliveries accepted and rejected (by provider and reason, from the handlers' EMF metrics), the
queue's depth and oldest message, the DLQ, the processor's errors and duration, the events
stored per minute, and the publisher's records published, failed and deferred. Provider and
reason are dimensions, so `SEARCH` finds every value that occurred instead of a list that goes
stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

PERIOD_SECONDS = 60
WIDTH, HEIGHT, COLUMNS = 12, 6, 2


@dataclass(frozen=True)
class WebhookDashboardArgs:
    dashboard_name: str
    region: str
    metrics_namespace: str
    stack: str
    """The value of the handlers' `Environment` metric dimension."""
    queue_name: pulumi.Input[str]
    dlq_name: pulumi.Input[str]
    ingest_function_name: pulumi.Input[str]
    process_function_name: pulumi.Input[str]


class WebhookDashboard(pulumi.ComponentResource):
    """The dashboard `webhooks-<stack>-<region>` and its console URL (`dashboard_url`)."""

    def __init__(
        self, name: str, args: WebhookDashboardArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webhooks:dashboard:WebhookDashboard", name, None, opts)
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name,
            dashboard_body=pulumi.Output.json_dumps({"widgets": _widgets(args)}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = self.dashboard.dashboard_name.apply(
            lambda dashboard: (
                f"https://{args.region}.console.aws.amazon.com/cloudwatch/home"
                f"?region={args.region}#dashboards/dashboard/{dashboard}"
            )
        )
        self.register_outputs({"url": self.url})


def _search(args: WebhookDashboardArgs, metric: str, dimensions: tuple[str, ...]) -> list[Any]:
    """One SEARCH expression over the handlers' metric with exactly these dimensions."""
    schema = ",".join((args.metrics_namespace, *dimensions))
    query = f'{{{schema}}} MetricName="{metric}" Environment="{args.stack}"'
    return [{"expression": f"SEARCH('{query}', 'Sum', {PERIOD_SECONDS})", "id": metric.lower()}]


def _widgets(args: WebhookDashboardArgs) -> list[dict[str, Any]]:
    env = ("Environment", args.stack)
    own = args.metrics_namespace
    graphs: list[tuple[str, str, list[list[Any]]]] = [
        (
            "Accepted deliveries by provider (per minute)",
            "Sum",
            [_search(args, "Accepted", ("Environment", "Provider"))],
        ),
        (
            "Rejected deliveries by provider and reason (per minute)",
            "Sum",
            [
                _search(args, "Rejected", ("Environment", "Provider", "Reason")),
                _search(args, "Unavailable", ("Environment", "Provider", "Reason")),
            ],
        ),
        (
            "Queue depth",
            "Maximum",
            [
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", args.queue_name],
                ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", args.queue_name],
            ],
        ),
        (
            "Age of the oldest queued message (seconds)",
            "Maximum",
            [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", args.queue_name]],
        ),
        (
            "DLQ depth (parked deliveries)",
            "Maximum",
            [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", args.dlq_name]],
        ),
        (
            "Processor errors",
            "Sum",
            [
                ["AWS/Lambda", "Errors", "FunctionName", args.process_function_name],
                ["AWS/Lambda", "Throttles", "FunctionName", args.process_function_name],
                [own, "Failed", *env],
            ],
        ),
        (
            "Duration (ms, p99)",
            "p99",
            [
                ["AWS/Lambda", "Duration", "FunctionName", args.process_function_name],
                ["AWS/Lambda", "Duration", "FunctionName", args.ingest_function_name],
            ],
        ),
        (
            "Stored events per minute",
            "Sum",
            [[own, "Stored", *env], [own, "Duplicate", *env]],
        ),
        (
            "Publishing to the bus (records per minute)",
            "Sum",
            [
                [own, "Published", *env],
                [own, "PublishFailed", *env],
                [own, "PublishDeferred", *env],
            ],
        ),
    ]
    return [
        {
            "type": "metric",
            "x": (index % COLUMNS) * WIDTH,
            "y": (index // COLUMNS) * HEIGHT,
            "width": WIDTH,
            "height": HEIGHT,
            "properties": {
                "title": title,
                "region": args.region,
                "view": "timeSeries",
                "stat": stat,
                "period": PERIOD_SECONDS,
                "metrics": metrics,
            },
        }
        for index, (title, stat, metrics) in enumerate(graphs)
    ]
