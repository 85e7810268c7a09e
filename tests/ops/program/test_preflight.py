"""`python -m ops preflight`: the program's own graph, checked offline for what AWS refuses."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from ops import cli, deploy_policy, preflight
from tests.components.mockstack import MockedStack, built_stack


def test_both_stack_files_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["preflight"]) == 0
    out = capsys.readouterr().out
    for stack in ("dev", "prod"):
        assert f"stack {stack}:" in out
    for check in preflight.CHECKS:
        assert out.count(f"ok   {check.name}:") == 2


@pytest.mark.parametrize("scenario", ["every-feature", "every-feature-url"])
def test_the_every_feature_stacks_pass_every_check(scenario: str) -> None:
    stack = built_stack(scenario)
    assert {check.name: check.run(stack) for check in preflight.CHECKS} == {
        check.name: [] for check in preflight.CHECKS
    }


def test_a_config_error_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    subscribers = json.dumps({"x": {}, "x-dlq": {}})
    assert cli.main(["preflight", "--stack", "dev", "--set", f"subscribers={subscribers}"]) == 1
    out = capsys.readouterr().out
    assert "FAIL config: webhooks:subscribers.x-dlq" in out and "webhooks:subscribers.x)" in out


def test_an_unknown_stack_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["preflight", "--stack", "nope"]) == 2
    assert "no stack 'nope' (stacks: dev, prod)" in capsys.readouterr().err


def _with_publish_statement(stack: MockedStack, statement: dict[str, object]) -> MockedStack:
    resources = list(stack.resources)
    index, policy = next(
        (i, r) for i, r in enumerate(resources) if r.name == "webhooks-publisher-function-policy"
    )
    document = json.loads(policy.inputs["policy"])
    document["Statement"].append(statement)
    inputs = {**policy.inputs, "policy": json.dumps(document)}
    resources[index] = dataclasses.replace(policy, inputs=inputs)
    return dataclasses.replace(stack, resources=resources)


def test_the_iam_check_finds_list_streams_scoped_to_the_stream(dev: MockedStack) -> None:
    """The grant of issue 19's finding 8, as the program used to make it."""
    stream = dev.one("aws:dynamodb/table:Table").state["streamArn"]
    broken = _with_publish_statement(
        dev, {"Effect": "Allow", "Action": ["dynamodb:ListStreams"], "Resource": [stream]}
    )
    [problem] = preflight.iam_problems(broken)
    assert "dynamodb:ListStreams supports no resource type" in problem
    assert "webhooks-publisher-function-policy" in problem


def test_the_deploy_check_finds_the_function_target_denied() -> None:
    """Issue 24's finding 1: the deploy policy as it was (AddPermission on webhooks-* only)."""
    policy = copy.deepcopy(deploy_policy.load_policy())
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] != "LambdaTargets"]
    found = deploy_policy.problems(built_stack("every-feature"), policy)
    assert found
    assert all("webhooks-bus-sub-notify-invoke" in p for p in found)
    assert any(
        "lambda:AddPermission on arn:aws:lambda:eu-west-1:123456789012:function:notify" in p
        for p in found
    )


def test_a_new_check_joins_the_list(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The extension point: a check is a name, what it checks and a function of the graph."""
    extra = preflight.Check("demo", "every queue is named `nothing`", lambda stack: ["queue x"])
    monkeypatch.setattr(preflight, "CHECKS", [*preflight.CHECKS, extra])
    assert cli.main(["preflight", "--stack", "dev"]) == 1
    out = capsys.readouterr().out
    assert "FAIL demo: every queue is named `nothing`\n       - queue x" in out
