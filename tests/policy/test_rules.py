"""Each policy rule passes on both mocked stacks and reports a deliberately broken resource."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from policy import rules
from tests.components.mockstack import MockedStack
from tests.policy.resources import resource_violations, stack_resources

RESOURCE_RULES = {rule.name: rule for rule in rules.RESOURCE_RULES}
STACK_RULES = {rule.name: rule for rule in rules.STACK_RULES}


def test_every_rule_has_a_broken_case() -> None:
    assert set(RESOURCE_RULES) == set(BROKEN_RESOURCES)
    assert set(STACK_RULES) == set(BROKEN_STACKS)


@pytest.mark.parametrize("name", sorted(RESOURCE_RULES))
def test_resource_rule_passes_on_the_stack(stack: MockedStack, name: str) -> None:
    rule = RESOURCE_RULES[name]
    assert any(r.type in rule.types for r in stack.resources), "the rule checks nothing here"
    assert resource_violations(stack, rule) == []


@pytest.mark.parametrize("name", sorted(STACK_RULES))
def test_stack_rule_passes_on_the_stack(stack: MockedStack, name: str) -> None:
    assert STACK_RULES[name].check(stack_resources(stack)) == []


def _resource(type_: str, **props: Any) -> rules.Resource:
    return rules.Resource(type=type_, name="broken", props=props, urn=f"urn:{type_}::broken")


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# Rule name → (broken resource, a word the violation names).
BROKEN_RESOURCES: dict[str, list[tuple[rules.Resource, str]]] = {
    "table-encrypted": [
        (_resource(rules.TABLE), "serverSideEncryption"),
        (_resource(rules.TABLE, serverSideEncryption={"enabled": False}), "serverSideEncryption"),
    ],
    "queue-encrypted": [(_resource(rules.QUEUE, sqsManagedSseEnabled=False), "sqsManagedSse")],
    "no-key-origin-override": [
        (
            _resource(
                rules.FUNCTION,
                environment={
                    "variables": {
                        "PROVIDERS": json.dumps(
                            {
                                "sns": {
                                    "scheme": "aws-sns",
                                    "secret_arn": "arn:x",
                                    "topic_arns": "arn:aws:sns:eu-west-1:1:t",
                                    "key_origin": "http://127.0.0.1:8123",
                                }
                            }
                        )
                    }
                },
            ),
            "key_origin",
        )
    ],
    "iam-no-wildcards": [
        (
            _resource(rules.ROLE_POLICY, policy=_policy({"Effect": "Allow", "Action": "s3:*"})),
            "s3:*",
        ),
        (
            _resource(
                rules.ROLE_POLICY,
                policy=_policy({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}),
            ),
            "'*'",
        ),
        (
            _resource(
                rules.IAM_POLICY,
                policy=_policy(
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
                ),
            ),
            "arn:aws:s3:::b/*",
        ),
        (
            _resource(
                rules.ROLE,
                assumeRolePolicy=_policy(
                    {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"}
                ),
            ),
            "NotAction",
        ),
    ],
    "iam-service-reference": [
        (
            _resource(
                rules.ROLE_POLICY,
                policy=_policy(
                    {
                        "Effect": "Allow",
                        "Action": "dynamodb:ListStreams",
                        "Resource": "arn:aws:dynamodb:eu-west-1:1:table/t/stream/2026-01-01",
                    }
                ),
            ),
            "ListStreams supports no resource type",
        ),
        (
            _resource(
                rules.QUEUE_POLICY,
                policy=_policy({"Effect": "Allow", "Action": "sqs:SendMesage", "Resource": "*"}),
            ),
            "sqs:SendMesage",
        ),
        (
            _resource(
                rules.BUCKET_POLICY,
                policy=_policy(
                    {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}
                ),
            ),
            "cannot be scoped",
        ),
        (
            _resource(
                rules.LAMBDA_PERMISSION,
                action="lambda:InvokeFunction",
                function="arn:aws:sqs:eu-west-1:123456789012:not-a-function",
            ),
            "cannot be scoped",
        ),
        (
            _resource(
                rules.ROLE,
                assumeRolePolicy=_policy({"Effect": "Allow", "Action": "sts:AssumeRoles"}),
            ),
            "sts:AssumeRoles",
        ),
    ],
    "log-group-retention": [
        (_resource(rules.LOG_GROUP, name="/aws/lambda/x"), "retentionInDays"),
        (_resource(rules.LOG_GROUP, retentionInDays=0), "retentionInDays"),
    ],
    "lambda-env-no-secrets": [
        (
            _resource(rules.FUNCTION, environment={"variables": {"STRIPE": "whsec_abcdefgh1234"}}),
            "STRIPE",
        ),
        (
            _resource(
                rules.FUNCTION,
                environment={
                    "variables": {"PROVIDERS": json.dumps({"gh": {"s": "ghp_" + "a" * 36}})}
                },
            ),
            "PROVIDERS",
        ),
        (
            _resource(rules.FUNCTION, environment={"variables": {"API_TOKEN": "hunter2"}}),
            "API_TOKEN",
        ),
    ],
    "sqs-mapping-reports-batch-item-failures": [
        (
            _resource(rules.EVENT_SOURCE_MAPPING, eventSourceArn="arn:aws:sqs:eu-west-1:1:q"),
            "ReportBatchItemFailures",
        ),
    ],
}


def test_secret_rule_lets_references_and_numbers_through() -> None:
    fine = _resource(
        rules.FUNCTION,
        environment={
            "variables": {
                "SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:x",
                "SECRETS_REFRESH_SECONDS": "300",
                "TOKEN_HEADER": "x-token",
            }
        },
    )
    assert rules.lambda_environment_secrets(fine) == []


def test_wildcards_narrowed_to_own_objects_and_log_streams_pass() -> None:
    fine = _policy(
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "logs:PutLogEvents"],
            "Resource": [
                "arn:aws:s3:::bucket-1/bodies/*",
                "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/f:*",
            ],
        },
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    )
    assert rules.iam_wildcards(fine) == []


@pytest.mark.parametrize(
    ("name", "index"),
    [(name, i) for name, cases in BROKEN_RESOURCES.items() for i in range(len(cases))],
)
def test_resource_rule_reports_a_broken_resource(name: str, index: int) -> None:
    resource, word = BROKEN_RESOURCES[name][index]
    rule = RESOURCE_RULES[name]
    assert resource.type in rule.types
    violations = rule.check(resource)
    assert violations, f"{name} accepted {resource.props}"
    assert any(word in message for message in violations), violations


# Stack rules: the dev stack with one resource broken in place.
Break = Callable[[list[rules.Resource]], None]


def _edit(type_: str, name: str | None = None, **props: Any) -> Break:
    def apply(resources: list[rules.Resource]) -> None:
        for index, resource in enumerate(resources):
            if resource.type == type_ and (name is None or resource.name == name):
                changed = {**resource.props, **props}
                resources[index] = rules.Resource(
                    resource.type,
                    resource.name,
                    {k: v for k, v in changed.items() if v is not None},
                    resource.urn,
                    resource.protect,
                    resource.dependencies,
                )
                return
        raise LookupError(f"no {type_} {name}")

    return apply


def _drop(type_: str) -> Break:
    def apply(resources: list[rules.Resource]) -> None:
        found = [r for r in resources if r.type == type_]
        assert found, type_
        for resource in found:
            resources.remove(resource)

    return apply


def _unprotect(type_: str) -> Break:
    def apply(resources: list[rules.Resource]) -> None:
        for index, r in enumerate(resources):
            if r.type == type_:
                resources[index] = rules.Resource(
                    r.type, r.name, r.props, r.urn, False, r.dependencies
                )

    return apply


BROKEN_STACKS: dict[str, list[tuple[str, Break]]] = {
    "topic-encrypted": [
        # A topic no alarm publishes to must be encrypted.
        ("dev", lambda rs: rs.append(rules.Resource(rules.TOPIC, "events", {"name": "t"}, "u:t"))),
    ],
    "bucket-encrypted": [("dev", _drop(rules.BUCKET_ENCRYPTION))],
    "bucket-private-tls-only": [
        ("dev", _edit(rules.BUCKET_PUBLIC_ACCESS_BLOCK, restrictPublicBuckets=False)),
        ("dev", _drop(rules.BUCKET_POLICY)),
        (
            "dev",
            _edit(
                rules.BUCKET_POLICY,
                policy=_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
            ),
        ),
    ],
    "queue-dlq-retention": [
        ("dev", _edit(rules.QUEUE, "webhooks-queue-queue", redrivePolicy=None)),
        ("dev", _edit(rules.QUEUE, "webhooks-queue-dlq", messageRetentionSeconds=86400)),
    ],
    "visibility-timeout-covers-consumer": [
        ("dev", _edit(rules.QUEUE, "webhooks-queue-queue", visibilityTimeoutSeconds=179)),
        # The batching window counts too (prod: 6 x 30 s + 1 s).
        ("prod", _edit(rules.QUEUE, "webhooks-queue-queue", visibilityTimeoutSeconds=180)),
    ],
    "http-api-payload-v2": [("dev", _edit(rules.INTEGRATION, payloadFormatVersion="1.0"))],
    "prod-protections": [
        ("prod", _edit(rules.TABLE, deletionProtectionEnabled=False)),
        ("prod", _unprotect(rules.TABLE)),
        ("prod", _edit(rules.TABLE, pointInTimeRecovery={"enabled": False})),
        ("prod", _edit(rules.BUCKET, forceDestroy=True)),
        ("prod", _edit(rules.SECRETS_MANAGER_SECRET, recoveryWindowInDays=0)),
    ],
}


@pytest.mark.parametrize(
    ("name", "index"),
    [(name, i) for name, cases in BROKEN_STACKS.items() for i in range(len(cases))],
)
def test_stack_rule_reports_a_broken_stack(
    dev: MockedStack, prod: MockedStack, name: str, index: int
) -> None:
    stack_name, breaks = BROKEN_STACKS[name][index]
    resources = copy.deepcopy(stack_resources(dev if stack_name == "dev" else prod))
    breaks(resources)
    violations = STACK_RULES[name].check(resources)
    assert violations, name
    assert all(v.message for v in violations)


def test_prod_protections_apply_to_prod_only(dev: MockedStack) -> None:
    assert rules.profile(stack_resources(dev)) == "dev"
    # The dev stack has none of the protections; the rule knows it is not prod.
    assert rules.prod_protections(stack_resources(dev)) == []
