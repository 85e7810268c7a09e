"""Lambda entry point of the publish function (`publish.handler`, DynamoDB stream mapping).

It returns the stream records to retry (`ReportBatchItemFailures`, by `SequenceNumber`); the
logic is `webhooks.publish`: stored item → EventBridge entry, PutEvents in bounded batches.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from webhooks.batch import WORKING_SHARE
from webhooks.environ import SettingsError
from webhooks.observability import log, metrics, set_level
from webhooks.publish import METRICS, PoisonedBatch, Publisher, PutEvents, publish_records
from webhooks.publish_settings import PublishHandlerSettings

_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
)


@cache
def _runtime() -> tuple[PublishHandlerSettings, Publisher, PutEvents]:
    """Settings, the publisher and the EventBridge client, built once per container."""
    settings = PublishHandlerSettings.from_environ()
    set_level(settings.log_level)
    s3 = boto3.client("s3", config=_CLIENT_CONFIG)
    bucket = settings.archive_bucket

    def read_archived(key: str) -> bytes:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def write_archived(request: Mapping[str, Any]) -> None:
        s3.put_object(Bucket=bucket, **request)

    publisher = Publisher(
        bus=settings.event_bus_name,
        match_paths=settings.match_paths,
        archive_bucket=bucket,
        read_archived=read_archived if bucket else None,
        write_archived=write_archived if bucket else None,
    )
    return settings, publisher, boto3.client("events", config=_CLIENT_CONFIG).put_events


def handler(event: dict[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    """Publish the batch's new events; list the sequence numbers of the records that failed."""
    try:
        settings, publisher, put_events = _runtime()
    except SettingsError as error:
        log("ERROR", "publish function misconfigured", reason=str(error))
        raise
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    deadline = time.monotonic() + WORKING_SHARE * remaining() / 1000 if remaining else None
    try:
        result = publish_records(event.get("Records", ()), publisher, put_events, deadline=deadline)
    except PoisonedBatch as poisoned:
        # Counted, then the invocation fails: the mapping bisects the batch (nothing of it was
        # published) until the poison item is alone, which ends in the publish DLQ.
        _emit(settings, poisoned.result.counts(METRICS))
        raise
    _emit(settings, result.counts(METRICS))
    return result.response()


def _emit(settings: PublishHandlerSettings, counts: dict[str, int]) -> None:
    metrics(
        settings.metrics_namespace,
        {"Environment": settings.environment},
        {METRICS[outcome]: count for outcome, count in counts.items()},
    )
