"""The process function's configuration (docs/contract.md "Environment variables"), read once."""

from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(ValueError):
    """An environment variable is missing or invalid; the message names it and what is allowed."""


@dataclass(frozen=True, slots=True)
class ProcessSettings:
    table_name: str
    ttl_days: int
    metrics_namespace: str
    environment: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "ProcessSettings":
        ttl_text = _required(environ, "EVENT_TTL_DAYS")
        if not (ttl_text.isascii() and ttl_text.isdigit()):
            raise SettingsError(
                f"EVENT_TTL_DAYS must be a whole number of days >= 0 (0 = never), got {ttl_text!r}"
            )
        return cls(
            table_name=_required(environ, "TABLE_NAME"),
            ttl_days=int(ttl_text),
            metrics_namespace=environ.get("METRICS_NAMESPACE") or "Webhooks",
            environment=_required(environ, "ENVIRONMENT"),
        )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} must be set (see docs/contract.md)")
    return value
