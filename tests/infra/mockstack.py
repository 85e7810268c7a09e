"""Run the real Pulumi program (`__main__.py`) under Pulumi's mock runtime, without a network.

    from tests.infra.mockstack import run_stack
    stack = run_stack("dev")          # config from Pulumi.dev.yaml + example secrets
    stack.outputs["queue_url"]        # resolved stack outputs, as `pulumi stack output --json`
    stack.one("aws:sqs/queue:Queue", "webhooks-queue-queue").inputs

The run itself is `local.mockrun` (the harness the local stack runs the program with too);
this module adds mocks that answer like AWS would (ARNs, queue URLs, invoke URLs) with a fixed
account and the stack's `aws:region`, so every run records the same graph.
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
REGION = "eu-west-1"  # when the config sets no aws:region


class AwsMocks(pulumi.runtime.Mocks):
    """Computed attributes the way AWS returns them, derived from the resource's name."""

    def __init__(self, region: str = REGION) -> None:
        self.region = region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        region = self.region

        def _arn(service: str, resource: str) -> str:
            return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"

        state = dict(args.inputs)
        if not args.custom:
            return "", state
        name = args.inputs.get("name") or args.name
        resource_id = f"{args.name}-id"
        typ = args.typ
        if typ == "aws:sqs/queue:Queue":
            resource_id = f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}"
            state.update(arn=_arn("sqs", name), url=resource_id)
        elif typ == "aws:dynamodb/table:Table":
            resource_id = name
            state.update(arn=_arn("dynamodb", f"table/{name}"))
            if args.inputs.get("streamEnabled"):
                state.update(
                    streamArn=_arn("dynamodb", f"table/{name}/stream/2026-01-01T00:00:00.000")
                )
        elif typ == "aws:cloudwatch/eventBus:EventBus":
            resource_id = name
            state.update(arn=_arn("events", f"event-bus/{name}"))
        elif typ == "aws:cloudwatch/eventRule:EventRule":
            resource_id = f"{args.inputs.get('eventBusName')}|{name}"
            bus = args.inputs.get("eventBusName", "default")
            state.update(arn=_arn("events", f"rule/{bus}/{name}"))
        elif typ == "aws:lambda/function:Function":
            resource_id = name
            arn = _arn("lambda", f"function:{name}")
            invoke = (
                f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
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
        elif typ == "aws:lambda/functionUrl:FunctionUrl":
            resource_id = "abcdefghijklmnopqrstuvwxyz012345"  # 32 characters, as AWS's url ids
            url = f"https://{resource_id}.lambda-url.{region}.on.aws/"
            state.update(functionUrl=url, urlId=resource_id)
        elif typ == "aws:apigatewayv2/api:Api":
            resource_id = "a1b2c3d4e5"
            state.update(
                apiEndpoint=f"https://{resource_id}.execute-api.{region}.amazonaws.com",
                executionArn=_arn("execute-api", resource_id),
                arn=f"arn:aws:apigateway:{region}::/apis/{resource_id}",
            )
        elif typ == "aws:apigatewayv2/stage:Stage":
            api_id = args.inputs["apiId"]
            path = "" if name == "$default" else name
            state.update(
                invokeUrl=f"https://{api_id}.execute-api.{region}.amazonaws.com/{path}",
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
        elif typ == "aws:acm/certificate:Certificate":
            resource_id = _arn("acm", "certificate/0a1b2c3d-mock")
            domain = args.inputs["domainName"]
            state.update(
                arn=resource_id,
                domainValidationOptions=[
                    {
                        "domainName": domain,
                        "resourceRecordName": f"_x1.{domain}.",
                        "resourceRecordType": "CNAME",
                        "resourceRecordValue": "_x2.acm-validations.aws.",
                    }
                ],
            )
        elif typ == "aws:route53/record:Record":
            state.update(fqdn=args.inputs["name"].rstrip("."))
        elif typ == "aws:apigatewayv2/domainName:DomainName":
            resource_id = args.inputs["domainName"]
            configuration = dict(args.inputs["domainNameConfiguration"])
            configuration.update(
                targetDomainName=f"d-mock.execute-api.{region}.amazonaws.com",
                hostedZoneId="ZMOCKAPIGW",
            )
            state.update(domainNameConfiguration=configuration)
        elif typ == "aws:cloudwatch/dashboard:Dashboard":
            resource_id = args.inputs["dashboardName"]
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
                "region": self.region,
                "name": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": self.region,
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
        aws=AwsMocks(values.get("aws:region", REGION)),
    )


DOMAIN = "hooks.example.com"
CERTIFICATE_ARN = (
    f"arn:aws:acm:{REGION}:{ACCOUNT_ID}:certificate/11111111-2222-3333-4444-555555555555"
)
HOSTED_ZONE_ID = "Z0123456789EXAMPLE"


def _with(stack_file: str, **changes: Any) -> dict[str, Any]:
    """A stack file's config with some top-level keys merged (objects) or replaced."""
    config = stack_config(stack_file)
    for key, value in changes.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        current = config.get(full)
        config[full] = {**current, **value} if isinstance(current, dict) else value
    return config


# The four subscribers of the delivery issue: managed with type prefixes, managed with a
# payload filter, everything, and an existing bus in another account.
SUBSCRIBERS: dict[str, Any] = {
    "billing": {"providers": ["stripe"], "eventTypes": ["invoice.*", "customer.subscription.*"]},
    "ci": {
        "providers": ["github"],
        "eventTypes": ["push", "pull_request"],
        "payload": {"repository.full_name": ["acme/api"]},
    },
    "everything": {},
    "central": {"target": "arn:aws:events:eu-west-1:210987654321:event-bus/central"},
}


# Graphs beyond the two stack files: name → (Pulumi stack name, its config).
SCENARIOS: dict[str, tuple[str, Any]] = {
    "dev": ("dev", lambda: stack_config("dev")),
    "prod": ("prod", lambda: stack_config("prod")),
    # A review stack: Pulumi.dev.yaml copied (the dev profile), in the same account and region.
    "pr-123": ("pr-123", lambda: stack_config("dev")),
    # prod again in a second region (disaster recovery), same stack name and account.
    "prod-us-east-1": ("prod", lambda: _with("prod", **{"aws:region": "us-east-1"})),
    "subscribers": ("dev", lambda: _with("dev", subscribers=SUBSCRIBERS)),
    "domain-certificate": (
        "dev",
        lambda: _with("dev", api={"domainName": DOMAIN, "certificateArn": CERTIFICATE_ARN}),
    ),
    "domain-zone": (
        "prod",
        lambda: _with("prod", api={"domainName": DOMAIN, "hostedZoneId": HOSTED_ZONE_ID}),
    ),
    # The function URL front door (api.kind functionUrl) on the prod profile.
    "function-url": ("prod", lambda: function_url_config("prod")),
    # Every optional feature at once (the HTTP API with a custom domain, or the function URL,
    # which takes no domain): what the IAM and deploy-policy checks must cover.
    "every-feature": ("prod", lambda: every_feature_config("prod")),
    "every-feature-url": ("dev", lambda: every_feature_config("dev", front_door="functionUrl")),
}

# A subscriber of every target kind: managed queues (one filtering on the payload, so the
# publisher carries match paths and reads archived bodies), an SQS queue and a FIFO queue of
# the account, a Lambda function, a bus of the account and a bus of another account.
EVERY_TARGET: dict[str, Any] = {
    **SUBSCRIBERS,
    "audit": {"target": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:audit-events"},
    "orders": {"providers": ["stripe"], "target": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:orders.fifo"},
    "notify": {"target": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:notify-team"},
    "analytics": {"target": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/analytics"},
}


def every_feature_config(stack_file: str, front_door: str = "httpApi") -> dict[str, Any]:
    """A stack file's config with every optional feature: subscribers of every target kind,
    an inline limit above what always fits an entry (the publisher archives), alarm e-mail,
    and the custom domain (HTTP API) or the function URL front door."""
    config = (
        function_url_config(stack_file)
        if front_door == "functionUrl"
        else _with(stack_file, api={"domainName": DOMAIN, "hostedZoneId": HOSTED_ZONE_ID})
    )
    config[f"{PROJECT}:subscribers"] = EVERY_TARGET
    ingest = config.get(f"{PROJECT}:ingest") or {}
    config[f"{PROJECT}:ingest"] = {**ingest, "inlineBodyLimit": 200 * 1024}
    alarms = config.get(f"{PROJECT}:alarms") or {}
    config[f"{PROJECT}:alarms"] = {**alarms, "email": "oncall@example.com"}
    return config


def function_url_config(stack_file: str) -> dict[str, Any]:
    """A stack file's config with `api.kind: functionUrl` (the stage throttling keys dropped:
    they do not apply) and the reserved concurrency that mode requires."""
    config = stack_config(stack_file)
    config[f"{PROJECT}:api"] = {"kind": "functionUrl"}
    ingest = config.get(f"{PROJECT}:ingest") or {}
    config[f"{PROJECT}:ingest"] = {"reservedConcurrency": 20, **ingest}
    return config


@functools.cache
def built_stack(scenario: str) -> MockedStack:
    """The graph of a `SCENARIOS` entry, built once per process (the tests share it read-only)."""
    stack, config = SCENARIOS[scenario]
    return run_stack(stack, config=config())
