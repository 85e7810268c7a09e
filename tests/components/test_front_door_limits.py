"""The HTTP API's stage against what AWS serves (issue 24, findings 7 and 8)."""

import pytest

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import parse_settings
from tests.components.mockstack import MockedStack, built_stack
from tests.components.test_settings import minimal

# ---- finding 8: a burst the ingest function's reserved concurrency cannot serve ----


def test_a_burst_above_the_reserved_concurrency_is_refused() -> None:
    raw = minimal(ingest={"reservedConcurrency": 200}, api={"throttlingBurstLimit": 1000})
    with pytest.raises(ConfigError) as raised:
        parse_settings(raw)
    assert raised.value.key == "webhooks:api.throttlingBurstLimit"
    assert raised.value.value == 1000
    assert "ingest.reservedConcurrency (200)" in raised.value.allowed


def test_an_unset_burst_is_capped_at_the_reserved_concurrency() -> None:
    settings = parse_settings(minimal(ingest={"reservedConcurrency": 50}))
    assert settings.api_throttling_burst_limit == 50
    assert parse_settings(minimal()).api_throttling_burst_limit == 200  # nothing reserved
    given = minimal(ingest={"reservedConcurrency": 50}, api={"throttlingBurstLimit": 50})
    assert parse_settings(given).api_throttling_burst_limit == 50


def test_prods_burst_fits_its_reserved_concurrency() -> None:
    prod = built_stack("prod")
    stage = prod.one("aws:apigatewayv2/stage:Stage").inputs["defaultRouteSettings"]
    ingest = prod.one("aws:lambda/function:Function", "webhooks-api-function").inputs
    assert stage["throttlingBurstLimit"] <= ingest["reservedConcurrentExecutions"]


# ---- finding 7: access logs outside /aws/vendedlogs/ fill the account's log policy ----


@pytest.mark.parametrize("scenario", ["dev", "prod", "pr-123", "domain-zone"])
def test_access_logs_are_vended_logs(scenario: str) -> None:
    stack: MockedStack = built_stack(scenario)
    group = stack.one("aws:cloudwatch/logGroup:LogGroup", "webhooks-api-access-logs")
    assert group.inputs["name"].startswith("/aws/vendedlogs/")
    stage = stack.one("aws:apigatewayv2/stage:Stage").inputs
    assert stage["accessLogSettings"]["destinationArn"] == group.state["arn"]
