"""The publish function's environment, and what it does with the archive (its role is granted
exactly that: `hookgate/components/publisher.py`)."""

from __future__ import annotations

import pulumi

from hookgate.components.settings import IngestSettings, LogSettings
from hookgate.components.subscribers import SubscriberSettings, match_paths
from webhooks.publish import ALWAYS_INLINE_BYTES
from webhooks.publish_settings import PublishHandlerSettings


def writes_archive(ingest: IngestSettings) -> bool:
    """Whether an inline body may be too large for an entry (then it is archived first)."""
    return ingest.inline_body_limit > ALWAYS_INLINE_BYTES


def reads_archive(subscribers: tuple[SubscriberSettings, ...]) -> bool:
    """Whether a subscriber filters on the payload (claim-checked bodies are read for it)."""
    return bool(match_paths(subscribers))


def handler_settings(
    ingest: IngestSettings,
    subscribers: tuple[SubscriberSettings, ...],
    logs: LogSettings,
    *,
    stack: str,
    metrics_namespace: str,
    event_bus_name: str,
    archive_bucket: str,
) -> PublishHandlerSettings:
    """The publish handler's settings: the bucket only when it reads or writes the archive."""
    uses_archive = writes_archive(ingest) or reads_archive(subscribers)
    return PublishHandlerSettings(
        event_bus_name=event_bus_name,
        archive_bucket=archive_bucket if uses_archive else "",
        match_paths=match_paths(subscribers),
        environment=stack,
        metrics_namespace=metrics_namespace,
        log_level=logs.level,
    )


def environment(
    ingest: IngestSettings,
    subscribers: tuple[SubscriberSettings, ...],
    logs: LogSettings,
    *,
    stack: str,
    metrics_namespace: str,
    event_bus_name: pulumi.Input[str],
    archive_bucket: pulumi.Input[str],
) -> pulumi.Output[dict[str, str]]:
    """`handler_settings` rendered, once the bus and the bucket are named."""
    return pulumi.Output.all(event_bus_name, archive_bucket).apply(
        lambda names: handler_settings(
            ingest,
            subscribers,
            logs,
            stack=stack,
            metrics_namespace=metrics_namespace,
            event_bus_name=names[0],
            archive_bucket=names[1],
        ).to_environ()
    )
