"""HTTP destinations (`webhooks:subscribers.<name>.http`): validated where config enters, built
as one component per destination with a role allowed exactly what its function calls."""

import json
from typing import Any

import pytest

from hookgate.components.config_error import ConfigError
from hookgate.components.http_settings import HttpSettings
from tests.components.mockstack import MockedStack, _with, run_stack
from tests.components.test_subscribers import parse
from webhooks.keys import LOCAL_STACK_VARIABLE

ORDERS: dict[str, Any] = {
    "providers": ["stripe"],
    "eventTypes": ["invoice.*"],
    "http": {
        "url": "https://orders.internal.example.com/webhooks",
        "rateLimitPerSecond": 20,
        "timeoutSeconds": 10,
        "maxAgeHours": 24,
        "headers": {"X-Team": "orders"},
    },
}


def test_the_issues_example_parses() -> None:
    [sub] = parse({"orders": ORDERS})
    assert sub.managed
    assert sub.http == HttpSettings(
        url="https://orders.internal.example.com/webhooks",
        rate_limit_per_second=20,
        timeout_seconds=10,
        max_age_hours=24,
        body="original",
        headers=(("X-Team", "orders"),),
    )


def with_http(**changes: Any) -> dict[str, Any]:
    return {"orders": {**ORDERS, "http": {**ORDERS["http"], **changes}}}


@pytest.mark.parametrize(
    ("changes", "key", "allowed"),
    [
        ({"url": "http://orders.example.com/"}, "http.url", "http:// only in the local stack"),
        ({"url": "ftp://orders.example.com/"}, "http.url", "https:// URL"),
        ({"url": "https://user:pw@orders.example.com/"}, "http.url", "no credentials"),
        ({"url": "https:///path"}, "http.url", "with a host"),
        ({"rateLimitPerSecond": 0}, "http.rateLimitPerSecond", "1 to 1000"),
        ({"rateLimitPerSecond": True}, "http.rateLimitPerSecond", "1 to 1000"),
        ({"timeoutSeconds": 61}, "http.timeoutSeconds", "1 to 60"),
        ({"maxAgeHours": 100}, "http.maxAgeHours", "1 to 72"),
        ({"body": "json"}, "http.body", "original, event"),
        ({"headers": {"Connection": "close"}}, "http.headers.Connection", "hop-by-hop"),
        ({"headers": {"webhook-signature": "x"}}, "http.headers.webhook-signature", "signature"),
        ({"headers": {"X-A": "line\nbreak"}}, "http.headers.X-A", "printable ASCII"),
        ({"headers": {"bad name": "x"}}, "http.headers.bad name", "RFC 9110 token"),
        ({"vpc": {"subnetIds": ["subnet-1"]}}, "http.vpc", "subnetIds and securityGroupIds"),
        (
            {"vpc": {"subnetIds": ["subnet-x"], "securityGroupIds": ["sg-0123456789abcdef0"]}},
            "http.vpc.subnetIds",
            "subnet ids",
        ),
        ({"retries": 3}, "http.retries", "known keys"),
    ],
)
def test_bad_http_settings_name_key_value_and_rule(
    changes: dict[str, Any], key: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse(with_http(**changes))
    assert error.value.key == f"webhooks:subscribers.orders.{key}"
    assert allowed in error.value.allowed


def test_http_and_target_exclude_each_other() -> None:
    with pytest.raises(ConfigError, match="either target or http"):
        parse({"orders": {**ORDERS, "target": "arn:aws:sqs:eu-west-1:210987654321:q"}})


def test_plain_http_only_in_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOCAL_STACK_VARIABLE, "1")
    [sub] = parse(with_http(url="http://127.0.0.1:8080/hook"))
    assert sub.http is not None and sub.http.url == "http://127.0.0.1:8080/hook"


@pytest.fixture(scope="module")
def stack() -> MockedStack:
    other = {"http": {"url": "https://b.example.com/", "body": "event", "rateLimitPerSecond": 5}}
    return run_stack("dev", config=_with("dev", subscribers={"orders": ORDERS, "other": other}))


def _policy(stack: MockedStack, name: str) -> list[dict[str, Any]]:
    policy = stack.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"]
    statements: list[dict[str, Any]] = json.loads(policy)["Statement"]
    return statements


def test_each_destination_gets_its_function_mapping_secret_table_and_alarm(
    stack: MockedStack,
) -> None:
    functions = {
        f.inputs["name"]: f.inputs
        for f in stack.of_type("aws:lambda/function:Function")
        if f.inputs["handler"] == "deliver.handler"
    }
    assert sorted(functions) == ["webhooks-deliver-orders-dev", "webhooks-deliver-other-dev"]
    env = functions["webhooks-deliver-orders-dev"]["environment"]["variables"]
    assert env["URL"] == ORDERS["http"]["url"]
    assert env["RATE_PER_SECOND"] == "20"
    assert env["MAX_AGE_SECONDS"] == str(24 * 3600)
    assert json.loads(env["HEADERS"]) == {"X-Team": "orders"}
    assert env["DLQ_URL"].endswith("/webhooks-sub-orders-dlq-dev")
    assert env["QUEUE_URL"].endswith("/webhooks-sub-orders-dev")
    mappings = [
        m.inputs
        for m in stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
        if "sub-orders" in m.inputs["eventSourceArn"]
    ]
    assert len(mappings) == 1
    assert mappings[0]["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mappings[0]["scalingConfig"]["maximumConcurrency"] == 2
    secrets = [s.inputs["name"] for s in stack.of_type("aws:secretsmanager/secret:Secret")]
    assert "webhooks/dev/destinations/orders" in secrets
    alarms = [a.inputs for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")]
    breaker = [a for a in alarms if a["metricName"] == "BreakerOpened"]
    assert {a["dimensions"]["Destination"] for a in breaker} == {"orders", "other"}
    assert stack.outputs["subscriber_http"]["orders"]["url"] == ORDERS["http"]["url"]


def test_the_http_queue_outlives_the_function_and_redrives_late(stack: MockedStack) -> None:
    queue = stack.one("aws:sqs/queue:Queue", "webhooks-bus-sub-orders-queue").inputs
    function = next(
        f.inputs
        for f in stack.of_type("aws:lambda/function:Function")
        if f.inputs["name"] == "webhooks-deliver-orders-dev"
    )
    assert queue["visibilityTimeoutSeconds"] >= function["timeout"]
    assert json.loads(queue["redrivePolicy"])["maxReceiveCount"] == 1000


def test_the_role_reads_exactly_its_queue_secret_table_and_providers_bodies(
    stack: MockedStack,
) -> None:
    statements = _policy(stack, "webhooks-http-orders-function-policy")
    by_action = {a: s["Resource"] for s in statements for a in s["Action"]}
    queue = "arn:aws:sqs:eu-west-1:123456789012:webhooks-sub-orders-dev"
    assert by_action["sqs:ReceiveMessage"] == [queue]
    # Retries are re-sent to its own queue; final failures to its DLQ.
    assert sorted(
        r for s in statements if "sqs:SendMessage" in s["Action"] for r in s["Resource"]
    ) == [queue, "arn:aws:sqs:eu-west-1:123456789012:webhooks-sub-orders-dlq-dev"]
    # Stored events: only its providers' items (every key starts with the provider's name).
    [events] = [s for s in statements if "table/webhooks-events-dev" in s["Resource"][0]]
    assert events["Action"] == ["dynamodb:GetItem"]
    assert events["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["stripe#*", "stripe!*"]}
    }
    # The state table: its two items read and updated; no attempt log written there.
    assert not any("dynamodb:PutItem" in s["Action"] for s in statements)
    assert len(by_action["secretsmanager:GetSecretValue"]) == 1
    assert "destinations/orders" in by_action["secretsmanager:GetSecretValue"][0]
    assert [r.rsplit(":::", 1)[1].split("/", 1)[1] for r in by_action["s3:GetObject"]] == [
        "bodies/stripe/*"
    ]
    assert not any(r == "*" for s in statements for r in s["Resource"])
    # The `event` body needs neither the events table nor the archive.
    other = {a for s in _policy(stack, "webhooks-http-other-function-policy") for a in s["Action"]}
    assert "s3:GetObject" not in other
    assert other >= {"sqs:ChangeMessageVisibility", "dynamodb:UpdateItem"}


def test_the_deliver_handler_reads_the_programs_environment(stack: MockedStack) -> None:
    from webhooks.destination_settings import DestinationSettings

    env = next(
        f.inputs["environment"]["variables"]
        for f in stack.of_type("aws:lambda/function:Function")
        if f.inputs["name"] == "webhooks-deliver-orders-dev"
    )
    settings = DestinationSettings.from_environ(env)
    assert settings.to_environ() == env
    assert (settings.rate_per_second, settings.timeout_seconds, settings.body) == (
        20,
        10,
        "original",
    )
    assert settings.headers == (("X-Team", "orders"),)


@pytest.mark.parametrize(
    ("rate", "batch", "concurrency"),
    [(1, 1, 2), (5, 5, 2), (20, 10, 2), (25, 10, 3), (1000, 10, 100)],
)
def test_batch_and_concurrency_follow_the_rate(rate: int, batch: int, concurrency: int) -> None:
    from hookgate.components.http_destination import batch_size, maximum_concurrency

    http = HttpSettings(url="https://x.example/", rate_limit_per_second=rate)
    assert (batch_size(http), maximum_concurrency(http)) == (batch, concurrency)
