"""The values a stack sends to AWS are values AWS accepts.

Checked against botocore's service models (the same models the AWS APIs are generated from)
where they state an enum or a range, else against the documented limits in `DOCUMENTED`, so an
invalid value is found offline and not halfway through `pulumi up`. Each check returns what it
found wrong (empty: nothing); the tests (tests/ops/program/test_aws_limits.py) and
`python -m ops preflight` run them over the program's graph.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.model import Shape

if TYPE_CHECKING:  # the graph's types only: `python -m ops` does not load Pulumi for these
    from local.mockrun import MockedResource, MockedStack

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
    "sqs.QueueName": (re.compile(r"[A-Za-z0-9_-]{1,80}(\.fifo)?"), SQS_NAMES),
    "logs.retentionInDays": (RETENTION_DAYS, LOGS_RETENTION),
    "apigatewayv2.PayloadFormatVersion": ({"1.0", "2.0"}, HTTP_API_INTEGRATION),
    "lambda.SqsVisibilityToTimeout": (6, SQS_EVENT_SOURCE),
}
# S3 bucket naming rules: 3-63 characters, lower-case letters, digits, '-' and '.'.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@cache
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def member(service: str, operation: str, *path: str) -> Shape:
    """The shape of one request parameter, e.g. member("lambda", "CreateFunction", "Timeout")."""
    shape = _model(service).operation_model(operation).input_shape
    for name in path:
        shape = shape.member if name == "[]" else shape.members[name]
    return shape


def accepts(shape: Shape, value: Any) -> list[str]:
    """What in `value` breaks the shape's enum, min/max or pattern, as AWS checks them."""
    if shape.type_name == "list":
        low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 10**9)
        found = [] if low <= len(value) <= high else [f"{shape.name}: {len(value)} items"]
        return found + [p for item in value for p in accepts(shape.member, item)]
    found = []
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        found.append(f"{value!r} not in {shape.name} {enum}")
    if shape.type_name in ("integer", "long"):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if not float(value).is_integer():
            found.append(f"{shape.name}: {value} is not an integer")
        if low is not None and value < low:
            found.append(f"{shape.name}: {value} < {low}")
        if high is not None and value > high:
            found.append(f"{shape.name}: {value} > {high}")
    if shape.type_name == "string":
        low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 10**9)
        if not low <= len(value) <= high:
            found.append(f"{shape.name}: {value!r} is not {low} to {high} characters")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            found.append(f"{shape.name}: {value!r} !~ {pattern}")
    return found


def documented(limit: str, value: Any) -> list[str]:
    allowed, source = DOCUMENTED[limit]
    ok = allowed.fullmatch(value) if isinstance(allowed, re.Pattern) else value in allowed
    return [] if ok else [f"{limit}: {value!r} (see {source})"]


Check = Callable[["MockedStack", "MockedResource"], Iterator[list[str]]]


def _function(stack: MockedStack, fn: MockedResource) -> Iterator[list[str]]:
    i = fn.inputs
    create = ("lambda", "CreateFunction")
    yield accepts(member(*create, "Runtime"), i["runtime"])
    yield accepts(member(*create, "Architectures"), i["architectures"])
    yield accepts(member(*create, "MemorySize"), i["memorySize"])
    yield accepts(member(*create, "Timeout"), i["timeout"])
    yield accepts(member(*create, "Handler"), i["handler"])
    yield accepts(member(*create, "FunctionName"), i["name"])
    yield accepts(member(*create, "Description"), i["description"])
    logging = i["loggingConfig"]
    yield accepts(member(*create, "LoggingConfig", "LogFormat"), logging["logFormat"])
    yield accepts(member(*create, "LoggingConfig", "LogGroup"), logging["logGroup"])
    yield documented("lambda.MemorySize", i["memorySize"])
    yield documented("lambda.Timeout", i["timeout"])
    variables = i["environment"]["variables"]
    size = sum(len(k.encode()) + len(v.encode()) for k, v in variables.items())
    yield documented("lambda.EnvironmentBytes", size)
    for name in variables:
        yield accepts(member(*create, "Environment", "Variables").key, name)
    if "reservedConcurrentExecutions" in i:
        yield accepts(
            member("lambda", "PutFunctionConcurrency", "ReservedConcurrentExecutions"),
            i["reservedConcurrentExecutions"],
        )


def _mapping(stack: MockedStack, mapping: MockedResource) -> Iterator[list[str]]:
    i = mapping.inputs
    esm = ("lambda", "CreateEventSourceMapping")
    for name in ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes"):
        key = name[0].lower() + name[1:]
        if key in i:
            yield accepts(member(*esm, name), i[key])
    if "scalingConfig" in i:
        concurrency = i["scalingConfig"]["maximumConcurrency"]
        yield accepts(member(*esm, "ScalingConfig", "MaximumConcurrency"), concurrency)
    # Lambda rejects a batch size above 10 on a standard queue without a batching window.
    if str(i.get("eventSourceArn", "")).startswith("arn:aws:sqs:") and i["batchSize"] > 10:
        window = i.get("maximumBatchingWindowInSeconds", 0)
        yield [] if window >= 1 else [f"{mapping.name}: batch size above 10 needs a window"]


def _consumer_timeout(stack: MockedStack, queue: MockedResource) -> int | None:
    """The timeout of the function an event source mapping feeds from this queue, if any."""
    for mapping in stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        if mapping.inputs.get("eventSourceArn") == queue.state.get("arn"):
            for fn in stack.of_type("aws:lambda/function:Function"):
                if mapping.inputs.get("functionName") in (fn.state.get("arn"), fn.inputs["name"]):
                    timeout: int = fn.inputs["timeout"]
                    return timeout
    return None


def _queue(stack: MockedStack, queue: MockedResource) -> Iterator[list[str]]:
    i = queue.inputs
    yield documented("sqs.QueueName", i["name"])
    yield documented("sqs.MessageRetentionPeriod", i["messageRetentionSeconds"])
    if "visibilityTimeoutSeconds" in i:
        yield documented("sqs.VisibilityTimeout", i["visibilityTimeoutSeconds"])
        timeout = _consumer_timeout(stack, queue)
        ratio, source = DOCUMENTED["lambda.SqsVisibilityToTimeout"]
        if timeout is not None and i["visibilityTimeoutSeconds"] < ratio * timeout:
            yield [f"{i['name']}: visibility timeout below {ratio} x {timeout} s (see {source})"]
    if "redrivePolicy" in i:
        count = json.loads(i["redrivePolicy"])["maxReceiveCount"]
        yield documented("sqs.maxReceiveCount", count)


def _table(stack: MockedStack, table: MockedResource) -> Iterator[list[str]]:
    i = table.inputs
    create = ("dynamodb", "CreateTable")
    yield accepts(member(*create, "TableName"), i["name"])
    yield accepts(member(*create, "BillingMode"), i["billingMode"])
    for attribute in i["attributes"]:
        yield accepts(
            member(*create, "AttributeDefinitions", "[]", "AttributeType"), attribute["type"]
        )
    for index in i.get("globalSecondaryIndexes", []):
        gsi = (*create, "GlobalSecondaryIndexes", "[]")
        yield accepts(member(*gsi, "IndexName"), index["name"])
        yield accepts(member(*gsi, "Projection", "ProjectionType"), index["projectionType"])
        if "nonKeyAttributes" in index:
            yield accepts(member(*gsi, "Projection", "NonKeyAttributes"), index["nonKeyAttributes"])
        for key in index["keySchemas"]:
            yield accepts(member(*gsi, "KeySchema", "[]", "KeyType"), key["keyType"])
    if "ttl" in i:
        ttl = member("dynamodb", "UpdateTimeToLive", "TimeToLiveSpecification", "AttributeName")
        yield accepts(ttl, i["ttl"]["attributeName"])


def _log_group(stack: MockedStack, group: MockedResource) -> Iterator[list[str]]:
    yield accepts(member("logs", "CreateLogGroup", "logGroupName"), group.inputs["name"])
    yield documented("logs.retentionInDays", group.inputs["retentionInDays"])


def _api(stack: MockedStack, api: MockedResource) -> Iterator[list[str]]:
    yield accepts(member("apigatewayv2", "CreateApi", "ProtocolType"), api.inputs["protocolType"])


def _integration(stack: MockedStack, integration: MockedResource) -> Iterator[list[str]]:
    i = integration.inputs
    kind = member("apigatewayv2", "CreateIntegration", "IntegrationType")
    yield accepts(kind, i["integrationType"])
    yield documented("apigatewayv2.PayloadFormatVersion", i["payloadFormatVersion"])


def _stage(stack: MockedStack, stage: MockedResource) -> Iterator[list[str]]:
    settings = stage.inputs.get("defaultRouteSettings") or {}
    if "throttlingBurstLimit" in settings:
        burst = member(
            "apigatewayv2", "CreateStage", "DefaultRouteSettings", "ThrottlingBurstLimit"
        )
        yield accepts(burst, settings["throttlingBurstLimit"])


def _alarm(stack: MockedStack, alarm: MockedResource) -> Iterator[list[str]]:
    i = alarm.inputs
    put = ("cloudwatch", "PutMetricAlarm")
    for name, key in (
        ("AlarmName", "name"),
        ("ComparisonOperator", "comparisonOperator"),
        ("Statistic", "statistic"),
        ("Period", "period"),
        ("EvaluationPeriods", "evaluationPeriods"),
        ("Namespace", "namespace"),
        ("MetricName", "metricName"),
        ("TreatMissingData", "treatMissingData"),
    ):
        yield accepts(member(*put, name), i[key])
    # CloudWatch only accepts these periods for standard-resolution metrics.
    if not (i["period"] in (10, 20, 30) or i["period"] % 60 == 0):
        yield [f"{i['name']}: period {i['period']} is not 10, 20, 30 or a multiple of 60"]


def _bucket(stack: MockedStack, bucket: MockedResource) -> Iterator[list[str]]:
    name = bucket.inputs["bucket"]
    yield [] if BUCKET_NAME.fullmatch(name) else [f"bucket name {name!r} breaks S3's rules"]


def _encryption(stack: MockedStack, config: MockedResource) -> Iterator[list[str]]:
    path = ("ServerSideEncryptionConfiguration", "Rules", "[]")
    algorithm = member("s3", "PutBucketEncryption", *path, "ApplyServerSideEncryptionByDefault")
    for rule in config.inputs["rules"]:
        sse = rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
        yield accepts(algorithm.members["SSEAlgorithm"], sse)


def _ownership(stack: MockedStack, ownership: MockedResource) -> Iterator[list[str]]:
    path = ("OwnershipControls", "Rules", "[]", "ObjectOwnership")
    value = ownership.inputs["rule"]["objectOwnership"]
    yield accepts(member("s3", "PutBucketOwnershipControls", *path), value)


def _role(stack: MockedStack, role: MockedResource) -> Iterator[list[str]]:
    yield accepts(member("iam", "CreateRole", "RoleName"), role.inputs["name"])


def _role_policy(stack: MockedStack, policy: MockedResource) -> Iterator[list[str]]:
    yield accepts(member("iam", "PutRolePolicy", "PolicyName"), policy.inputs["name"])


def _secret(stack: MockedStack, secret: MockedResource) -> Iterator[list[str]]:
    yield accepts(member("secretsmanager", "CreateSecret", "Name"), secret.inputs["name"])


CHECKS: dict[str, Check] = {
    "aws:lambda/function:Function": _function,
    "aws:lambda/eventSourceMapping:EventSourceMapping": _mapping,
    "aws:sqs/queue:Queue": _queue,
    "aws:dynamodb/table:Table": _table,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:apigatewayv2/api:Api": _api,
    "aws:apigatewayv2/integration:Integration": _integration,
    "aws:apigatewayv2/stage:Stage": _stage,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _encryption
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _ownership,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:secretsmanager/secret:Secret": _secret,
}


def resource_problems(stack: MockedStack, resource: MockedResource) -> list[str]:
    check = CHECKS.get(resource.type)
    if check is None:
        return []
    return [f"{resource.name}: {p}" for found in check(stack, resource) for p in found]


def problems(stack: MockedStack) -> list[str]:
    """Every value of the graph AWS would refuse, by resource."""
    return [p for r in stack.resources if r.custom for p in resource_problems(stack, r)]
