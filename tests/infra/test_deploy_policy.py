"""docs/deploy-policy.json: what a CI role needs for `pulumi preview` and `pulumi up`.

Every resource type of every graph (both stack files, a review stack, a second region, both
custom-domain forms) needs its entry in `REQUIRED` (the calls the AWS provider makes to read,
create, update and delete it), and the policy must allow each of those calls on the ARN this
program gives the resource. A new resource type without its permissions fails here.
"""

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.mockstack import (
    ACCOUNT_ID,
    PROJECT_DIR,
    SCENARIOS,
    MockedResource,
    MockedStack,
    built_stack,
)

OBJECT_ACTIONS = {"s3:DeleteObject", "s3:DeleteObjectVersion"}
POLICY = json.loads((PROJECT_DIR / "docs" / "deploy-policy.json").read_text())
# AWS's limit for a customer managed policy (characters, whitespace not counted).
MANAGED_POLICY_CHARS = 6144

_TAGS = ("TagResource", "UntagResource")
_CRUD = ("GET", "POST", "PATCH", "DELETE")


def _apigateway(*extra: str) -> tuple[str, ...]:
    """API Gateway authorizes by HTTP method on the resource's path."""
    return tuple(f"apigateway:{method}" for method in (*_CRUD, *extra))


REQUIRED: dict[str, tuple[str, ...]] = {
    "aws:dynamodb/table:Table": (
        "dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable",
        "dynamodb:DeleteTable", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive",
        "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups",
        "dynamodb:ListTagsOfResource", *(f"dynamodb:{a}" for a in _TAGS),
    ),
    "aws:sqs/queue:Queue": (
        "sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:GetQueueUrl",
        "sqs:DeleteQueue", "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue",
    ),
    "aws:sqs/queuePolicy:QueuePolicy": ("sqs:GetQueueAttributes", "sqs:SetQueueAttributes"),
    "aws:cloudwatch/eventBus:EventBus": (
        "events:CreateEventBus", "events:DescribeEventBus", "events:UpdateEventBus",
        "events:DeleteEventBus", "events:ListTagsForResource", *(f"events:{a}" for a in _TAGS),
    ),
    "aws:cloudwatch/eventRule:EventRule": (
        "events:PutRule", "events:DescribeRule", "events:DeleteRule", "events:EnableRule",
        "events:DisableRule", "events:ListTagsForResource", *(f"events:{a}" for a in _TAGS),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": (
        "events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets",
    ),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": (
        "sqs:GetQueueAttributes", "sqs:SetQueueAttributes",
    ),
    "aws:lambda/function:Function": (
        "lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
        "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction",
        "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
        "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
        "lambda:DeleteFunction", "lambda:ListTags", *(f"lambda:{a}" for a in _TAGS),
        "iam:PassRole",
    ),
    "aws:lambda/permission:Permission": (
        "lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission",
    ),
    "aws:lambda/functionUrl:FunctionUrl": (
        "lambda:CreateFunctionUrlConfig", "lambda:GetFunctionUrlConfig",
        "lambda:UpdateFunctionUrlConfig", "lambda:DeleteFunctionUrlConfig",
    ),
    "aws:lambda/eventSourceMapping:EventSourceMapping": (
        "lambda:CreateEventSourceMapping", "lambda:GetEventSourceMapping",
        "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping",
    ),
    "aws:iam/role:Role": (
        "iam:CreateRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy",
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        "logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy", "logs:DeleteLogGroup", "logs:ListTagsForResource",
        *(f"logs:{a}" for a in _TAGS),
    ),
    "aws:secretsmanager/secret:Secret": (
        "secretsmanager:CreateSecret", "secretsmanager:DescribeSecret",
        "secretsmanager:GetResourcePolicy", "secretsmanager:UpdateSecret",
        "secretsmanager:DeleteSecret", *(f"secretsmanager:{a}" for a in _TAGS),
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": (
        "secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue",
        "secretsmanager:ListSecretVersionIds", "secretsmanager:UpdateSecretVersionStage",
    ),
    "aws:s3/bucket:Bucket": (
        "s3:CreateBucket", "s3:ListBucket", "s3:GetBucketAcl", "s3:GetBucketCORS",
        "s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration",
        "s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration",
        "s3:GetBucketObjectLockConfiguration", "s3:GetBucketTagging", "s3:PutBucketTagging",
        "s3:GetBucketPolicy", "s3:DeleteBucket", "s3:ListBucketVersions",
        # forceDestroy (dev) empties the bucket before deleting it.
        "s3:DeleteObject", "s3:DeleteObjectVersion",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        "s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": (
        "s3:GetBucketVersioning", "s3:PutBucketVersioning",
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": (
        "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
    ),
    "aws:apigatewayv2/api:Api": _apigateway("TagResource", "UntagResource"),
    "aws:apigatewayv2/integration:Integration": _apigateway(),
    "aws:apigatewayv2/route:Route": _apigateway(),
    "aws:apigatewayv2/stage:Stage": (
        *_apigateway(),
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies", "iam:CreateServiceLinkedRole",
    ),
    "aws:apigatewayv2/domainName:DomainName": _apigateway("TagResource", "UntagResource"),
    "aws:apigatewayv2/apiMapping:ApiMapping": _apigateway(),
    "aws:sns/topic:Topic": (
        "sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic",
        "sns:ListTagsForResource", *(f"sns:{a}" for a in _TAGS),
    ),
    "aws:sns/topicSubscription:TopicSubscription": (
        "sns:Subscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes",
        "sns:Unsubscribe",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms",
        "cloudwatch:ListTagsForResource", *(f"cloudwatch:{a}" for a in _TAGS),
    ),
    "aws:cloudwatch/dashboard:Dashboard": (
        "cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards",
    ),
    "aws:acm/certificate:Certificate": (
        "acm:RequestCertificate", "acm:DescribeCertificate", "acm:DeleteCertificate",
        "acm:ListTagsForCertificate", "acm:AddTagsToCertificate",
        "acm:RemoveTagsFromCertificate",
    ),
    "aws:acm/certificateValidation:CertificateValidation": ("acm:DescribeCertificate",),
    "aws:route53/record:Record": (
        "route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
        "route53:GetHostedZone", "route53:GetChange",
    ),
}  # fmt: skip
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
}
UNSCOPED_SIDS = {
    "LogsDelivery",
    "Acm",
    "LambdaMappingCreate",
}


def _statements() -> list[dict[str, Any]]:
    return POLICY["Statement"]


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def allowed(action: str, arn: str) -> bool:
    return any(
        statement["Effect"] == "Allow"
        and any(fnmatch.fnmatchcase(action, pattern) for pattern in _list(statement["Action"]))
        and any(fnmatch.fnmatchcase(arn, pattern) for pattern in _list(statement["Resource"]))
        for statement in _statements()
    )


def arns(stack: MockedStack, resource: MockedResource, action: str) -> Iterator[str]:
    """The ARN an action on `resource` is authorized against (IAM's resource types)."""
    region, i = stack.outputs["region"], resource.inputs
    service = action.split(":", 1)[0]
    by_id = {r.id: r for r in stack.resources if r.custom}
    if service == "iam":
        role = i.get("role") or (i.get("name") if resource.type.endswith("role:Role") else None)
        if action == "iam:CreateServiceLinkedRole":
            yield f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/ops.apigateway.amazonaws.com/x"
        elif role is not None:
            yield f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"
        else:  # PassRole of a function's role
            yield i["role"] if "role" in i else resource.inputs["role"]
        return
    if service == "logs" and resource.type.endswith("stage:Stage"):
        yield "*"
        return
    if service == "apigateway":
        api = i.get("apiId") or resource.id
        if "domainName" in resource.type:
            yield f"arn:aws:apigateway:{region}::/domainnames/{resource.id}"
        elif "apiMapping" in resource.type:
            domain = i["domainName"]
            yield f"arn:aws:apigateway:{region}::/domainnames/{domain}/apimappings/{resource.id}"
        else:
            yield f"arn:aws:apigateway:{region}::/apis/{api}"
        return
    if service == "route53":
        if action == "route53:GetChange":
            yield "arn:aws:route53:::change/C0123"
        else:
            yield f"arn:aws:route53:::hostedzone/{i['zoneId']}"
        return
    if resource.type == "aws:lambda/eventSourceMapping:EventSourceMapping":
        yield (
            "*"
            if action.startswith("lambda:Create")
            else (f"arn:aws:lambda:{region}:{ACCOUNT_ID}:event-source-mapping:{resource.id}")
        )
        return
    if resource.type == "aws:cloudwatch/eventTarget:EventTarget":  # authorized on its rule
        bus, rule = i["eventBusName"], i["rule"]
        yield f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{bus}/{rule}"
        return
    if resource.type == "aws:cloudwatch/dashboard:Dashboard":
        yield f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{i['dashboardName']}"
        return
    if "arn" in resource.state:
        suffix = "/bodies/key" if action in OBJECT_ACTIONS else ""
        yield resource.state["arn"] + suffix
        return
    for key in (
        "secretId",
        "bucket",
        "function",
        "functionName",
        "topic",
        "certificateArn",
        "queueUrl",
    ):
        if key in i:
            target = by_id.get(i[key]) or next(
                (
                    r
                    for r in stack.resources
                    if r.inputs.get("name") == i[key]
                    or r.inputs.get("bucket") == i[key]
                    or r.state.get("url") == i[key]
                ),
                None,
            )
            assert target is not None, (resource.name, key)
            yield from arns(stack, target, action)
            return
    raise AssertionError(f"no ARN known for {resource.type} {resource.name}")


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_policy_allows_what_each_resource_needs(scenario: str) -> None:
    stack = built_stack(scenario)
    for resource in stack.resources:
        if not resource.custom:
            continue
        assert resource.type in REQUIRED, (
            f"{resource.type} has no permissions: add the calls the provider makes for it to"
            " REQUIRED and allow them in docs/deploy-policy.json"
        )
        for action in REQUIRED[resource.type]:
            for arn in arns(stack, resource, action):
                assert allowed(action, arn), (scenario, resource.name, action, arn)


def test_policy_is_least_privilege() -> None:
    services = {action.split(":")[0] for actions in REQUIRED.values() for action in actions}
    for statement in _statements():
        assert statement["Effect"] == "Allow"
        for action in _list(statement["Action"]):
            service, _, name = action.partition(":")
            assert service in services, action
            assert name not in ("*", ""), action
            assert any(
                fnmatch.fnmatchcase(required, action)
                for actions in REQUIRED.values()
                for required in actions
            ), f"{action} is granted but no resource needs it"
        resources = _list(statement["Resource"])
        if statement["Sid"] not in UNSCOPED_SIDS:
            assert "*" not in resources, statement["Sid"]
        if statement["Sid"] not in NOT_OURS_TO_NAME:
            for resource in resources:
                assert "webhooks" in resource, (statement["Sid"], resource)


def test_policy_fits_one_managed_policy() -> None:
    compact = json.dumps(POLICY, separators=(",", ":"))
    assert len(compact) <= MANAGED_POLICY_CHARS
    assert len({s["Sid"] for s in _statements()}) == len(_statements())
