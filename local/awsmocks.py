"""Pulumi mocks that answer like AWS: ARNs, queue URLs, invoke URLs and ids shaped as AWS returns
them, derived from each resource's name, for a fixed account and the stack's region.

The infrastructure tests (`tests/components/mockstack.py`) and `python -m ops preflight` run the
program under these mocks (`local.mockrun`), so every run records the same graph; the local
stack realizes resources in the emulator instead (`local.realize.MotoMocks`).
"""

from __future__ import annotations

from typing import Any

import pulumi

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
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":  # noqa: S105 (a call token)
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test",
                "userId": "AIDATEST",
                "id": ACCOUNT_ID,
            }, []
        if args.token == "aws:index/getRegion:getRegion":  # noqa: S105 (a call token)
            return {
                "region": self.region,
                "name": self.region,
                "id": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
                "description": self.region,
            }, []
        raise NotImplementedError(f"no mock for call {args.token}")
