"""The ingest function's settings: its environment variables, their rules and defaults.

This class is the one owner of the contract between the program and the ingest function: the
program builds it from the stack's settings and sets `to_environ()` as the function's environment;
the function reads it back with `from_environ()`. Defaults live here only. Each function's
settings have a module of their own, so that a function imports only its own (the ingest
settings import the scheme modules of their providers; the process and publish functions none).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

from . import Record
from . import environ as env
from . import providers as provider_json
from .schemes import Provider

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Above ~32 KiB a claim check is cheaper than inline: one S3 PUT ($5/M) costs what 8 on-demand
# write units do, and a compressed 32 KiB JSON body is about that size (`make bench`, cost).
DEFAULT_INLINE_BODY_LIMIT = 32 * 1024
DEFAULT_SECRETS_REFRESH_SECONDS = 300


class IngestHandlerSettings(Record):
    """The ingest function's environment (docs/contract.md, "Ingest")."""

    __slots__ = (
        "archive_bucket",
        "environment",
        "inline_body_limit",
        "log_level",
        "max_body_bytes",
        "metrics_namespace",
        "providers",
        "queue_url",
        "secrets_refresh_seconds",
    )

    def __init__(
        self,
        queue_url: str,
        archive_bucket: str,
        providers: Mapping[str, Provider[Any]],
        environment: str,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        inline_body_limit: int = DEFAULT_INLINE_BODY_LIMIT,
        secrets_refresh_seconds: int = DEFAULT_SECRETS_REFRESH_SECONDS,
        metrics_namespace: str = env.DEFAULT_METRICS_NAMESPACE,
        log_level: str = env.DEFAULT_LOG_LEVEL,
    ) -> None:
        self.queue_url: Final = queue_url
        self.archive_bucket: Final = archive_bucket
        self.providers: Final = providers
        self.environment: Final = environment
        self.max_body_bytes: Final = max_body_bytes
        self.inline_body_limit: Final = inline_body_limit
        self.secrets_refresh_seconds: Final = secrets_refresh_seconds
        self.metrics_namespace: Final = metrics_namespace
        self.log_level: Final = log_level

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> IngestHandlerSettings:
        """Read and validate the variables; raise `SettingsError` naming the faulty one."""
        return cls(
            queue_url=env.required(environ, "QUEUE_URL"),
            archive_bucket=env.required(environ, "ARCHIVE_BUCKET"),
            providers=provider_json.parse(env.required(environ, "PROVIDERS")),
            environment=env.required(environ, "ENVIRONMENT"),
            max_body_bytes=env.whole_number(environ, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1),
            inline_body_limit=env.whole_number(
                environ, "INLINE_BODY_LIMIT", DEFAULT_INLINE_BODY_LIMIT, 1
            ),
            secrets_refresh_seconds=env.whole_number(
                environ, "SECRETS_REFRESH_SECONDS", DEFAULT_SECRETS_REFRESH_SECONDS, 1
            ),
            metrics_namespace=env.metrics_namespace(environ),
            log_level=env.log_level(environ),
        )

    def to_environ(self) -> dict[str, str]:
        """The variables `from_environ` reads back into these settings."""
        return {
            "QUEUE_URL": self.queue_url,
            "ARCHIVE_BUCKET": self.archive_bucket,
            "PROVIDERS": provider_json.render(self.providers),
            "ENVIRONMENT": self.environment,
            "MAX_BODY_BYTES": str(self.max_body_bytes),
            "INLINE_BODY_LIMIT": str(self.inline_body_limit),
            "SECRETS_REFRESH_SECONDS": str(self.secrets_refresh_seconds),
            "METRICS_NAMESPACE": self.metrics_namespace,
            "LOG_LEVEL": self.log_level,
        }
