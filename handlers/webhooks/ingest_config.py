"""The ingest function's settings, read from its environment once per container."""

import os
from collections.abc import Mapping
from typing import NamedTuple

from .providers import ConfigError, Provider, parse_providers


class IngestConfig(NamedTuple):
    """Everything the ingest path needs besides the AWS clients (docs/contract.md, "Ingest")."""

    queue_url: str
    archive_bucket: str
    providers: dict[str, Provider]
    max_body_bytes: int
    inline_body_limit: int
    secrets_refresh_seconds: int
    metrics_namespace: str
    environment: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "IngestConfig":
        """Read and validate the variables; raise `ConfigError` naming the faulty one."""
        return cls(
            queue_url=_required(environ, "QUEUE_URL"),
            archive_bucket=_required(environ, "ARCHIVE_BUCKET"),
            providers=parse_providers(_required(environ, "PROVIDERS")),
            max_body_bytes=_positive(environ, "MAX_BODY_BYTES", 1_048_576),
            inline_body_limit=_positive(environ, "INLINE_BODY_LIMIT", 196_608),
            secrets_refresh_seconds=_positive(environ, "SECRETS_REFRESH_SECONDS", 300),
            metrics_namespace=environ.get("METRICS_NAMESPACE") or "Webhooks",
            environment=environ.get("ENVIRONMENT") or "dev",
        )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise ConfigError(f"environment variable {name} must be a positive integer, got {text!r}")
    return int(text)
