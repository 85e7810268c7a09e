"""Physical names: unique per stack (and per region where AWS names are account-global), within
AWS's length limits, and unchanged for what holds data in `dev` and `prod`."""

import itertools
import re

import pytest

from components import naming
from tests.infra.mockstack import MockedResource, MockedStack, built_stack, run_stack, stack_config

# Types whose names are unique in the whole account (or all of S3), not per region.
ACCOUNT_GLOBAL = {
    "aws:iam/role:Role",
    "aws:s3/bucket:Bucket",
    "aws:cloudwatch/dashboard:Dashboard",
}
NAME_INPUT = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
}
# Names scoped inside another resource (an inline role policy, a stage of its API).
NESTED = {"aws:iam/rolePolicy:RolePolicy", "aws:apigatewayv2/stage:Stage"}
LIMITS = {
    "aws:iam/role:Role": naming.IAM_ROLE,
    "aws:lambda/function:Function": naming.LAMBDA_FUNCTION,
    "aws:sqs/queue:Queue": naming.SQS_QUEUE,
    "aws:s3/bucket:Bucket": naming.S3_BUCKET,
    "aws:secretsmanager/secret:Secret": naming.SECRET,
    "aws:cloudwatch/logGroup:LogGroup": naming.LOG_GROUP,
    "aws:dynamodb/table:Table": naming.DYNAMODB_TABLE,
    "aws:sns/topic:Topic": naming.SNS_TOPIC,
    "aws:cloudwatch/metricAlarm:MetricAlarm": naming.ALARM,
    "aws:cloudwatch/dashboard:Dashboard": naming.DASHBOARD,
    "aws:apigatewayv2/api:Api": naming.API,
}


def physical_name(resource: MockedResource) -> str | None:
    value = resource.inputs.get(NAME_INPUT.get(resource.type, "name"))
    return value if isinstance(value, str) and resource.custom else None


def names_in_scope(stack: MockedStack) -> set[tuple[str, str, str]]:
    """(scope, type, name) of every named resource; scope is the region or `account`."""
    region = stack.outputs["region"]
    return {
        ("account" if r.type in ACCOUNT_GLOBAL else region, r.type, name)
        for r in stack.resources
        if r.type not in NESTED and (name := physical_name(r)) is not None
    }


def test_dev_and_prod_keep_the_names_of_what_holds_data() -> None:
    for stack in ("dev", "prod"):
        out = built_stack(stack).outputs
        assert out["table_name"] == f"webhooks-events-{stack}"
        assert out["queue_url"].endswith(f"/webhooks-queue-{stack}")
        assert out["dlq_url"].endswith(f"/webhooks-dlq-{stack}")
        assert out["archive_bucket"] == f"webhooks-archive-{stack}-123456789012-eu-west-1"
        secrets = {
            s.inputs["name"] for s in built_stack(stack).of_type("aws:secretsmanager/secret:Secret")
        }
        assert secrets == {f"webhooks/{stack}/{provider}" for provider in out["providers"]}


def test_review_stack_and_second_region_share_no_physical_name() -> None:
    graphs = {name: built_stack(name) for name in ("dev", "prod", "pr-123", "prod-us-east-1")}
    assert graphs["pr-123"].outputs["table_name"] == "webhooks-events-pr-123"
    assert graphs["prod-us-east-1"].outputs["region"] == "us-east-1"
    names = {scenario: names_in_scope(graph) for scenario, graph in graphs.items()}
    for a, b in itertools.combinations(names, 2):
        assert not names[a] & names[b], (a, b, sorted(names[a] & names[b]))
    roles = {r.inputs["name"] for r in graphs["prod"].of_type("aws:iam/role:Role")}
    assert roles == {
        "webhooks-ingest-prod-eu-west-1",
        "webhooks-process-prod-eu-west-1",
        "webhooks-publish-prod-eu-west-1",
    }


def test_review_stack_keeps_the_dev_profile() -> None:
    review = built_stack("pr-123")
    assert not [r.name for r in review.resources if r.protect]
    table = review.one("aws:dynamodb/table:Table").inputs
    assert table["deletionProtectionEnabled"] is False
    [secret, *_] = review.of_type("aws:secretsmanager/secret:Secret")
    assert secret.inputs["recoveryWindowInDays"] == 0


LONG_STACKS = [
    "feature-" + "x" * 92,  # Pulumi allows 100 characters
    "feature-" + "x" * 91 + "y",
    "Team_Alpha.review-42",
]


@pytest.mark.parametrize("stack", LONG_STACKS)
def test_long_or_unusual_stack_names_fit_every_limit(stack: str) -> None:
    graph = run_stack(stack, config=stack_config("dev"))
    for resource in graph.resources:
        name = physical_name(resource)
        if name is None or resource.type not in LIMITS:
            continue
        assert len(name) <= LIMITS[resource.type], (resource.type, name)
        if resource.type != "aws:secretsmanager/secret:Secret":
            assert re.fullmatch(r"[a-z0-9/_.-]+", name.removeprefix("/aws/")), name
    assert len(graph.outputs["archive_bucket"]) <= naming.S3_BUCKET


def test_shortened_names_are_deterministic_and_distinct() -> None:
    a, b, unusual = LONG_STACKS
    assert naming.regional("queue", a, naming.SQS_QUEUE) == naming.regional(
        "queue", a, naming.SQS_QUEUE
    )
    for limit in (naming.IAM_ROLE, naming.SQS_QUEUE, naming.S3_BUCKET):
        short_a = naming.account_global("process", a, "ap-southeast-2", limit)
        short_b = naming.account_global("process", b, "ap-southeast-2", limit)
        assert len(short_a) <= limit and len(short_b) <= limit
        assert short_a != short_b
        assert short_a.endswith("-ap-southeast-2")
    # Characters a name cannot hold are replaced, and the hash keeps `a_b` and `a-b` apart.
    assert naming.regional("queue", "a_b", 80) != naming.regional("queue", "a-b", 80)
    assert naming.regional("queue", "a-b", 80) == "webhooks-queue-a-b"
    assert re.fullmatch(
        r"webhooks-queue-team-alpha-review-42-[0-9a-f]{8}", naming.regional("queue", unusual, 80)
    )
