"""The ingest function's environment stays within Lambda's 4 KB, checked before anything exists."""

import pytest

from hookgate.components.config_error import ConfigError
from hookgate.components.environments.ingest import (
    LAMBDA_ENVIRONMENT_BYTES,
    check_ingest_environment,
    environment_bytes,
    estimated_ingest_variables,
)
from hookgate.components.settings import parse_settings
from tests.components.mockstack import (
    MockedStack,
    built_stack,
    example_secrets,
    run_stack,
    stack_config,
)
from tests.components.test_graph import settings_of


def ingest_variables_of(stack: MockedStack) -> dict[str, str]:
    fn = stack.one("aws:lambda/function:Function", "webhooks-api-function")
    return fn.inputs["environment"]["variables"]


@pytest.mark.parametrize("scenario", ["dev", "prod", "pr-123", "prod-us-east-1"])
def test_estimate_is_the_environment_the_function_gets(scenario: str) -> None:
    """Mocked ARNs have AWS's lengths (12-digit account, 6-character secret suffix), so the
    estimate must match the declared environment byte for byte."""
    stack = built_stack(scenario)
    declared = ingest_variables_of(stack)
    estimate = estimated_ingest_variables(settings_of(stack), stack.outputs["region"])
    assert set(estimate) == set(declared)
    assert environment_bytes(estimate) == environment_bytes(declared)


def test_prod_fits_with_room_to_spare() -> None:
    used = environment_bytes(ingest_variables_of(built_stack("prod")))
    assert used <= LAMBDA_ENVIRONMENT_BYTES
    assert used < LAMBDA_ENVIRONMENT_BYTES / 2


def _providers(count: int) -> dict[str, dict[str, object]]:
    acme = stack_config("dev")["webhooks:providers"]["acme"]
    return {f"partner-{index:02d}": dict(acme) for index in range(count)}


def test_sixty_providers_are_refused_before_anything_is_created() -> None:
    config = stack_config("prod")
    config["webhooks:providers"] = _providers(60)
    with pytest.raises(ConfigError) as raised:
        run_stack("prod", config=config)
    assert raised.value.key == "webhooks:providers"
    message = str(raised.value)
    assert message.startswith("webhooks:providers = '60 providers' is not allowed")
    assert f"Lambda's {LAMBDA_ENVIRONMENT_BYTES} bytes" in message


def test_the_limit_is_where_lambda_puts_it() -> None:
    """The largest accepted provider list deploys an environment within 4096 bytes; one more
    provider is refused, and would not have fitted."""
    config = stack_config("prod")
    count = 0
    while True:
        config["webhooks:providers"] = _providers(count + 1)
        config["webhooks:secrets"] = example_secrets(config)
        raw = {
            k.removeprefix("webhooks:"): v for k, v in config.items() if k.startswith("webhooks:")
        }
        try:
            check_ingest_environment(parse_settings(raw, stack="prod"), "eu-west-1")
        except ConfigError:
            break
        count += 1
    del config["webhooks:secrets"]
    config["webhooks:providers"] = _providers(count)
    used = environment_bytes(ingest_variables_of(run_stack("prod", config=config)))
    assert 0 < count < 60
    assert used <= LAMBDA_ENVIRONMENT_BYTES
    config["webhooks:providers"] = _providers(count + 1)
    with pytest.raises(ConfigError):
        run_stack("prod", config=config)
    assert used + used / count > LAMBDA_ENVIRONMENT_BYTES
