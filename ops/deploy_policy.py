"""docs/deploy-policy.json against the graph: does the deploy role allow every call the AWS
provider makes for each resource (read, create, update, delete), on the ARN this program gives
the resource, with the request context the policy's conditions test?

`REQUIRED` maps each resource type to those calls: a resource type without an entry is a
problem too, so a new feature cannot ship without its deploy permissions. Used by the tests
(tests/ops/program/test_deploy_policy.py) and `python -m ops preflight`.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the graph's types only: `python -m ops` does not load Pulumi for these
    from local.mockrun import MockedResource, MockedStack

POLICY_PATH = Path(__file__).resolve().parents[1] / "docs" / "deploy-policy.json"
OBJECT_ACTIONS = {"s3:DeleteObject", "s3:DeleteObjectVersion"}

_TAGS = ("TagResource", "UntagResource")
_CRUD = ("GET", "POST", "PATCH", "DELETE")


def _apigateway() -> tuple[str, ...]:
    """API Gateway authorizes by HTTP method on the resource's path."""
    return tuple(f"apigateway:{method}" for method in _CRUD)


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
    # An HTTP destination in a VPC: its role gets AWS's AWSLambdaVPCAccessExecutionRole.
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies",
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
    # Tags are POST and DELETE on /tags/<arn> (API Gateway has no TagResource action).
    "aws:apigatewayv2/api:Api": _apigateway(),
    "aws:apigatewayv2/integration:Integration": _apigateway(),
    "aws:apigatewayv2/route:Route": _apigateway(),
    "aws:apigatewayv2/stage:Stage": (
        *_apigateway(),
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies", "iam:CreateServiceLinkedRole",
    ),
    "aws:apigatewayv2/domainName:DomainName": _apigateway(),
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


VPC_FUNCTION = ("ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs")
"""What Lambda calls with the caller's permissions to check a function's `VpcConfig`
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html, "Required IAM
permissions"): a function with `vpcConfig` needs them besides `REQUIRED`'s."""


@dataclass(frozen=True)
class Call:
    """One call the provider makes: the action, the ARN IAM authorizes it on, and the request
    context keys the policy's conditions may test."""

    resource: MockedResource
    action: str
    arn: str
    context: Mapping[str, str] = field(default_factory=dict)


def load_policy(path: Path = POLICY_PATH) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# Condition operators the deploy policy uses, as IAM evaluates them (case-sensitive).
_OPERATORS = {
    "StringEquals": lambda value, pattern: value == pattern,
    "StringEqualsIfExists": lambda value, pattern: value == pattern,
    "StringLike": fnmatch.fnmatchcase,
    "ArnEquals": lambda value, pattern: value == pattern,
    "ArnLike": fnmatch.fnmatchcase,
}


def _conditions_hold(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Every operator and key holds for the call; a key the call does not carry fails, and an
    operator this evaluator does not know fails (so the test is never more lenient than IAM)."""
    for operator, tests in condition.items():
        compare = _OPERATORS.get(operator)
        if compare is None:
            return False
        for key, patterns in tests.items():
            value = context.get(key)
            if value is None and operator.endswith("IfExists"):
                continue  # the request does not carry the key: IAM lets it through
            if value is None or not any(compare(value, p) for p in _list(patterns)):
                return False
    return True


def allowed(policy: Mapping[str, Any], call: Call) -> bool:
    """Whether an Allow statement grants the call (the policy has no Deny statements)."""
    return any(
        statement["Effect"] == "Allow"
        and any(fnmatch.fnmatchcase(call.action, p) for p in _list(statement["Action"]))
        and any(fnmatch.fnmatchcase(call.arn, p) for p in _list(statement["Resource"]))
        and _conditions_hold(statement.get("Condition", {}), call.context)
        for statement in policy["Statement"]
    )


def _context(stack: MockedStack, resource: MockedResource, action: str) -> dict[str, str]:
    """The condition keys the request carries (those the deploy policy tests)."""
    i = resource.inputs
    if action == "iam:PassRole":
        service = "events" if resource.type.endswith("eventTarget:EventTarget") else "lambda"
        return {"iam:PassedToService": f"{service}.amazonaws.com"}
    if action == "iam:CreateServiceLinkedRole":
        return {"iam:AWSServiceName": "ops.apigateway.amazonaws.com"}
    if action == "lambda:CreateEventSourceMapping":
        return {"lambda:FunctionArn": str(i["functionName"])}
    if action in ("lambda:AddPermission", "lambda:RemovePermission"):
        return {"lambda:Principal": str(i["principal"])}
    if action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"):
        return {"iam:PolicyARN": str(i["policyArn"])}
    return {}


def _extra_actions(resource: MockedResource) -> tuple[str, ...]:
    """Calls a resource needs because of an input: a rule target with a role passes it; a
    function in a VPC has its subnets and security groups checked."""
    if resource.type == "aws:cloudwatch/eventTarget:EventTarget" and resource.inputs.get("roleArn"):
        return ("iam:PassRole",)
    if resource.type == "aws:lambda/function:Function" and resource.inputs.get("vpcConfig"):
        return VPC_FUNCTION
    return ()


def _arns(stack: MockedStack, resource: MockedResource, action: str) -> Iterator[str]:
    """The ARN an action on `resource` is authorized against (IAM's resource types)."""
    region, i = stack.outputs["region"], resource.inputs
    account = str(stack.outputs["table_arn"]).split(":")[4]
    service = action.split(":", 1)[0]
    by_id = {r.id: r for r in stack.resources if r.custom}
    if service == "iam":
        if action == "iam:CreateServiceLinkedRole":
            yield f"arn:aws:iam::{account}:role/aws-service-role/ops.apigateway.amazonaws.com/x"
        elif action == "iam:PassRole":
            yield i.get("roleArn") or i["role"]
        else:
            role = i.get("role") or i.get("name")
            yield f"arn:aws:iam::{account}:role/{role}"
        return
    if service == "ec2":  # the Describe calls have no resource-level permissions
        yield "*"
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
            else f"arn:aws:lambda:{region}:{account}:event-source-mapping:{resource.id}"
        )
        return
    if resource.type == "aws:cloudwatch/eventTarget:EventTarget":  # authorized on its rule
        bus, rule = i["eventBusName"], i["rule"]
        yield f"arn:aws:events:{region}:{account}:rule/{bus}/{rule}"
        return
    if resource.type == "aws:cloudwatch/dashboard:Dashboard":
        yield f"arn:aws:cloudwatch::{account}:dashboard/{i['dashboardName']}"
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
        if key not in i:
            continue
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
        if target is not None:
            yield from _arns(stack, target, action)
        elif str(i[key]).startswith("arn:"):  # not this stack's: a subscriber's own function
            yield i[key]
        else:
            raise LookupError(f"no ARN known for {resource.type} {resource.name} ({key})")
        return
    raise LookupError(f"no ARN known for {resource.type} {resource.name}")


def calls(stack: MockedStack, resource: MockedResource) -> Iterator[Call]:
    """Every call the provider makes for one resource of a type `REQUIRED` lists."""
    for action in (*REQUIRED[resource.type], *_extra_actions(resource)):
        context = _context(stack, resource, action)
        for arn in _arns(stack, resource, action):
            yield Call(resource, action, arn, context)


def problems(stack: MockedStack, policy: Mapping[str, Any] | None = None) -> list[str]:
    """What the deploy role would be refused for this graph (empty: nothing)."""
    policy = policy if policy is not None else load_policy()
    found = []
    for resource in stack.resources:
        if not resource.custom:
            continue
        if resource.type not in REQUIRED:
            found.append(
                f"{resource.type} ({resource.name}) has no deploy permissions: add the calls the"
                " provider makes for it to ops/deploy_policy.py REQUIRED and allow them in"
                " docs/deploy-policy.json"
            )
            continue
        for call in calls(stack, resource):
            if not allowed(policy, call):
                context = "".join(f" with {k}={v}" for k, v in call.context.items())
                found.append(
                    f"{resource.name}: docs/deploy-policy.json does not allow {call.action}"
                    f" on {call.arn}{context}"
                )
    return found
