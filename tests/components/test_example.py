"""examples/minimal builds a pipeline from plain typed arguments (no `webhooks:` stack config)."""

from __future__ import annotations

import json

import pytest

from hookgate import HANDLERS_DIR
from local.mockrun import run_program
from policy import rules
from tests.components.mockstack import PROJECT_DIR, AwsMocks, MockedStack, built_stack
from tests.policy.resources import as_rule_resource, stack_resources

EXAMPLE_DIR = PROJECT_DIR / "examples" / "minimal"
SECRETS = {"githubSecret": "example-github-secret", "stripeSecret": "whsec_ZXhhbXBsZQ=="}


def run_example(config: dict[str, str]) -> MockedStack:
    """examples/minimal/__main__.py under the mocks tests/components runs the project with."""
    return run_program(
        EXAMPLE_DIR,
        project="webhooks-minimal",
        stack="example",
        config=config,
        secret_keys=[key for key in config if key.endswith("Secret")],
        aws=AwsMocks(),
    )


@pytest.fixture(scope="module")
def example() -> MockedStack:
    return run_example({f"webhooks-minimal:{key}": value for key, value in SECRETS.items()})


def test_two_providers_and_no_alarm_email(example: MockedStack) -> None:
    assert set(example.outputs["webhook_urls"]) == {"github", "stripe"}
    secrets = example.of_type("aws:secretsmanager/secret:Secret")
    assert sorted(s.inputs["name"] for s in secrets) == [
        "webhooks/example/github",
        "webhooks/example/stripe",
    ]
    assert not example.of_type("aws:sns/topicSubscription:TopicSubscription")
    # the pipeline's and the delivery's alarms, as in the project's own stacks (without the
    # per-subscriber ones: the example configures no subscriber)
    alarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
    alarms = {a.name for a in example.of_type(alarm)}
    own = {a.name for a in built_stack("dev").of_type(alarm) if "-sub-" not in a.name}
    assert alarms == own and len(alarms) >= 11
    assert example.outputs["table_name"] == "webhooks-events-example"


def test_the_typed_arguments_reach_the_resources(example: MockedStack) -> None:
    process = next(
        f
        for f in example.of_type("aws:lambda/function:Function")
        if f.inputs["name"] == "webhooks-process-example"
    )
    assert process.inputs["timeout"] == 20
    mapping = example.one(
        "aws:lambda/eventSourceMapping:EventSourceMapping", "webhooks-processor-queue-mapping"
    ).inputs
    assert mapping["scalingConfig"] == {"maximumConcurrency": 5}
    queue = example.one("aws:sqs/queue:Queue", "webhooks-queue-queue").inputs
    assert queue["visibilityTimeoutSeconds"] == 120
    for group in example.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["retentionInDays"] == 14
    ingest = next(
        f
        for f in example.of_type("aws:lambda/function:Function")
        if f.inputs["name"] == "webhooks-ingest-example"
    )
    providers = json.loads(ingest.inputs["environment"]["variables"]["PROVIDERS"])
    assert providers["stripe"]["tolerance_seconds"] == 600  # not the default 300
    # The code is the handlers hookgate ships, relative to the program's directory (where
    # Pulumi resolves asset paths).
    packaged = ingest.inputs["code"].assets
    assert (EXAMPLE_DIR / packaged["ingest.py"].path).resolve() == HANDLERS_DIR / "ingest.py"


def test_secrets_stay_secret(example: MockedStack) -> None:
    for version in example.of_type("aws:secretsmanager/secretVersion:SecretVersion"):
        assert version.secret_inputs == {"secretString"}
    for resource in example.resources:
        if not resource.secret_inputs:
            text = json.dumps(resource.inputs, default=str)
            assert not any(value in text for value in SECRETS.values()), resource.name


def test_the_policy_pack_accepts_the_example(example: MockedStack) -> None:
    for rule in rules.RESOURCE_RULES:
        for resource in example.resources:
            if resource.type in rule.types:
                assert rule.check(as_rule_resource(resource)) == [], rule.name
    assert {k: v for k, v in rules.check_stack(stack_resources(example)).items() if v} == {}


def test_a_missing_secret_names_the_key() -> None:
    with pytest.raises(Exception, match="stripeSecret"):
        run_example({"webhooks-minimal:githubSecret": SECRETS["githubSecret"]})
