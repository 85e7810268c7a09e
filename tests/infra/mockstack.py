"""Run the real Pulumi program (`__main__.py`) under Pulumi's mock runtime, without a network.

    from tests.infra.mockstack import run_stack
    stack = run_stack("dev")          # config from Pulumi.dev.yaml + example secrets
    stack.outputs["queue_url"]        # resolved stack outputs, as `pulumi stack output --json`
    stack.one("aws:sqs/queue:Queue", "webhooks-queue-queue").inputs

The run itself is `local.mockrun` (the harness the local stack runs the program with too);
this module adds mocks that answer like AWS would (ARNs, queue URLs, invoke URLs) with a fixed
account and region, so every run records the same graph.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import yaml
from webhooks import schemes

from local.mockrun import MockedResource, MockedStack, run_program

__all__ = ["MockedResource", "MockedStack", "built_stack", "example_secrets", "run_stack"]

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROJECT = "webhooks"
ACCOUNT_ID = "123456789012"
REGION = "eu-west-1"


def _arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


class AwsMocks(pulumi.runtime.Mocks):
    """Computed attributes the way AWS returns them, derived from the resource's name."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        state = dict(args.inputs)
        if not args.custom:
            return "", state
        name = args.inputs.get("name") or args.name
        resource_id = f"{args.name}-id"
        typ = args.typ
        if typ == "aws:sqs/queue:Queue":
            resource_id = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
            state.update(arn=_arn("sqs", name), url=resource_id)
        elif typ == "aws:dynamodb/table:Table":
            resource_id = name
            state.update(arn=_arn("dynamodb", f"table/{name}"))
        elif typ == "aws:lambda/function:Function":
            resource_id = name
            arn = _arn("lambda", f"function:{name}")
            invoke = (
                f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"
            )
            state.update(arn=arn, invokeArn=invoke, qualifiedArn=f"{arn}:$LATEST")
        elif typ == "aws:iam/role:Role":
            resource_id = name
            state.update(arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}")
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            resource_id = name
            state.update(arn=_arn("logs", f"log-group:{name}"))
        elif typ == "aws:s3/bucket:Bucket":
            resource_id = args.inputs["bucket"]
            state.update(arn=f"arn:aws:s3:::{resource_id}")
        elif typ == "aws:secretsmanager/secret:Secret":
            resource_id = _arn("secretsmanager", f"secret:{name}-AbCdEf")
            state.update(arn=resource_id)
        elif typ == "aws:apigatewayv2/api:Api":
            resource_id = "a1b2c3d4e5"
            state.update(
                apiEndpoint=f"https://{resource_id}.execute-api.{REGION}.amazonaws.com",
                executionArn=_arn("execute-api", resource_id),
                arn=f"arn:aws:apigateway:{REGION}::/apis/{resource_id}",
            )
        elif typ == "aws:apigatewayv2/stage:Stage":
            api_id = args.inputs["apiId"]
            path = "" if name == "$default" else name
            state.update(
                invokeUrl=f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{path}",
                executionArn=_arn("execute-api", f"{api_id}/{name}"),
            )
        elif typ == "aws:apigatewayv2/integration:Integration":
            resource_id = "integ01"
        elif typ == "aws:sns/topic:Topic":
            resource_id = _arn("sns", name)
            state.update(arn=resource_id)
        elif typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            state.update(arn=_arn("cloudwatch", f"alarm:{name}"))
        elif typ == "aws:lambda/eventSourceMapping:EventSourceMapping":
            resource_id = "esm-uuid"
            state.update(uuid=resource_id, functionArn=args.inputs.get("functionName"))
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test",
                "userId": "AIDATEST",
                "id": ACCOUNT_ID,
            }, []
        if args.token == "aws:index/getRegion:getRegion":
            return {
                "region": REGION,
                "name": REGION,
                "id": REGION,
                "endpoint": f"ec2.{REGION}.amazonaws.com",
                "description": "Europe (Ireland)",
            }, []
        raise NotImplementedError(f"no mock for call {args.token}")


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` block of Pulumi.<stack>.yaml (key → parsed YAML value)."""
    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    return dict(yaml.safe_load(path.read_text())["config"])


def example_secrets(config: Mapping[str, Any]) -> dict[str, str]:
    """A known, fake signing secret per configured provider, in its scheme's format."""
    secrets = {}
    for name, options in config[f"{PROJECT}:providers"].items():
        scheme = schemes.get(options["scheme"])
        secrets[name] = scheme.development_secret(f"test-secret-{name}".encode())
    return secrets


def run_stack(
    stack: str,
    secrets: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> MockedStack:
    """Run `__main__.py` for `stack` under mocks and return its graph and outputs.

    `config` replaces the stack file's config (full keys, e.g. "webhooks:environment");
    `secrets` defaults to `example_secrets`. Config errors propagate as raised by the program.
    """
    values = dict(stack_config(stack) if config is None else config)
    if secrets is None:
        secrets = example_secrets(values)
    values[f"{PROJECT}:secrets"] = dict(secrets)
    pulumi_config = {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()
    }
    return run_program(
        PROJECT_DIR,
        project=PROJECT,
        stack=stack,
        config=pulumi_config,
        secret_keys=[f"{PROJECT}:secrets"],
        aws=AwsMocks(),
    )


@functools.cache
def built_stack(stack: str) -> MockedStack:
    """`run_stack(stack)` once per process: the tests share one graph per stack (read-only)."""
    return run_stack(stack)
