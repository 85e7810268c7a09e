"""Reading a handler's environment variables: the handlers' one error type, its readers, and
the two variables every function has (`LOG_LEVEL`, `METRICS_NAMESPACE`) with their defaults."""

from __future__ import annotations

from collections.abc import Mapping

from .observability import DEFAULT_LEVEL, LEVELS

LOG_LEVELS = tuple(LEVELS)
DEFAULT_LOG_LEVEL = DEFAULT_LEVEL
DEFAULT_METRICS_NAMESPACE = "Webhooks"


class SettingsError(ValueError):
    """A handler's environment is missing or invalid; the message names the variable.

    The ingest function answers 503 while it stands (senders retry), the process function fails
    the whole batch (SQS delivers it again): nothing is lost while the stack is fixed.
    """


def required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is required")
    return value


def optional(environ: Mapping[str, str], name: str, default: str) -> str:
    return environ.get(name, "").strip() or default


def whole_number(
    environ: Mapping[str, str], name: str, default: int | None, low: int, high: int | None = None
) -> int:
    """A decimal integer from `low` (to `high` if given); `default` when unset (None: required)."""
    text = environ.get(name, "").strip()
    if not text:
        if default is None:
            raise SettingsError(f"environment variable {name} is required")
        return default
    number = int(text) if text.isascii() and text.isdigit() else None
    if number is None or number < low or (high is not None and number > high):
        if high is not None:
            rule = f"an integer from {low} to {high}"
        elif low == 1:
            rule = "a positive integer"
        else:
            rule = f"an integer of at least {low}"
        raise SettingsError(f"environment variable {name} must be {rule}, got {text!r}")
    return number


def choice(environ: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = optional(environ, name, default).upper()
    if value not in allowed:
        raise SettingsError(f"environment variable {name} must be one of {', '.join(allowed)}")
    return value


def log_level(environ: Mapping[str, str]) -> str:
    """`LOG_LEVEL`: one of `LOG_LEVELS`, `DEFAULT_LOG_LEVEL` when unset."""
    return choice(environ, "LOG_LEVEL", DEFAULT_LOG_LEVEL, LOG_LEVELS)


def metrics_namespace(environ: Mapping[str, str]) -> str:
    """`METRICS_NAMESPACE`: the CloudWatch namespace of the function's metrics."""
    return optional(environ, "METRICS_NAMESPACE", DEFAULT_METRICS_NAMESPACE)
