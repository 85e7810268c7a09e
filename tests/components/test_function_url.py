"""`webhooks:api.kind`: the function URL front door's graph, and the settings that guard it."""

from typing import Any

import pytest

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import parse_settings
from local.mockrun import MockedStack
from tests.components.mockstack import built_stack
from tests.components.test_settings import minimal

URL = "aws:lambda/functionUrl:FunctionUrl"
PERMISSION = "aws:lambda/permission:Permission"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.fixture(scope="module")
def url_stack() -> MockedStack:
    return built_stack("function-url")


def _alarm(stack: MockedStack, suffix: str) -> Any:
    return stack.one(ALARM, f"webhooks-{suffix}")


def test_the_ingest_function_gets_a_public_url_and_no_api_gateway(url_stack: MockedStack) -> None:
    url = url_stack.one(URL)
    assert url.inputs["authorizationType"] == "NONE"
    assert url.inputs["functionName"] == "webhooks-ingest-prod"
    assert url.inputs["invokeMode"] == "BUFFERED"
    assert not [r for r in url_stack.resources if r.type.startswith("aws:apigatewayv2/")]
    assert not [g for g in url_stack.of_type("aws:cloudwatch/logGroup:LogGroup")
                if "apigateway" in g.inputs["name"]]  # fmt: skip


def test_both_public_invoke_permissions_exist_before_the_url(url_stack: MockedStack) -> None:
    permissions = {p.inputs["action"]: p for p in url_stack.of_type(PERMISSION)}
    url_permission = permissions["lambda:InvokeFunctionUrl"]
    assert url_permission.inputs["principal"] == "*"
    assert url_permission.inputs["functionUrlAuthType"] == "NONE"
    invoke = permissions["lambda:InvokeFunction"]
    assert invoke.inputs["principal"] == "*" and invoke.inputs["invokedViaFunctionUrl"] is True
    url = url_stack.one(URL)
    assert {url_permission.urn, invoke.urn} <= set(url.dependencies)
    versions = url_stack.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert versions and {v.urn for v in versions} <= set(url.dependencies)


def test_outputs_keep_their_names_and_shapes(url_stack: MockedStack) -> None:
    http = built_stack("prod")
    assert set(url_stack.outputs) == set(http.outputs)
    base = url_stack.outputs["webhook_base_url"]
    assert base == "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/webhooks"
    assert url_stack.outputs["webhook_urls"] == {
        name: f"{base}/{name}" for name in http.outputs["webhook_urls"]
    }
    assert url_stack.outputs["api_domain_target"] is None


def test_api_alarms_become_lambda_url_and_throttle_alarms(url_stack: MockedStack) -> None:
    five = _alarm(url_stack, "api-5xx")
    assert (five.inputs["namespace"], five.inputs["metricName"]) == ("AWS/Lambda", "Url5xxCount")
    assert five.inputs["dimensions"] == {"FunctionName": "webhooks-ingest-prod"}
    throttles = _alarm(url_stack, "ingest-throttles")
    assert (throttles.inputs["namespace"], throttles.inputs["metricName"]) == (
        "AWS/Lambda",
        "Throttles",
    )
    http_five = _alarm(built_stack("prod"), "api-5xx")
    assert http_five.inputs["namespace"] == "AWS/ApiGateway"


def test_the_reserved_concurrency_is_the_throttle(url_stack: MockedStack) -> None:
    ingest = url_stack.one("aws:lambda/function:Function", "webhooks-api-function")
    assert ingest.inputs["reservedConcurrentExecutions"] == 200  # the prod file's


def test_http_api_is_the_default_and_declares_no_function_url() -> None:
    assert parse_settings(minimal()).api.kind == "httpApi"
    assert built_stack("dev").of_type(URL) == []


def _url(**changes: Any) -> dict[str, Any]:
    raw = minimal(**changes)
    raw["api"] = {"kind": "functionUrl", **raw.get("api", {})}
    return raw


def test_function_url_settings() -> None:
    settings = parse_settings(_url(ingest={"reservedConcurrency": 10}))
    assert settings.api.kind == "functionUrl"
    assert settings.ingest.reserved_concurrency == 10


@pytest.mark.parametrize(
    ("raw", "key", "allowed"),
    [
        (_url(), "webhooks:ingest.reservedConcurrency", "with api.kind functionUrl"),
        (
            _url(
                ingest={"reservedConcurrency": 10},
                api={"domainName": "hooks.example.com", "hostedZoneId": "Z0123ABC"},
            ),
            "webhooks:api.domainName",
            "CloudFront",
        ),
        (
            _url(ingest={"reservedConcurrency": 10}, api={"throttlingRateLimit": 5}),
            "webhooks:api.throttlingRateLimit",
            "ingest.reservedConcurrency throttles it",
        ),
        (minimal(api={"kind": "restApi"}), "webhooks:api.kind", "httpApi, functionUrl"),
    ],
)
def test_function_url_misconfigurations_name_key_value_and_what_is_allowed(
    raw: dict[str, Any], key: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings(raw)
    assert error.value.key == key
    assert allowed in error.value.allowed
