"""A deliver function's environment: one per HTTP destination."""

from __future__ import annotations

import pulumi

from hookgate.components.http_settings import HttpSettings
from hookgate.components.settings import LogSettings
from webhooks.destination_settings import DestinationSettings


def handler_settings(
    http: HttpSettings,
    logs: LogSettings,
    *,
    destination: str,
    stack: str,
    metrics_namespace: str,
    secret_arn: str,
    state_table: str,
    events_table: str,
    archive_bucket: str,
    queue_url: str,
    dlq_url: str,
) -> DestinationSettings:
    """The deliver handler's settings: the subscriber's `http` section and where its secret,
    state, stored events and queues are."""
    return DestinationSettings(
        destination=destination,
        url=http.url,
        secret_arn=secret_arn,
        state_table=state_table,
        events_table=events_table,
        archive_bucket=archive_bucket,
        queue_url=queue_url,
        dlq_url=dlq_url,
        environment=stack,
        rate_per_second=http.rate_limit_per_second,
        timeout_seconds=http.timeout_seconds,
        max_age_seconds=http.max_age_hours * 3600,
        body=http.body,
        headers=http.headers,
        metrics_namespace=metrics_namespace,
        log_level=logs.level,
    )


def environment(
    http: HttpSettings,
    logs: LogSettings,
    *,
    destination: str,
    stack: str,
    metrics_namespace: str,
    secret_arn: pulumi.Input[str],
    state_table: pulumi.Input[str],
    events_table: pulumi.Input[str],
    archive_bucket: pulumi.Input[str],
    queue_url: pulumi.Input[str],
    dlq_url: pulumi.Input[str],
) -> pulumi.Output[dict[str, str]]:
    """`handler_settings` rendered, once the resources it names exist."""
    return pulumi.Output.all(
        secret_arn, state_table, events_table, archive_bucket, queue_url, dlq_url
    ).apply(
        lambda names: handler_settings(
            http,
            logs,
            destination=destination,
            stack=stack,
            metrics_namespace=metrics_namespace,
            secret_arn=names[0],
            state_table=names[1],
            events_table=names[2],
            archive_bucket=names[3],
            queue_url=names[4],
            dlq_url=names[5],
        ).to_environ()
    )
