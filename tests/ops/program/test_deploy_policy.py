"""docs/deploy-policy.json: what a CI role needs for `pulumi preview` and `pulumi up`.

Every resource type of every graph (both stack files, a review stack, a second region, both
custom-domain forms, the function URL and the stacks with every feature and every subscriber
target kind) needs its entry in `REQUIRED` (ops/deploy_policy.py: the calls the AWS provider
makes to read, create, update and delete it), and the policy must allow each of those calls on
the ARN this program gives the resource, under the policy's conditions. A new resource type
without its permissions fails here.
"""

import copy
import dataclasses
import fnmatch
import json
from typing import Any

import pytest

from ops import deploy_policy
from ops.deploy_policy import REQUIRED, Call, allowed
from policy import iam_check
from tests.components.mockstack import SCENARIOS, MockedStack, built_stack

POLICY = deploy_policy.load_policy()
# AWS's limit for a customer managed policy (characters, whitespace not counted).
MANAGED_POLICY_CHARS = 6144

# Statements whose actions AWS authorizes on "*" only (or by condition).
# Statements on ARNs that AWS names, not the program: ids, the service-linked role, the zone,
# or actions without resource-level permissions ("*"). All others name `webhooks-*` resources.
NOT_OURS_TO_NAME = {
    "LambdaMappings",
    "LambdaMappingCreate",
    "IamApigwLogsRole",
    "LogsDelivery",
    "ApiGateway",
    "Acm",
    "Route53Zone",
    "Route53Change",
    "LambdaVpc",
    # A subscriber's own function (its `target`): any name, so the permission calls are
    # conditioned on EventBridge being the principal (CONDITIONED).
    "LambdaTargets",
}
# Statements not scoped by name that only a condition keeps narrow.
CONDITIONED = {
    "LambdaMappingCreate",
    "IamPassRoleToLambda",
    "IamApigwLogsRole",
    "LambdaSubscriberTargets",
    "IamVpcAccess",
}
UNSCOPED_SIDS = {
    "LogsDelivery",
    "Acm",
    "LambdaMappingCreate",
    "LambdaVpc",
}


def _statements() -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = POLICY["Statement"]
    return statements


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_policy_allows_what_each_resource_needs(scenario: str) -> None:
    assert deploy_policy.problems(built_stack(scenario), POLICY) == []


def test_a_subscriber_function_gets_its_permission_from_the_deploy_role() -> None:
    """Issue 24, finding 1: the permission EventBridge needs is added on the subscriber's own
    function, outside `function:webhooks-*`: allowed for EventBridge as the principal only."""
    stack = built_stack("every-feature")
    permission = stack.one("aws:lambda/permission:Permission", "webhooks-bus-sub-notify-invoke")
    made = list(deploy_policy.calls(stack, permission))
    target = "arn:aws:lambda:eu-west-1:123456789012:function:notify-team"
    assert {(c.action, c.arn) for c in made} == {
        ("lambda:AddPermission", target),
        ("lambda:GetPolicy", target),
        ("lambda:RemovePermission", target),
    }
    assert all(allowed(POLICY, call) for call in made)
    # The same call for any other principal is refused: the role cannot open a function to all.
    for call in made:
        if call.action != "lambda:GetPolicy":
            opened = Call(call.resource, call.action, call.arn, {"lambda:Principal": "*"})
            assert not allowed(POLICY, opened), call.action


def test_the_deploy_role_attaches_only_the_vpc_access_policy() -> None:
    """An HTTP destination in a VPC attaches AWSLambdaVPCAccessExecutionRole to its role; the
    deploy role may attach no other managed policy (AdministratorAccess would be an escalation)
    and may detach only that one, and the function's VpcConfig check is allowed."""
    stack = built_stack("every-feature")
    [attachment] = stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    made = list(deploy_policy.calls(stack, attachment))
    assert {c.action for c in made} == {
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:ListAttachedRolePolicies",
    }
    assert all(allowed(POLICY, call) for call in made)
    admin = {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}
    for call in made:
        if call.action != "iam:ListAttachedRolePolicies":
            assert not allowed(POLICY, Call(call.resource, call.action, call.arn, admin))
            assert not allowed(POLICY, Call(call.resource, call.action, call.arn, {}))
    [deliver] = [
        f for f in stack.of_type("aws:lambda/function:Function") if f.inputs.get("vpcConfig")
    ]
    checks = [c for c in deploy_policy.calls(stack, deliver) if c.action.startswith("ec2:")]
    assert {c.action for c in checks} == set(deploy_policy.VPC_FUNCTION)
    assert all(allowed(POLICY, call) for call in checks)


def test_conditions_are_evaluated_not_ignored(dev: MockedStack) -> None:
    """A statement's Condition must hold: the mapping create on a function not ours fails."""
    mapping = dev.one(
        "aws:lambda/eventSourceMapping:EventSourceMapping", "webhooks-processor-queue-mapping"
    )
    [create] = [
        c
        for c in deploy_policy.calls(dev, mapping)
        if c.action == "lambda:CreateEventSourceMapping"
    ]
    assert allowed(POLICY, create)
    other = Call(mapping, create.action, create.arn, {"lambda:FunctionArn": "arn:aws:lambda:x"})
    assert not allowed(POLICY, other)
    assert not allowed(POLICY, Call(mapping, create.action, create.arn, {}))


def test_a_resource_type_without_an_entry_is_a_problem(dev: MockedStack) -> None:
    stack = copy.copy(dev)
    [queue, *_] = dev.of_type("aws:sqs/queue:Queue")
    stack.resources = [*dev.resources, dataclasses.replace(queue, type="aws:sqs/newThing:NewThing")]
    [problem] = deploy_policy.problems(stack, POLICY)
    assert "aws:sqs/newThing:NewThing" in problem and "REQUIRED" in problem


def test_a_call_the_policy_lacks_is_named(dev: MockedStack) -> None:
    narrowed = copy.deepcopy(POLICY)
    for statement in narrowed["Statement"]:
        statement["Action"] = [a for a in _list(statement["Action"]) if a != "sqs:TagQueue"]
    found = deploy_policy.problems(dev, narrowed)
    assert found and all("sqs:TagQueue on arn:aws:sqs:" in p for p in found)


def test_the_policy_is_one_aws_accepts() -> None:
    """Its own statements pass the Service Authorization Reference check (policy/iam_check)."""
    assert iam_check.document_problems(POLICY) == []


def test_policy_is_least_privilege() -> None:
    needed = [*REQUIRED.values(), deploy_policy.VPC_FUNCTION]
    services = {action.split(":")[0] for actions in needed for action in actions}
    for statement in _statements():
        assert statement["Effect"] == "Allow"
        for action in _list(statement["Action"]):
            service, _, name = action.partition(":")
            assert service in services, action
            assert name not in ("*", ""), action
            assert any(
                fnmatch.fnmatchcase(required, action) for actions in needed for required in actions
            ), f"{action} is granted but no resource needs it"
        resources = _list(statement["Resource"])
        if statement["Sid"] not in UNSCOPED_SIDS:
            assert "*" not in resources, statement["Sid"]
        if statement["Sid"] not in NOT_OURS_TO_NAME:
            for resource in resources:
                assert "webhooks" in resource, (statement["Sid"], resource)
        if statement["Sid"] in CONDITIONED:
            assert statement.get("Condition"), statement["Sid"]


def test_policy_fits_one_managed_policy() -> None:
    compact = json.dumps(POLICY, separators=(",", ":"))
    assert len(compact) <= MANAGED_POLICY_CHARS
    assert len({s["Sid"] for s in _statements()}) == len(_statements())
