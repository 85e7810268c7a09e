"""The process function's environment: read once, every fault named."""

import pytest
from webhooks.process_settings import ProcessSettings, SettingsError

VALID = {
    "TABLE_NAME": "webhooks-events-dev",
    "EVENT_TTL_DAYS": "30",
    "METRICS_NAMESPACE": "Webhooks",
    "ENVIRONMENT": "dev",
    "LOG_LEVEL": "INFO",
}


def test_reads_the_contract_variables() -> None:
    assert ProcessSettings.from_env(VALID) == ProcessSettings(
        table_name="webhooks-events-dev",
        ttl_days=30,
        metrics_namespace="Webhooks",
        environment="dev",
    )


def test_ttl_zero_means_never() -> None:
    assert ProcessSettings.from_env({**VALID, "EVENT_TTL_DAYS": "0"}).ttl_days == 0


def test_namespace_defaults_to_webhooks() -> None:
    environ = {k: v for k, v in VALID.items() if k != "METRICS_NAMESPACE"}
    assert ProcessSettings.from_env(environ).metrics_namespace == "Webhooks"


@pytest.mark.parametrize("name", ["TABLE_NAME", "EVENT_TTL_DAYS", "ENVIRONMENT"])
@pytest.mark.parametrize("value", [None, "", "  "])
def test_missing_variable_is_named(name: str, value: str | None) -> None:
    environ = {k: v for k, v in VALID.items() if k != name}
    if value is not None:
        environ[name] = value
    with pytest.raises(SettingsError, match=name):
        ProcessSettings.from_env(environ)


@pytest.mark.parametrize("value", ["-1", "thirty", "1.5", "\u0663", "7d"])
def test_ttl_must_be_whole_days(value: str) -> None:
    with pytest.raises(SettingsError, match=r"EVENT_TTL_DAYS must be a whole number"):
        ProcessSettings.from_env({**VALID, "EVENT_TTL_DAYS": value})
