"""The process function's environment."""

from __future__ import annotations

import pulumi

from hookgate.components.settings import LogSettings, ProcessorSettings, TableSettings
from webhooks.process_settings import ProcessHandlerSettings


def handler_settings(
    processor: ProcessorSettings,
    table: TableSettings,
    logs: LogSettings,
    *,
    stack: str,
    metrics_namespace: str,
    table_name: str,
    archive_bucket: str,
) -> ProcessHandlerSettings:
    """The process handler's settings: it writes events with the table's TTL."""
    return ProcessHandlerSettings(
        table_name=table_name,
        ttl_days=table.event_ttl_days,
        environment=stack,
        archive_bucket=archive_bucket,
        metrics_namespace=metrics_namespace,
        log_level=logs.level,
        write_concurrency=processor.write_concurrency,
    )


def environment(
    processor: ProcessorSettings,
    table: TableSettings,
    logs: LogSettings,
    *,
    stack: str,
    metrics_namespace: str,
    table_name: pulumi.Input[str],
    archive_bucket: pulumi.Input[str],
) -> pulumi.Output[dict[str, str]]:
    """`handler_settings` rendered, once the table and the bucket are named."""
    return pulumi.Output.all(table_name, archive_bucket).apply(
        lambda names: handler_settings(
            processor,
            table,
            logs,
            stack=stack,
            metrics_namespace=metrics_namespace,
            table_name=names[0],
            archive_bucket=names[1],
        ).to_environ()
    )
