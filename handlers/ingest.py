"""Lambda entry point of the ingest function (`ingest.handler`, HTTP API payload format 2.0).

Configuration is read once per container; boto3 clients are created on first use, so importing
this module stays cheap and a container that never archives never builds an S3 client.
"""

import functools

import boto3
from webhooks.ingest_config import IngestConfig
from webhooks.observability import log
from webhooks.providers import ConfigError
from webhooks.receiver import Receiver, response
from webhooks.secrets import SecretsCache


def _load() -> Receiver | None:
    try:
        config = IngestConfig.from_environ()
    except ConfigError as error:
        log("ERROR", "invalid configuration", reason=str(error))
        return None
    return Receiver(
        config,
        sqs=functools.cache(lambda: boto3.client("sqs")),
        s3=functools.cache(lambda: boto3.client("s3")),
        secrets=SecretsCache(
            functools.cache(lambda: boto3.client("secretsmanager")),
            config.secrets_refresh_seconds,
        ),
    )


_receiver = _load()


def handler(event: dict, context: object) -> dict:
    """Answer one webhook delivery; a misconfigured function answers 503 so senders retry."""
    if _receiver is None:
        return response(503, "error", "service misconfigured")
    return _receiver.handle(event)
