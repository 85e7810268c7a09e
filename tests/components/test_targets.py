"""Subscriber targets as AWS takes them (issue 24): FIFO queues, other Regions, other accounts.

Neither Pulumi's mocks nor moto refuse these; EventBridge does, at `pulumi up` or at delivery.
"""

import json
from typing import Any

import pytest

from hookgate.components.config_error import ConfigError
from tests.components.mockstack import ACCOUNT_ID, MockedStack, _with, run_stack
from tests.components.test_subscribers import parse
from tests.ops.program.test_aws_limits import accepts, member

OTHER = "210987654321"
FIFO = f"arn:aws:sqs:eu-west-1:{OTHER}:orders.fifo"
OWN_FIFO = f"arn:aws:sqs:eu-west-1:{ACCOUNT_ID}:audit.fifo"
OWN_FUNCTION = f"arn:aws:lambda:eu-west-1:{ACCOUNT_ID}:function:consumer"
OTHER_FUNCTION = f"arn:aws:lambda:eu-west-1:{OTHER}:function:consumer:live"
OTHER_QUEUE = f"arn:aws:sqs:eu-west-1:{OTHER}:their-queue"
OWN_QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT_ID}:our-queue"
CENTRAL = f"arn:aws:events:us-east-1:{OTHER}:event-bus/central"

TARGETS: dict[str, Any] = {
    "orders": {"providers": ["stripe"], "target": FIFO, "messageGroupId": "stripe"},
    "audit": {"target": OWN_FIFO},
    "own-fn": {"target": OWN_FUNCTION},
    "their-fn": {"target": OTHER_FUNCTION},
    "their-q": {"target": OTHER_QUEUE},
    "our-q": {"target": OWN_QUEUE},
    "central": {"target": CENTRAL},
}


@pytest.fixture(scope="module")
def stack() -> MockedStack:
    return run_stack("dev", config=_with("dev", subscribers=TARGETS))


def _target(stack: MockedStack, name: str) -> dict[str, Any]:
    [target] = [
        t.inputs
        for t in stack.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if t.inputs["targetId"] == f"sub-{name}"
    ]
    return target


def _role(stack: MockedStack, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The delivery role's trust statement and its policy's statements."""
    role = stack.one("aws:iam/role:Role", f"webhooks-bus-sub-{name}-role")
    policy = stack.one("aws:iam/rolePolicy:RolePolicy", f"webhooks-bus-sub-{name}-role-policy")
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert _target(stack, name)["roleArn"] == role.state["arn"]
    assert stack.outputs["subscriber_roles"][name] == role.state["arn"]
    return trust, json.loads(policy.inputs["policy"])["Statement"]


# ---- finding 2: a FIFO queue target needs SqsParameters.MessageGroupId ----


def test_a_fifo_target_gets_its_message_group_id(stack: MockedStack) -> None:
    assert _target(stack, "orders")["sqsTarget"] == {"messageGroupId": "stripe"}
    # Unset, the group is the subscriber's name: one group, in order.
    assert _target(stack, "audit")["sqsTarget"] == {"messageGroupId": "audit"}
    for standard in ("their-q", "our-q", "own-fn", "central"):
        assert "sqsTarget" not in _target(stack, standard), standard


@pytest.mark.parametrize(
    ("subscriber", "value"),
    [
        ({"messageGroupId": "x"}, "x"),  # managed: a standard queue
        ({"target": OWN_QUEUE, "messageGroupId": "x"}, "x"),
        ({"target": OWN_FUNCTION, "messageGroupId": "x"}, "x"),
        ({"target": FIFO, "messageGroupId": "has space"}, "has space"),
        ({"target": FIFO, "messageGroupId": "x" * 101}, "x" * 101),
        ({"target": FIFO, "messageGroupId": 7}, 7),
    ],
)
def test_a_message_group_id_only_for_a_fifo_target(subscriber: Any, value: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        parse({"a": subscriber})
    assert raised.value.key == "webhooks:subscribers.a.messageGroupId"
    assert raised.value.value == value
    assert "FIFO" in raised.value.allowed or "MessageGroupId" in raised.value.allowed


# ---- finding 3: only a bus may be in another Region ----


@pytest.mark.parametrize(
    "target",
    [
        "arn:aws:sqs:us-east-1:123456789012:their-queue",
        "arn:aws:lambda:eu-central-1:210987654321:function:consumer",
    ],
)
def test_a_queue_or_function_in_another_region_is_refused(target: str) -> None:
    with pytest.raises(ConfigError) as raised:
        run_stack("dev", config=_with("dev", subscribers={"far": {"target": target}}))
    assert raised.value.key == "webhooks:subscribers.far.target"
    assert raised.value.value == target
    assert "eu-west-1" in raised.value.allowed and "event bus" in raised.value.allowed


def test_a_bus_in_another_region_is_a_target(stack: MockedStack) -> None:
    assert _target(stack, "central")["arn"] == CENTRAL


# ---- finding 4: a queue or function in another account is reached through a role ----


def test_a_queue_in_another_account_gets_a_delivery_role(stack: MockedStack) -> None:
    trust, policy = _role(stack, "their-q")
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert policy == [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": OTHER_QUEUE}]


def test_a_function_in_another_account_gets_a_role_and_no_permission(stack: MockedStack) -> None:
    _, policy = _role(stack, "their-fn")
    assert policy == [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": OTHER_FUNCTION}
    ]
    # AWS refuses lambda:AddPermission on another account's function: its owner adds it.
    functions = [p.inputs["function"] for p in stack.of_type("aws:lambda/permission:Permission")]
    assert OTHER_FUNCTION not in functions


def test_targets_of_this_account_use_their_resource_policy(stack: MockedStack) -> None:
    [invoke] = [
        p.inputs
        for p in stack.of_type("aws:lambda/permission:Permission")
        if p.inputs["function"] == OWN_FUNCTION
    ]
    rule = stack.one("aws:cloudwatch/eventRule:EventRule", "webhooks-bus-sub-own-fn-rule")
    assert invoke["principal"] == "events.amazonaws.com"
    assert invoke["sourceArn"] == rule.state["arn"]
    for name in ("own-fn", "our-q", "audit"):
        assert "roleArn" not in _target(stack, name), name
        assert name not in stack.outputs["subscriber_roles"]


# ---- finding 8: only this rule of this account may assume a delivery role ----


@pytest.mark.parametrize("name", ["central", "their-q", "their-fn"])
def test_delivery_roles_trust_only_their_rule(stack: MockedStack, name: str) -> None:
    trust, _ = _role(stack, name)
    rule = stack.one("aws:cloudwatch/eventRule:EventRule", f"webhooks-bus-sub-{name}-rule")
    assert trust["Condition"] == {
        "ArnEquals": {"aws:SourceArn": rule.state["arn"]},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
    }


def test_what_the_targets_declare_fits_aws_models(stack: MockedStack) -> None:
    group = member("events", "PutTargets", "Targets", "[]", "SqsParameters", "MessageGroupId")
    for name in ("orders", "audit"):
        accepts(group, _target(stack, name)["sqsTarget"]["messageGroupId"])
    accepts(group, "x" * 100)  # the longest the settings accept
    for role in stack.of_type("aws:iam/role:Role"):
        accepts(member("iam", "CreateRole", "RoleName"), role.inputs["name"])
