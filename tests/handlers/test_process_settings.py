"""The process function's environment: read once, every fault named."""

import pytest

from webhooks.environ import SettingsError
from webhooks.process_settings import ProcessHandlerSettings

VALID = {
    "TABLE_NAME": "webhooks-events-dev",
    "EVENT_TTL_DAYS": "30",
    "METRICS_NAMESPACE": "Webhooks",
    "ENVIRONMENT": "dev",
    "ARCHIVE_BUCKET": "webhooks-archive-dev",
    "LOG_LEVEL": "INFO",
}


def test_reads_the_contract_variables() -> None:
    assert ProcessHandlerSettings.from_environ(VALID) == ProcessHandlerSettings(
        table_name="webhooks-events-dev",
        ttl_days=30,
        metrics_namespace="Webhooks",
        environment="dev",
        archive_bucket="webhooks-archive-dev",
        log_level="INFO",
    )


def test_to_environ_reads_back_into_the_same_settings() -> None:
    settings = ProcessHandlerSettings.from_environ({**VALID, "LOG_LEVEL": "DEBUG"})
    assert settings.log_level == "DEBUG"
    assert ProcessHandlerSettings.from_environ(settings.to_environ()) == settings


def test_ttl_zero_means_never() -> None:
    assert ProcessHandlerSettings.from_environ({**VALID, "EVENT_TTL_DAYS": "0"}).ttl_days == 0


def test_namespace_defaults_to_webhooks() -> None:
    environ = {k: v for k, v in VALID.items() if k != "METRICS_NAMESPACE"}
    assert ProcessHandlerSettings.from_environ(environ).metrics_namespace == "Webhooks"


@pytest.mark.parametrize("name", ["TABLE_NAME", "EVENT_TTL_DAYS", "ENVIRONMENT", "ARCHIVE_BUCKET"])
@pytest.mark.parametrize("value", [None, "", "  "])
def test_missing_variable_is_named(name: str, value: str | None) -> None:
    environ = {k: v for k, v in VALID.items() if k != name}
    if value is not None:
        environ[name] = value
    with pytest.raises(SettingsError, match=f"^environment variable {name} ") as caught:
        ProcessHandlerSettings.from_environ(environ)
    if name != "EVENT_TTL_DAYS":  # a missing TTL reads "must be an integer of at least 0, got ''"
        assert str(caught.value) == f"environment variable {name} is required"


@pytest.mark.parametrize("value", ["-1", "thirty", "1.5", "\u0663", "7d"])
def test_ttl_must_be_whole_days(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        ProcessHandlerSettings.from_environ({**VALID, "EVENT_TTL_DAYS": value})
    assert str(caught.value) == (
        f"environment variable EVENT_TTL_DAYS must be an integer of at least 0, got {value!r}"
    )


def test_defaults_and_log_level() -> None:
    environ = {k: v for k, v in VALID.items() if k not in ("METRICS_NAMESPACE", "LOG_LEVEL")}
    settings = ProcessHandlerSettings.from_environ(environ)
    assert (settings.metrics_namespace, settings.log_level) == ("Webhooks", "INFO")
    with pytest.raises(SettingsError, match="LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"):
        ProcessHandlerSettings.from_environ({**VALID, "LOG_LEVEL": "TRACE"})
