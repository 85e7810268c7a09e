"""The process function's settings: its environment variables, their rules and defaults (the
one owner of this contract, as `ingest_settings` is of the ingest function's)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from . import Record
from . import environ as env

# PutItems in flight per process invocation: 8 writes of 8 ms run in the time of one.
DEFAULT_WRITE_CONCURRENCY = 8
MAX_WRITE_CONCURRENCY = 64


class ProcessHandlerSettings(Record):
    """The process function's environment (docs/contract.md, "Process")."""

    __slots__ = (
        "archive_bucket",
        "environment",
        "log_level",
        "metrics_namespace",
        "table_name",
        "ttl_days",
        "write_concurrency",
    )

    def __init__(
        self,
        table_name: str,
        ttl_days: int,
        environment: str,
        archive_bucket: str,
        metrics_namespace: str = env.DEFAULT_METRICS_NAMESPACE,
        log_level: str = env.DEFAULT_LOG_LEVEL,
        write_concurrency: int = DEFAULT_WRITE_CONCURRENCY,
    ) -> None:
        self.table_name: Final = table_name
        self.ttl_days: Final = ttl_days
        """Days an event is kept (the table's TTL); 0 keeps events forever."""
        self.environment: Final = environment
        self.archive_bucket: Final = archive_bucket
        """The bucket of claim-checked bodies, read back and checked before their event is
        stored."""
        self.metrics_namespace: Final = metrics_namespace
        self.log_level: Final = log_level
        self.write_concurrency: Final = write_concurrency
        """Records of a batch written at once (1: one after another)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> ProcessHandlerSettings:
        """Read and validate the variables; raise `SettingsError` naming the faulty one."""
        return cls(
            table_name=env.required(environ, "TABLE_NAME"),
            ttl_days=env.whole_number(environ, "EVENT_TTL_DAYS", None, 0),
            environment=env.required(environ, "ENVIRONMENT"),
            archive_bucket=env.required(environ, "ARCHIVE_BUCKET"),
            metrics_namespace=env.metrics_namespace(environ),
            log_level=env.log_level(environ),
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
