"""Lambda entry point of an HTTP destination's deliver function (`deliver.handler`, fed by the
subscriber's queue through an event source mapping with `ReportBatchItemFailures`).

What happens to one record is `webhooks.destination.Destination`; this module builds it once
per container from the environment (`webhooks.destination_settings`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from webhooks.destination import Destination
from webhooks.destination_settings import DestinationSettings
from webhooks.observability import set_level

# The AWS calls are small and must not outlast the delivery they serve.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=20,
)


@cache
def _destination() -> Destination:
    settings = DestinationSettings.from_environ()
    set_level(settings.log_level)
    return Destination(
        settings,
        sqs=boto3.client("sqs", config=_CLIENT_CONFIG),
        dynamodb=boto3.client("dynamodb", config=_CLIENT_CONFIG),
        s3=cache(lambda: boto3.client("s3", config=_CLIENT_CONFIG)),
        secrets=cache(lambda: boto3.client("secretsmanager", config=_CLIENT_CONFIG)),
    )


def handler(event: dict[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    return _destination().handle(event.get("Records") or [])
