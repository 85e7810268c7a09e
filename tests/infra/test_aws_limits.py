"""The values each stack sends to AWS are values AWS accepts.

Checked against botocore's service models (the same models the AWS APIs are generated from)
where they state an enum or a range, else against the documented limits in `DOCUMENTED`, so an
invalid value fails here and not halfway through `pulumi up`.
"""

import json
import re
from functools import cache
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape

from tests.infra.mockstack import MockedStack

# Limits the service models do not state, from the AWS documentation:
LAMBDA_QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
SQS_ATTRIBUTES = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html"
SQS_NAMES = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html"
)
LOGS_RETENTION = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html"
HTTP_API_INTEGRATION = "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html"
SQS_EVENT_SOURCE = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html"
RETENTION_DAYS = {
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
}  # fmt: skip
DOCUMENTED: dict[str, tuple[Any, str]] = {
    "lambda.MemorySize": (range(128, 10240 + 1), LAMBDA_QUOTAS),
    "lambda.Timeout": (range(1, 900 + 1), LAMBDA_QUOTAS),
    "lambda.EnvironmentBytes": (range(0, 4096 + 1), LAMBDA_QUOTAS),
    "sqs.VisibilityTimeout": (range(0, 43200 + 1), SQS_ATTRIBUTES),
    "sqs.MessageRetentionPeriod": (range(60, 1209600 + 1), SQS_ATTRIBUTES),
    "sqs.maxReceiveCount": (range(1, 1000 + 1), SQS_ATTRIBUTES),
    "sqs.QueueName": (re.compile(r"[A-Za-z0-9_-]{1,80}"), SQS_NAMES),
    "logs.retentionInDays": (RETENTION_DAYS, LOGS_RETENTION),
    "apigatewayv2.PayloadFormatVersion": ({"1.0", "2.0"}, HTTP_API_INTEGRATION),
    "lambda.SqsVisibilityToTimeout": (6, SQS_EVENT_SOURCE),
}


@cache
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def member(service: str, operation: str, *path: str) -> Shape:
    """The shape of one request parameter, e.g. member("lambda", "CreateFunction", "Timeout")."""
    shape = _model(service).operation_model(operation).input_shape
    for name in path:
        shape = shape.member if name == "[]" else shape.members[name]
    return shape


def accepts(shape: Shape, value: Any) -> None:
    """Assert that `value` satisfies the shape's enum, min/max and pattern, as AWS checks."""
    if shape.type_name == "list":
        assert shape.metadata.get("min", 0) <= len(value) <= shape.metadata.get("max", 10**9)
        for item in value:
            accepts(shape.member, item)
        return
    enum = shape.metadata.get("enum")
    if enum:
        assert value in enum, f"{value!r} not in {shape.name} {enum}"
    if shape.type_name in ("integer", "long"):
        assert float(value).is_integer()
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        assert low is None or value >= low, f"{shape.name}: {value} < {low}"
        assert high is None or value <= high, f"{shape.name}: {value} > {high}"
    if shape.type_name == "string":
        assert shape.metadata.get("min", 0) <= len(value) <= shape.metadata.get("max", 10**9)
        pattern = shape.metadata.get("pattern")
        if pattern:
            assert re.fullmatch(pattern, value), f"{value!r} !~ {pattern}"


def documented(limit: str, value: Any) -> None:
    allowed, source = DOCUMENTED[limit]
    if isinstance(allowed, re.Pattern):
        assert allowed.fullmatch(value), f"{limit}: {value!r} (see {source})"
    else:
        assert value in allowed, f"{limit}: {value!r} (see {source})"


def test_model_states_the_ranges_we_rely_on() -> None:
    """If a botocore upgrade drops a range, this says so instead of silently checking nothing."""
    assert member("lambda", "CreateEventSourceMapping", "BatchSize").metadata == {
        "min": 1,
        "max": 10000,
    }
    assert "python3.13" in member("lambda", "CreateFunction", "Runtime").metadata["enum"]
    architectures = member("lambda", "CreateFunction", "Architectures", "[]")
    assert architectures.metadata["enum"] == ["x86_64", "arm64"]


def test_lambda_functions(stack: MockedStack) -> None:
    functions = stack.of_type("aws:lambda/function:Function")
    assert len(functions) == 3  # ingest, process, publish
    for fn in functions:
        i = fn.inputs
        accepts(member("lambda", "CreateFunction", "Runtime"), i["runtime"])
        accepts(member("lambda", "CreateFunction", "Architectures"), i["architectures"])
        accepts(member("lambda", "CreateFunction", "MemorySize"), i["memorySize"])
        accepts(member("lambda", "CreateFunction", "Timeout"), i["timeout"])
        accepts(member("lambda", "CreateFunction", "Handler"), i["handler"])
        accepts(member("lambda", "CreateFunction", "FunctionName"), i["name"])
        accepts(member("lambda", "CreateFunction", "Description"), i["description"])
        accepts(
            member("lambda", "CreateFunction", "LoggingConfig", "LogFormat"),
            i["loggingConfig"]["logFormat"],
        )
        accepts(
            member("lambda", "CreateFunction", "LoggingConfig", "LogGroup"),
            i["loggingConfig"]["logGroup"],
        )
        documented("lambda.MemorySize", i["memorySize"])
        documented("lambda.Timeout", i["timeout"])
        variables = i["environment"]["variables"]
        size = sum(len(k.encode()) + len(v.encode()) for k, v in variables.items())
        documented("lambda.EnvironmentBytes", size)
        for name in variables:
            accepts(member("lambda", "CreateFunction", "Environment", "Variables").key, name)
        if "reservedConcurrentExecutions" in i:
            accepts(
                member("lambda", "PutFunctionConcurrency", "ReservedConcurrentExecutions"),
                i["reservedConcurrentExecutions"],
            )


def test_event_source_mapping(stack: MockedStack) -> None:
    mapping = stack.one(
        "aws:lambda/eventSourceMapping:EventSourceMapping", "webhooks-processor-queue-mapping"
    ).inputs
    esm = ("lambda", "CreateEventSourceMapping")
    accepts(member(*esm, "BatchSize"), mapping["batchSize"])
    accepts(
        member(*esm, "MaximumBatchingWindowInSeconds"), mapping["maximumBatchingWindowInSeconds"]
    )
    accepts(
        member(*esm, "ScalingConfig", "MaximumConcurrency"),
        mapping["scalingConfig"]["maximumConcurrency"],
    )
    accepts(member(*esm, "FunctionResponseTypes"), mapping["functionResponseTypes"])
    # Lambda rejects a batch size above 10 on a standard queue without a batching window.
    if mapping["batchSize"] > 10:
        assert mapping["maximumBatchingWindowInSeconds"] >= 1


def test_queues(stack: MockedStack) -> None:
    process = next(
        f for f in stack.of_type("aws:lambda/function:Function") if "process" in f.inputs["name"]
    )
    for queue in stack.of_type("aws:sqs/queue:Queue"):
        i = queue.inputs
        documented("sqs.QueueName", i["name"])
        documented("sqs.MessageRetentionPeriod", i["messageRetentionSeconds"])
        if "visibilityTimeoutSeconds" in i:
            documented("sqs.VisibilityTimeout", i["visibilityTimeoutSeconds"])
            ratio, _ = DOCUMENTED["lambda.SqsVisibilityToTimeout"]
            assert i["visibilityTimeoutSeconds"] >= ratio * process.inputs["timeout"]
        if "redrivePolicy" in i:
            documented("sqs.maxReceiveCount", json.loads(i["redrivePolicy"])["maxReceiveCount"])


def test_table(stack: MockedStack) -> None:
    table = stack.one("aws:dynamodb/table:Table").inputs
    create = ("dynamodb", "CreateTable")
    accepts(member(*create, "TableName"), table["name"])
    accepts(member(*create, "BillingMode"), table["billingMode"])
    for attribute in table["attributes"]:
        accepts(member(*create, "AttributeDefinitions", "[]", "AttributeType"), attribute["type"])
    for index in table["globalSecondaryIndexes"]:
        gsi = (*create, "GlobalSecondaryIndexes", "[]")
        accepts(member(*gsi, "IndexName"), index["name"])
        accepts(member(*gsi, "Projection", "ProjectionType"), index["projectionType"])
        accepts(member(*gsi, "Projection", "NonKeyAttributes"), index["nonKeyAttributes"])
        for key in index["keySchemas"]:
            accepts(member(*gsi, "KeySchema", "[]", "KeyType"), key["keyType"])
    accepts(
        member("dynamodb", "UpdateTimeToLive", "TimeToLiveSpecification", "AttributeName"),
        table["ttl"]["attributeName"],
    )


def test_log_groups(stack: MockedStack) -> None:
    for group in stack.of_type("aws:cloudwatch/logGroup:LogGroup"):
        accepts(member("logs", "CreateLogGroup", "logGroupName"), group.inputs["name"])
        documented("logs.retentionInDays", group.inputs["retentionInDays"])


def test_http_api(stack: MockedStack) -> None:
    api = stack.one("aws:apigatewayv2/api:Api").inputs
    accepts(member("apigatewayv2", "CreateApi", "ProtocolType"), api["protocolType"])
    integration = stack.one("aws:apigatewayv2/integration:Integration").inputs
    accepts(
        member("apigatewayv2", "CreateIntegration", "IntegrationType"),
        integration["integrationType"],
    )
    documented("apigatewayv2.PayloadFormatVersion", integration["payloadFormatVersion"])
    stage = stack.one("aws:apigatewayv2/stage:Stage").inputs["defaultRouteSettings"]
    route_settings = ("apigatewayv2", "CreateStage", "DefaultRouteSettings")
    accepts(member(*route_settings, "ThrottlingBurstLimit"), stage["throttlingBurstLimit"])


def test_alarms(stack: MockedStack) -> None:
    put = ("cloudwatch", "PutMetricAlarm")
    for alarm in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        i = alarm.inputs
        accepts(member(*put, "AlarmName"), i["name"])
        accepts(member(*put, "ComparisonOperator"), i["comparisonOperator"])
        accepts(member(*put, "Statistic"), i["statistic"])
        accepts(member(*put, "Period"), i["period"])
        accepts(member(*put, "EvaluationPeriods"), i["evaluationPeriods"])
        accepts(member(*put, "Namespace"), i["namespace"])
        accepts(member(*put, "MetricName"), i["metricName"])
        accepts(member(*put, "TreatMissingData"), i["treatMissingData"])
        # CloudWatch only accepts these periods for standard-resolution metrics.
        assert i["period"] in (10, 20, 30) or i["period"] % 60 == 0


def test_archive_bucket(stack: MockedStack) -> None:
    bucket = stack.one("aws:s3/bucket:Bucket").inputs["bucket"]
    # S3 bucket naming rules: 3-63 characters, lower-case letters, digits, '-' and '.'.
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket)
    encryption = stack.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    accepts(
        member(
            "s3",
            "PutBucketEncryption",
            "ServerSideEncryptionConfiguration",
            "Rules",
            "[]",
            "ApplyServerSideEncryptionByDefault",
            "SSEAlgorithm",
        ),
        encryption["sseAlgorithm"],
    )
    ownership = stack.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    accepts(
        member(
            "s3",
            "PutBucketOwnershipControls",
            "OwnershipControls",
            "Rules",
            "[]",
            "ObjectOwnership",
        ),
        ownership["rule"]["objectOwnership"],
    )


def test_names_fit_iam_and_secrets_manager(stack: MockedStack) -> None:
    for role in stack.of_type("aws:iam/role:Role"):
        accepts(member("iam", "CreateRole", "RoleName"), role.inputs["name"])
    for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy"):
        accepts(member("iam", "PutRolePolicy", "PolicyName"), policy.inputs["name"])
    for secret in stack.of_type("aws:secretsmanager/secret:Secret"):
        accepts(member("secretsmanager", "CreateSecret", "Name"), secret.inputs["name"])


@pytest.mark.parametrize(
    ("limit", "value"),
    [("lambda.Timeout", 901), ("sqs.MessageRetentionPeriod", 59), ("logs.retentionInDays", 8)],
)
def test_the_documented_table_rejects_out_of_range_values(limit: str, value: int) -> None:
    with pytest.raises(AssertionError):
        documented(limit, value)


def test_the_model_check_rejects_out_of_range_values() -> None:
    with pytest.raises(AssertionError):
        accepts(member("lambda", "CreateEventSourceMapping", "BatchSize"), 10001)
    with pytest.raises(AssertionError):
        accepts(member("lambda", "CreateFunction", "Runtime"), "python3.99")
