"""Each resource type the program declares is realized in moto, recorded, accepted, or refused."""

import json

import pytest
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from local.errors import LocalStackError
from local.realize import (
    _REALIZERS,
    ACCEPTED,
    REALIZED,
    RECORDED,
    MotoMocks,
    UnrealizableResourceError,
)

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def mocks(moto) -> MotoMocks:
    return MotoMocks(moto.endpoint_url, REGION, "http://127.0.0.1:9999")


def declare(mocks: MotoMocks, typ: str, logical: str, **inputs) -> tuple[str, dict]:
    resource_id, state = mocks.new_resource(MockResourceArgs(typ, logical, inputs, custom=True))
    assert resource_id is not None, f"{typ} {logical!r} was given no id"
    return resource_id, state


def test_queue_with_declared_attributes_and_inline_redrive(mocks, aws):
    _, dlq = declare(mocks, "aws:sqs/queue:Queue", "dlq", name="t-dlq")
    queue_id, queue = declare(
        mocks,
        "aws:sqs/queue:Queue",
        "queue",
        name="t-queue",
        visibilityTimeoutSeconds=180,
        messageRetentionSeconds=86400,
        sqsManagedSseEnabled=True,
        redrivePolicy=json.dumps({"deadLetterTargetArn": dlq["arn"], "maxReceiveCount": 3}),
    )
    assert queue_id == queue["url"] == queue["id"]
    assert queue["arn"] == f"arn:aws:sqs:{REGION}:123456789012:t-queue"
    attributes = aws("sqs").get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["VisibilityTimeout"] == "180"
    assert attributes["MessageRetentionPeriod"] == "86400"
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq["arn"],
        "maxReceiveCount": 3,
    }
    assert mocks.declaration.queues[queue["arn"]] == queue["url"]


def test_redrive_policy_resources_set_the_queue_attributes(mocks, aws):
    _, dlq = declare(mocks, "aws:sqs/queue:Queue", "dlq2", name="r-dlq")
    _, queue = declare(mocks, "aws:sqs/queue:Queue", "queue2", name="r-queue")
    policy = {"deadLetterTargetArn": dlq["arn"], "maxReceiveCount": 5}
    declare(
        mocks,
        "aws:sqs/redrivePolicy:RedrivePolicy",
        "redrive",
        queueUrl=queue["url"],
        redrivePolicy=json.dumps(policy),
    )
    allow = {"redrivePermission": "byQueue", "sourceQueueArns": [queue["arn"]]}
    declare(
        mocks,
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        "allow",
        queueUrl=dlq["url"],
        redriveAllowPolicy=json.dumps(allow),
    )
    sqs = aws("sqs")
    queue_attributes = sqs.get_queue_attributes(QueueUrl=queue["url"], AttributeNames=["All"])
    dlq_attributes = sqs.get_queue_attributes(QueueUrl=dlq["url"], AttributeNames=["All"])
    assert json.loads(queue_attributes["Attributes"]["RedrivePolicy"]) == policy
    # moto 5.2.5 accepts RedriveAllowPolicy but does not store it (the set call must not fail).
    assert dlq_attributes["Attributes"].get("RedriveAllowPolicy") in (None, json.dumps(allow))


def test_unnamed_queue_is_auto_named_like_pulumi(mocks):
    _, queue = declare(mocks, "aws:sqs/queue:Queue", "orders")
    assert queue["name"].startswith("orders-") and len(queue["name"]) == len("orders-") + 7


def test_table_with_key_schema_gsi_ttl_and_pitr(mocks, aws):
    table_id, table = declare(
        mocks,
        "aws:dynamodb/table:Table",
        "table",
        name="t-events",
        billingMode="PAY_PER_REQUEST",
        hashKey="pk",
        attributes=[
            {"name": "pk", "type": "S"},
            {"name": "provider", "type": "S"},
            {"name": "received_at", "type": "S"},
        ],
        globalSecondaryIndexes=[
            {
                "name": "by_provider",
                "hashKey": "provider",
                "rangeKey": "received_at",
                "projectionType": "INCLUDE",
                "nonKeyAttributes": ["delivery_id", "event_type"],
            }
        ],
        ttl={"attributeName": "expires_at", "enabled": True},
        pointInTimeRecovery={"enabled": True},
        serverSideEncryption={"enabled": True},
        deletionProtectionEnabled=True,
    )
    assert table_id == "t-events"
    assert table["arn"] == f"arn:aws:dynamodb:{REGION}:123456789012:table/t-events"
    dynamodb = aws("dynamodb")
    described = dynamodb.describe_table(TableName="t-events")["Table"]
    assert described["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert described["DeletionProtectionEnabled"] is True
    (index,) = described["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by_provider"
    assert index["KeySchema"] == [
        {"AttributeName": "provider", "KeyType": "HASH"},
        {"AttributeName": "received_at", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["delivery_id", "event_type"],
    }
    ttl = dynamodb.describe_time_to_live(TableName="t-events")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    backups = dynamodb.describe_continuous_backups(TableName="t-events")
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_bucket(mocks, aws):
    bucket_id, bucket = declare(mocks, "aws:s3/bucket:Bucket", "archive", bucket="t-archive")
    assert bucket_id == bucket["bucket"] == "t-archive"
    assert bucket["arn"] == "arn:aws:s3:::t-archive"
    assert aws("s3").head_bucket(Bucket="t-archive")["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_secret_and_secret_version(mocks, aws):
    _, secret = declare(mocks, "aws:secretsmanager/secret:Secret", "s", name="t/github")
    assert secret["arn"].startswith(f"arn:aws:secretsmanager:{REGION}:123456789012:secret:t/gith")
    value = json.dumps({"secrets": ["current", "previous"]})
    declare(
        mocks,
        "aws:secretsmanager/secretVersion:SecretVersion",
        "v",
        secretId=secret["arn"],
        secretString=value,
    )
    stored = aws("secretsmanager").get_secret_value(SecretId=secret["arn"])
    assert stored["SecretString"] == value


def test_functions_mappings_and_api_are_recorded_not_created(mocks, aws):
    _, function = declare(
        mocks,
        "aws:lambda/function:Function",
        "fn",
        name="t-fn",
        handler="ingest.handler",
        timeout=10,
        environment={"variables": {"QUEUE_URL": "u"}},
    )
    assert function["arn"] == f"arn:aws:lambda:{REGION}:123456789012:function:t-fn"
    assert function["invokeArn"].endswith(f"/functions/{function['arn']}/invocations")
    recorded = mocks.declaration.functions[function["arn"]]
    assert recorded["handler"] == "ingest.handler"
    assert recorded["environment"] == {"variables": {"QUEUE_URL": "u"}}
    declare(
        mocks,
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "esm",
        functionName=function["arn"],
        eventSourceArn="arn:aws:sqs:eu-west-1:123456789012:t-queue",
        batchSize=5,
    )
    assert mocks.declaration.mappings[-1]["batchSize"] == 5
    api_id, api = declare(mocks, "aws:apigatewayv2/api:Api", "api", protocolType="HTTP")
    assert api["apiEndpoint"] == "http://127.0.0.1:9999"
    assert api["executionArn"] == f"arn:aws:execute-api:{REGION}:123456789012:{api_id}"
    _, stage = declare(mocks, "aws:apigatewayv2/stage:Stage", "stage", apiId=api_id)
    assert stage["name"] == "$default" and stage["invokeUrl"] == "http://127.0.0.1:9999/"
    declare(mocks, "aws:apigatewayv2/route:Route", "route", apiId=api_id, routeKey="POST /x/{y}")
    assert mocks.declaration.routes[-1]["routeKey"] == "POST /x/{y}"
    assert "Functions" not in aws("lambda").list_functions() or not any(
        f["FunctionName"] == "t-fn" for f in aws("lambda").list_functions()["Functions"]
    )


@pytest.mark.parametrize("typ", sorted(ACCEPTED))
def test_accepted_types_return_state(mocks, typ):
    resource_id, state = declare(mocks, typ, "thing", name="t-thing")
    assert resource_id
    if typ == "aws:iam/role:Role":
        assert state["arn"] == "arn:aws:iam::123456789012:role/t-thing"


def test_components_are_accepted(mocks):
    resource_id, _ = mocks.new_resource(
        MockResourceArgs("webhooks:index:Anything", "c", {}, custom=False)
    )
    assert resource_id == "c_id"
    assert mocks.declaration.resources[-1]["status"] == "component"


def test_every_handled_type_is_listed_as_realized_or_recorded() -> None:
    """The lists docs/development.md's "What runs where" table is written from are what the
    code does."""
    assert set(_REALIZERS) == REALIZED | RECORDED
    assert not REALIZED & RECORDED
    assert not (REALIZED | RECORDED) & ACCEPTED


def test_an_unrealizable_resource_fails_naming_type_and_name(mocks):
    with pytest.raises(LocalStackError) as raised:
        declare(mocks, "aws:ec2/vpc:Vpc", "main-vpc", cidrBlock="10.0.0.0/16")
    assert "aws:ec2/vpc:Vpc" in str(raised.value)
    assert "'main-vpc'" in str(raised.value)


def test_invokes(mocks):
    identity, failures = mocks.call(
        MockCallArgs("aws:index/getCallerIdentity:getCallerIdentity", {}, "")
    )
    assert identity["accountId"] == "123456789012" and failures == []
    region, _ = mocks.call(MockCallArgs("aws:index/getRegion:getRegion", {}, ""))
    assert region["region"] == REGION
    with pytest.raises(UnrealizableResourceError, match="aws:ec2/getAmi:getAmi"):
        mocks.call(MockCallArgs("aws:ec2/getAmi:getAmi", {}, ""))
