"""The handlers' settings: each function's environment variables, their rules and defaults.

These classes are the one owner of the contract between the program and the handlers: the
program builds them from the stack's settings and sets `to_environ()` as the function's
environment; the function reads it back with `from_environ()`. Defaults live here only.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import environ as env
from . import providers as provider_json
from .schemes import Provider

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_METRICS_NAMESPACE = "Webhooks"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# Above ~32 KiB a claim check is cheaper than inline: one S3 PUT ($5/M) costs what 8 on-demand
# write units do, and a compressed 32 KiB JSON body is about that size (`make bench`, cost).
DEFAULT_INLINE_BODY_LIMIT = 32 * 1024
DEFAULT_SECRETS_REFRESH_SECONDS = 300
# PutItems in flight per process invocation: 8 writes of 8 ms run in the time of one.
DEFAULT_WRITE_CONCURRENCY = 8
MAX_WRITE_CONCURRENCY = 64


@dataclass(frozen=True, kw_only=True)
class IngestHandlerSettings:
    """The ingest function's environment (docs/contract.md, "Ingest")."""

    queue_url: str
    archive_bucket: str
    providers: Mapping[str, Provider[Any]] = field(default_factory=dict)
    environment: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    inline_body_limit: int = DEFAULT_INLINE_BODY_LIMIT
    secrets_refresh_seconds: int = DEFAULT_SECRETS_REFRESH_SECONDS
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "IngestHandlerSettings":
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
            metrics_namespace=env.optional(environ, "METRICS_NAMESPACE", DEFAULT_METRICS_NAMESPACE),
            log_level=env.choice(environ, "LOG_LEVEL", DEFAULT_LOG_LEVEL, LOG_LEVELS),
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


@dataclass(frozen=True, kw_only=True)
class ProcessHandlerSettings:
    """The process function's environment (docs/contract.md, "Process")."""

    table_name: str
    ttl_days: int
    """Days an event is kept (the table's TTL); 0 keeps events forever."""
    environment: str
    archive_bucket: str
    """The bucket of claim-checked bodies, read back and checked before their event is stored."""
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    log_level: str = DEFAULT_LOG_LEVEL
    write_concurrency: int = DEFAULT_WRITE_CONCURRENCY
    """Records of a batch written at once (1: one after another)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "ProcessHandlerSettings":
        """Read and validate the variables; raise `SettingsError` naming the faulty one."""
        return cls(
            table_name=env.required(environ, "TABLE_NAME"),
            ttl_days=env.whole_number(environ, "EVENT_TTL_DAYS", None, 0),
            environment=env.required(environ, "ENVIRONMENT"),
            archive_bucket=env.required(environ, "ARCHIVE_BUCKET"),
            metrics_namespace=env.optional(environ, "METRICS_NAMESPACE", DEFAULT_METRICS_NAMESPACE),
            log_level=env.choice(environ, "LOG_LEVEL", DEFAULT_LOG_LEVEL, LOG_LEVELS),
            write_concurrency=env.whole_number(
                environ, "WRITE_CONCURRENCY", DEFAULT_WRITE_CONCURRENCY, 1, MAX_WRITE_CONCURRENCY
            ),
        )

    def to_environ(self) -> dict[str, str]:
        """The variables `from_environ` reads back into these settings."""
        return {
            "TABLE_NAME": self.table_name,
            "EVENT_TTL_DAYS": str(self.ttl_days),
            "ENVIRONMENT": self.environment,
            "ARCHIVE_BUCKET": self.archive_bucket,
            "METRICS_NAMESPACE": self.metrics_namespace,
            "LOG_LEVEL": self.log_level,
            "WRITE_CONCURRENCY": str(self.write_concurrency),
        }


DEFAULT_PUBLISH_SOURCE_PREFIX = "webhooks."


@dataclass(frozen=True, kw_only=True)
class PublishHandlerSettings:
    """The publish function's environment (docs/contract.md, "Publish")."""

    event_bus_name: str
    """Name or ARN of the stack's bus: every event goes there."""
    environment: str
    archive_bucket: str = ""
    """Where claim-checked bodies are (read only for `MATCH_PATHS`) and where a body whose
    event would not fit is written (empty: such a body cannot be published inline and fails)."""
    match_paths: tuple[str, ...] = ()
    """Dotted payload paths the subscribers filter on: carried in `detail.match`."""
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "PublishHandlerSettings":
        """Read and validate the variables; raise `SettingsError` naming the faulty one."""
        paths = tuple(p for p in env.optional(environ, "MATCH_PATHS", "").split(",") if p)
        for path in paths:
            if not all(part.strip() for part in path.split(".")):
                raise env.SettingsError(
                    f"environment variable MATCH_PATHS holds an invalid path {path!r}"
                )
        return cls(
            event_bus_name=env.required(environ, "EVENT_BUS_NAME"),
            environment=env.required(environ, "ENVIRONMENT"),
            archive_bucket=environ.get("ARCHIVE_BUCKET", "").strip(),
            match_paths=paths,
            metrics_namespace=env.optional(environ, "METRICS_NAMESPACE", DEFAULT_METRICS_NAMESPACE),
            log_level=env.choice(environ, "LOG_LEVEL", DEFAULT_LOG_LEVEL, LOG_LEVELS),
        )

    def to_environ(self) -> dict[str, str]:
        """The variables `from_environ` reads back into these settings."""
        return {
            "EVENT_BUS_NAME": self.event_bus_name,
            "ENVIRONMENT": self.environment,
            "ARCHIVE_BUCKET": self.archive_bucket,
            "MATCH_PATHS": ",".join(self.match_paths),
            "METRICS_NAMESPACE": self.metrics_namespace,
            "LOG_LEVEL": self.log_level,
        }
