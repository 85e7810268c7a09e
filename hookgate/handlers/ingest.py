"""Lambda entry point of the ingest function (`ingest.handler`, HTTP API payload format 2.0).

Settings are read once per container; boto3 clients are created on first use, so importing
this module stays cheap and a container that never archives never builds an S3 client.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from webhooks.environ import SettingsError
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.observability import log, set_level
from webhooks.receiver import Receiver, response
from webhooks.secrets import SecretsCache

# Bounded, so a hung AWS call ends instead of waiting out botocore's 60 s default: at most 3
# attempts of (2 s connect + 5 s read) per call. That worst case, for the up to three calls of a
# request, is longer than the function's timeout (`ingest.timeoutSeconds`): the invocation then
# times out and the sender gets a 5xx it retries, not our 503 (docs/design.md, "Known gaps":
# timeout budgets).
_CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 3}
)


def _client(service: str) -> Callable[[], Any]:
    """A factory that creates the service's client on its first call and reuses it after."""
    return functools.cache(lambda: boto3.client(service, config=_CLIENT_CONFIG))


def _load() -> Receiver | None:
    try:
        settings = IngestHandlerSettings.from_environ()
    except SettingsError as error:
        log("ERROR", "invalid configuration", reason=str(error))
        return None
    set_level(settings.log_level)
    return Receiver(
        settings,
        sqs=_client("sqs"),
        s3=_client("s3"),
        secrets=SecretsCache(_client("secretsmanager"), settings.secrets_refresh_seconds),
    )


_receiver = _load()


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Answer one webhook delivery; a misconfigured function answers 503 so senders retry."""
    if _receiver is None:
        return response(503, "error", "service misconfigured")
    return _receiver.handle(event)
