"""Physical names: unique per stack (and per region where AWS names are account-global), within
AWS's length limits, and unchanged for what holds data in `dev` and `prod`."""

import itertools
import json
import re
import string
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hookgate.components import naming
from hookgate.components.config_error import ConfigError
from hookgate.components.settings import parse_settings
from tests.components.mockstack import (
    ACCOUNT_ID,
    MockedResource,
    MockedStack,
    built_stack,
    run_stack,
    stack_config,
)

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


# ---- names checked where they are given (issue 19, finding 7) ----

BUS_TARGET = "arn:aws:events:eu-west-1:210987654321:event-bus/central"


def _config(stack_file: str, subscribers: dict[str, Any]) -> dict[str, Any]:
    config = stack_config(stack_file)
    config["webhooks:subscribers"] = subscribers
    return config


def test_subscribers_whose_names_meet_are_refused_naming_both_keys() -> None:
    """`x`'s DLQ and `x-dlq`'s queue are both webhooks-sub-x-dlq-dev: refused before a deploy
    would fail half-way on QueueAlreadyExists."""
    with pytest.raises(ConfigError) as raised:
        run_stack("dev", config=_config("dev", {"x": {}, "x-dlq": {}}))
    message = str(raised.value)
    assert "webhooks:subscribers.x-dlq" in message and "webhooks:subscribers.x)" in message
    assert "webhooks-sub-x-dlq-dev" in message
    # A target subscriber has no queue of its own: `x-dlq` with a target meets nobody.
    graph = run_stack("dev", config=_config("dev", {"x": {}, "x-dlq": {"target": BUS_TARGET}}))
    assert len(graph.of_type("aws:cloudwatch/eventRule:EventRule")) == 2


def test_a_subscriber_name_too_long_for_its_role_is_a_config_error() -> None:
    """32 characters leave the prod stack's role name no room: a ConfigError naming the key,
    the value and the longest name allowed, not a bare ValueError from naming."""
    name = "a" * 32
    with pytest.raises(ConfigError) as raised:
        run_stack("prod", config=_config("prod", {name: {"target": BUS_TARGET}}))
    assert raised.value.key == f"webhooks:subscribers.{name}"
    assert raised.value.value == name
    assert "at most 31 characters in stack 'prod'" in raised.value.allowed
    # The longest name allowed is deployable, with every name within its limit.
    graph = run_stack("prod", config=_config("prod", {name[:31]: {"target": BUS_TARGET}}))
    roles = [r.inputs["name"] for r in graph.of_type("aws:iam/role:Role")]
    assert max(map(len, roles)) <= naming.IAM_ROLE
    # In the longest region too (a name fitting in eu-west-1 only would be refused above).
    assert len(f"webhooks-sub-{name[:31]}-prod-{naming.LONGEST_REGION}") == naming.IAM_ROLE


OTHER_ACCOUNT_QUEUE = "arn:aws:sqs:eu-west-1:210987654321:their-queue"


def test_a_queue_in_another_account_counts_its_delivery_role_name() -> None:
    """A queue or function target in another account gets a delivery role, which the settings
    cannot tell from one in the stack's own account: the role's name is checked for every
    target, so a name too long for it is a config error, never a ValueError at preview."""
    name = "a" * 32
    with pytest.raises(ConfigError) as raised:
        run_stack("prod", config=_config("prod", {name: {"target": OTHER_ACCOUNT_QUEUE}}))
    assert raised.value.key == f"webhooks:subscribers.{name}"
    assert "at most 31 characters in stack 'prod'" in raised.value.allowed
    graph = run_stack("prod", config=_config("prod", {name[:31]: {"target": OTHER_ACCOUNT_QUEUE}}))
    roles = [r.inputs["name"] for r in graph.of_type("aws:iam/role:Role")]
    assert f"webhooks-sub-{name[:31]}-prod-eu-west-1" in roles


def _listed(stack: MockedStack) -> set[tuple[str, str]]:
    """What `naming.stack_names` says the graph's names are, for this stack's settings."""
    settings = load_settings_of(stack)
    region = stack.outputs["region"]
    names = {
        (n.type, n.name)
        for n in [
            *naming.fixed_names(settings.stack, region, settings.api.kind),
            *(n for p in settings.providers for n in naming.provider_names(p.name, stack.stack)),
            *(
                n
                for s in settings.subscribers
                for n in naming.subscriber_names(
                    s.name,
                    stack.stack,
                    region,
                    s.managed,
                    s.target_kind == "bus",
                    s.http is not None,
                )
            ),
        ]
    }
    return {
        (t, n.replace("-000000000000-", f"-{ACCOUNT_ID}-") if t == naming.BUCKET_TYPE else n)
        for t, n in names
    }


def load_settings_of(stack: MockedStack) -> Any:
    raw = {
        key.split(":", 1)[1]: json.loads(value) if value[:1] in "{[" else value
        for key, value in stack.config.items()
        if key.startswith("webhooks:") and key != "webhooks:secrets"
    }
    raw["secrets"] = json.loads(stack.config["webhooks:secrets"])
    return parse_settings(raw, stack=stack.stack)


NAMED_TYPES = {
    naming.TABLE_TYPE, naming.QUEUE_TYPE, naming.FUNCTION_TYPE, naming.LOG_GROUP_TYPE,
    naming.ROLE_TYPE, naming.API_TYPE, naming.BUS_TYPE, naming.RULE_TYPE, naming.TOPIC_TYPE,
    naming.ALARM_TYPE, naming.DASHBOARD_TYPE, naming.BUCKET_TYPE, naming.SECRET_TYPE,
}  # fmt: skip


@pytest.mark.parametrize(
    "scenario", ["dev", "prod", "pr-123", "prod-us-east-1", "every-feature", "every-feature-url"]
)
def test_the_checked_names_are_the_names_the_program_gives(scenario: str) -> None:
    """The settings check every name the graph has, and no other: a new named resource that
    the list misses fails here."""
    stack = built_stack(scenario)
    graph = {
        (r.type, name)
        for r in stack.resources
        if (name := physical_name(r)) is not None and r.type in NAMED_TYPES
    }
    given_by_the_user = {"aws:route53/record:Record"}  # DNS names: api.domainName's
    assert {r.type for r in stack.resources if physical_name(r)} - NESTED - given_by_the_user <= (
        NAMED_TYPES
    )
    assert _listed(stack) == graph


# Pulumi stack names: letters, digits, `_`, `.` and `-`, at most 100 characters.
STACK_NAMES = st.text(
    alphabet=string.ascii_letters + string.digits + "_.-", min_size=1, max_size=100
)
# A managed subscriber (its queue), a bus target (its role) and an HTTP destination (its
# function, role, secret, state table and alarm): every name a subscriber gets.
SUBSCRIBER_KINDS = [("x", True, False, False), ("y", False, True, False), ("z", True, False, True)]


def _names_of(stack: str, region: str = "eu-west-1") -> dict[tuple[str, str], str]:
    """Each resource (type, what it is) of a stack with subscribers → its physical name."""
    names = [
        *naming.fixed_names(stack, region),
        *naming.fixed_names(stack, region, "functionUrl"),
        *naming.provider_names("github", stack),
        *(
            n
            for name, managed, bus, http in SUBSCRIBER_KINDS
            for n in naming.subscriber_names(name, stack, region, managed, bus, http)
        ),
    ]
    return {(n.type, n.what): n.name for n in names}


@given(STACK_NAMES, STACK_NAMES)
def test_two_stacks_never_share_a_resource_name(a: str, b: str) -> None:
    """Each resource (the pipeline's, and a subscriber's of the same name) gets a name in one
    stack that no other stack gives it, whatever the two stack names (up to a collision of
    the 8 hex digits of two SHA-256 hashes whose stacks also share the shortened prefix)."""
    assume(a != b)
    names_a, names_b = _names_of(a), _names_of(b)
    for resource, name in names_a.items():
        assert names_b[resource] != name, (resource, a, b)


def test_a_stack_cannot_pose_as_another_stacks_shortened_name() -> None:
    """`Foo` is shortened to `foo-<hash>`; a stack literally named so is marked as well."""
    shortened = naming.stack_token("Foo", 50)
    assert re.fullmatch(r"foo-[0-9a-f]{8}", shortened)
    assert naming.stack_token(shortened, 50) != shortened
    assert (
        _names_of("Foo")[(naming.QUEUE_TYPE, "the queue queue")]
        != _names_of(shortened)[(naming.QUEUE_TYPE, "the queue queue")]
    )
    assert naming.stack_token("prod", 50) == "prod"  # ordinary names stay as they are
