"""The values each stack sends to AWS are values AWS accepts (ops/aws_limits.py: botocore's
service models, else the documented limits), so an invalid value fails here and in
`python -m ops preflight`, not halfway through `pulumi up`."""

import dataclasses

import pytest

from ops import aws_limits
from ops.aws_limits import accepts, documented, member
from tests.components.mockstack import MockedStack, built_stack


def test_model_states_the_ranges_we_rely_on() -> None:
    """If a botocore upgrade drops a range, this says so instead of silently checking nothing."""
    assert member("lambda", "CreateEventSourceMapping", "BatchSize").metadata == {
        "min": 1,
        "max": 10000,
    }
    assert "python3.13" in member("lambda", "CreateFunction", "Runtime").metadata["enum"]
    architectures = member("lambda", "CreateFunction", "Architectures", "[]")
    assert architectures.metadata["enum"] == ["x86_64", "arm64"]


@pytest.mark.parametrize("scenario", ["dev", "prod", "every-feature", "every-feature-url"])
def test_every_value_is_one_aws_accepts(scenario: str) -> None:
    stack = built_stack(scenario)
    assert aws_limits.problems(stack) == []


def test_every_checked_type_is_in_the_graph(stack: MockedStack) -> None:
    """The checks see the resources they are for (a renamed type would check nothing)."""
    types = {r.type for r in stack.resources}
    assert set(aws_limits.CHECKS) <= types
    assert len(stack.of_type("aws:lambda/function:Function")) == 3  # ingest, process, publish


def _broken(stack: MockedStack, type_: str, **inputs: object) -> MockedStack:
    """The stack with the first resource of `type_` given other inputs."""
    resources = list(stack.resources)
    index = next(i for i, r in enumerate(resources) if r.type == type_)
    changed = {**resources[index].inputs, **inputs}
    resources[index] = dataclasses.replace(resources[index], inputs=changed)
    return dataclasses.replace(stack, resources=resources)


@pytest.mark.parametrize(
    ("type_", "inputs", "word"),
    [
        ("aws:lambda/function:Function", {"runtime": "python3.99"}, "python3.99"),
        ("aws:lambda/function:Function", {"timeout": 901}, "lambda.Timeout"),
        ("aws:sqs/queue:Queue", {"messageRetentionSeconds": 59}, "MessageRetentionPeriod"),
        ("aws:sqs/queue:Queue", {"name": "a" * 81}, "sqs.QueueName"),
        ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 8}, "retentionInDays"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", {"period": 90}, "period 90"),
        ("aws:iam/role:Role", {"name": "r" * 65}, "not 1 to 64 characters"),
        ("aws:s3/bucket:Bucket", {"bucket": "Upper_Case"}, "S3's rules"),
    ],
)
def test_a_value_aws_refuses_is_named(
    dev: MockedStack, type_: str, inputs: dict[str, object], word: str
) -> None:
    found = aws_limits.problems(_broken(dev, type_, **inputs))
    assert found and any(word in p for p in found), found


def test_the_model_check_rejects_out_of_range_values() -> None:
    assert accepts(member("lambda", "CreateEventSourceMapping", "BatchSize"), 10001)
    assert accepts(member("lambda", "CreateFunction", "Runtime"), "python3.99")
    assert accepts(member("lambda", "CreateEventSourceMapping", "BatchSize"), 10) == []


@pytest.mark.parametrize(
    ("limit", "value"),
    [("lambda.Timeout", 901), ("sqs.MessageRetentionPeriod", 59), ("logs.retentionInDays", 8)],
)
def test_the_documented_table_rejects_out_of_range_values(limit: str, value: int) -> None:
    assert documented(limit, value)
