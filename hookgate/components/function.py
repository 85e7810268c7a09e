"""A Lambda function with its own log group and a role allowed exactly what its code calls.

Shared by every component that owns a function (ingest, process, publish, deliver); the
resources are created as children of the calling component.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

RUNTIME = "python3.13"
ARCHITECTURE = "arm64"


def assume_role_policy(service: str) -> str:
    """The trust policy of a role that only `service` (e.g. `lambda.amazonaws.com`) assumes."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


ASSUME_ROLE_POLICY = assume_role_policy("lambda.amazonaws.com")


@dataclass(frozen=True)
class Grant:
    """One IAM statement: these actions on these resources, nothing wider."""

    actions: Sequence[str]
    resources: pulumi.Input[Sequence[pulumi.Input[str]]]
    condition: Mapping[str, Any] | None = None
    """The statement's `Condition`, when the resource alone is wider than the grant."""


def list_archive(bucket_arn: pulumi.Input[str]) -> Grant:
    """`s3:ListBucket` on the archive, for a role that reads archived bodies: without it S3
    answers a missing object with 403 instead of 404 (NoSuchKey), and "archived body is missing"
    reads as a permissions fault. Not narrowed by `s3:prefix`: a GetObject request carries no
    prefix, so a prefix condition would never match it; the bucket holds only `bodies/`."""
    return Grant(actions=["s3:ListBucket"], resources=[bucket_arn])


@dataclass(frozen=True)
class FunctionSpec:
    function_name: str
    # IAM role names are global to the account: unlike the function's, they carry the region.
    role_name: str
    handler: str
    code: pulumi.Archive
    timeout_seconds: int
    memory_mb: int
    reserved_concurrency: int | None
    log_retention_days: int
    environment: pulumi.Input[Mapping[str, str]]
    """The handler's variables, as its settings class renders them (`to_environ()`)."""
    grants: Sequence[Grant]
    tags: dict[str, str]
    description: str = ""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    vpc: tuple[Sequence[str], Sequence[str]] | None = None
    """(subnet ids, security group ids): the function runs in that VPC (HTTP destinations)."""


@dataclass(frozen=True)
class FunctionResources:
    function: aws.lambda_.Function
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup


def policy_document(grants: Sequence[Grant]) -> pulumi.Output[str]:
    """IAM policy JSON, built once every ARN is known."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": list(grant.actions), "Resource": grant.resources}
                | ({"Condition": grant.condition} if grant.condition else {})
                for grant in grants
            ],
        }
    )


def create_function(parent: pulumi.Resource, name: str, spec: FunctionSpec) -> FunctionResources:
    """Log group `/aws/lambda/<name>`, role + inline role policy, then the function."""
    child = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/aws/lambda/{spec.function_name}",
        retention_in_days=spec.log_retention_days,
        tags=spec.tags,
        opts=child,
    )
    role = aws.iam.Role(
        f"{name}-role",
        name=spec.role_name,
        assume_role_policy=ASSUME_ROLE_POLICY,
        tags=spec.tags,
        opts=child,
    )
    logs = Grant(
        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
        resources=[log_group.arn.apply(lambda arn: f"{arn}:*")],
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-policy",
        name=spec.function_name,
        role=role.id,
        policy=policy_document([*spec.grants, logs]),
        opts=child,
    )
    function = aws.lambda_.Function(
        name,
        name=spec.function_name,
        description=spec.description,
        role=role.arn,
        runtime=RUNTIME,
        architectures=[ARCHITECTURE],
        handler=spec.handler,
        code=spec.code,
        timeout=spec.timeout_seconds,
        memory_size=spec.memory_mb,
        reserved_concurrent_executions=spec.reserved_concurrency,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=spec.environment),
        vpc_config=None
        if spec.vpc is None
        else aws.lambda_.FunctionVpcConfigArgs(
            subnet_ids=list(spec.vpc[0]), security_group_ids=list(spec.vpc[1])
        ),
        # Text: the handlers already write JSON lines, and EMF lines must reach CloudWatch as is.
        # JSON format so the platform's per-invocation START/END/REPORT lines (system level
        # INFO) are dropped at system level WARN; our lines are already JSON and pass as
        # written, EMF included. The handlers filter their own lines (LOG_LEVEL): Lambda's
        # application filter is left fully open (docs/design.md, "Lean logs").
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(
            log_format="JSON",
            log_group=log_group.name,
            system_log_level="WARN",
            application_log_level="TRACE",
        ),
        tags=spec.tags,
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=[log_group, role_policy, *spec.depends_on]
        ),
    )
    return FunctionResources(function, role, role_policy, log_group)
