"""The publish function's settings: its environment variables, their rules and defaults (the
one owner of this contract, as `ingest_settings` is of the ingest function's)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from . import Record
from . import environ as env


class PublishHandlerSettings(Record):
    """The publish function's environment (docs/contract.md, "Publish")."""

    __slots__ = (
        "archive_bucket",
        "environment",
        "event_bus_name",
        "log_level",
        "match_paths",
        "metrics_namespace",
    )

    def __init__(
        self,
        event_bus_name: str,
        environment: str,
        archive_bucket: str = "",
        match_paths: tuple[str, ...] = (),
        metrics_namespace: str = env.DEFAULT_METRICS_NAMESPACE,
        log_level: str = env.DEFAULT_LOG_LEVEL,
    ) -> None:
        self.event_bus_name: Final = event_bus_name
        """Name or ARN of the stack's bus: every event goes there."""
        self.environment: Final = environment
        self.archive_bucket: Final = archive_bucket
        """Where claim-checked bodies are (read only for `MATCH_PATHS`) and where a body whose
        event would not fit is written (empty: such a body cannot be published inline and
        fails)."""
        self.match_paths: Final = match_paths
        """Dotted payload paths the subscribers filter on: carried in `detail.match`."""
        self.metrics_namespace: Final = metrics_namespace
        self.log_level: Final = log_level

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> PublishHandlerSettings:
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
            metrics_namespace=env.metrics_namespace(environ),
            log_level=env.log_level(environ),
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
