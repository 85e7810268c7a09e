"""The deliver function's settings: one HTTP destination's environment variables, their rules
and defaults (the one owner of this contract; components/http_destination.py writes them)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Final

from . import Record
from . import environ as env

BODIES = ("original", "event")
MAX_RATE = 1000
MAX_TIMEOUT_SECONDS = 60
MAX_AGE_SECONDS = 72 * 3600


class DestinationSettings(Record):
    """The deliver function's environment (docs/contract.md, "Deliver")."""

    __slots__ = (
        "archive_bucket",
        "body",
        "destination",
        "dlq_url",
        "environment",
        "events_table",
        "headers",
        "log_level",
        "max_age_seconds",
        "metrics_namespace",
        "queue_url",
        "rate_per_second",
        "secret_arn",
        "state_table",
        "timeout_seconds",
        "url",
    )

    def __init__(
        self,
        *,
        destination: str,
        url: str,
        secret_arn: str,
        state_table: str,
        events_table: str,
        archive_bucket: str,
        queue_url: str,
        dlq_url: str,
        environment: str,
        rate_per_second: int = 10,
        timeout_seconds: int = 10,
        max_age_seconds: int = 24 * 3600,
        body: str = "original",
        headers: tuple[tuple[str, str], ...] = (),
        metrics_namespace: str = env.DEFAULT_METRICS_NAMESPACE,
        log_level: str = env.DEFAULT_LOG_LEVEL,
    ) -> None:
        self.destination: Final = destination
        """The subscriber's name: the metrics' `Destination` dimension."""
        self.url: Final = url
        self.secret_arn: Final = secret_arn
        """`{"secrets": ["whsec_<current>", "whsec_<previous>"]}`: every listed one signs."""
        self.state_table: Final = state_table
        """The destination's rate-limit, breaker and attempt-log items."""
        self.events_table: Final = events_table
        self.archive_bucket: Final = archive_bucket
        self.queue_url: Final = queue_url
        self.dlq_url: Final = dlq_url
        self.environment: Final = environment
        self.rate_per_second: Final = rate_per_second
        self.timeout_seconds: Final = timeout_seconds
        self.max_age_seconds: Final = max_age_seconds
        self.body: Final = body
        self.headers: Final = headers
        self.metrics_namespace: Final = metrics_namespace
        self.log_level: Final = log_level

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> DestinationSettings:
        """Read and validate the variables; raise `SettingsError` naming the faulty one."""
        body = env.optional(environ, "BODY", "original")
        if body not in BODIES:
            raise env.SettingsError(f"environment variable BODY must be one of {', '.join(BODIES)}")
        try:
            raw_headers = json.loads(env.optional(environ, "HEADERS", "{}"))
        except ValueError:
            raw_headers = None
        if not isinstance(raw_headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw_headers.items()
        ):
            raise env.SettingsError("environment variable HEADERS must be a JSON object of strings")
        return cls(
            destination=env.required(environ, "DESTINATION"),
            url=env.required(environ, "URL"),
            secret_arn=env.required(environ, "SECRET_ARN"),
            state_table=env.required(environ, "STATE_TABLE"),
            events_table=env.required(environ, "EVENTS_TABLE"),
            archive_bucket=env.required(environ, "ARCHIVE_BUCKET"),
            queue_url=env.required(environ, "QUEUE_URL"),
            dlq_url=env.required(environ, "DLQ_URL"),
            environment=env.required(environ, "ENVIRONMENT"),
            rate_per_second=env.whole_number(environ, "RATE_PER_SECOND", 10, 1, MAX_RATE),
            timeout_seconds=env.whole_number(
                environ, "TIMEOUT_SECONDS", 10, 1, MAX_TIMEOUT_SECONDS
            ),
            max_age_seconds=env.whole_number(
                environ, "MAX_AGE_SECONDS", 24 * 3600, 60, MAX_AGE_SECONDS
            ),
            body=body,
            headers=tuple(raw_headers.items()),
            metrics_namespace=env.metrics_namespace(environ),
            log_level=env.log_level(environ),
        )

    def to_environ(self) -> dict[str, str]:
        """The variables `from_environ` reads back into these settings."""
        return {
            "DESTINATION": self.destination,
            "URL": self.url,
            "SECRET_ARN": self.secret_arn,
            "STATE_TABLE": self.state_table,
            "EVENTS_TABLE": self.events_table,
            "ARCHIVE_BUCKET": self.archive_bucket,
            "QUEUE_URL": self.queue_url,
            "DLQ_URL": self.dlq_url,
            "ENVIRONMENT": self.environment,
            "RATE_PER_SECOND": str(self.rate_per_second),
            "TIMEOUT_SECONDS": str(self.timeout_seconds),
            "MAX_AGE_SECONDS": str(self.max_age_seconds),
            "BODY": self.body,
            "HEADERS": json.dumps(dict(self.headers), separators=(",", ":")),
            "METRICS_NAMESPACE": self.metrics_namespace,
            "LOG_LEVEL": self.log_level,
        }
