"""Pulumi mocks that realize the program's resources in the moto emulator.

Under `pulumi.runtime.set_mocks` every resource the program declares arrives here. What moto
can hold (queues, table, bucket, secrets, the event bus with its rules and targets) is created
there with the declared properties; what the local stack runs itself (functions, event source
mappings, the HTTP API, function URLs) is recorded; what has no local meaning is accepted and
listed. Anything else fails loudly, naming the resource,
so the local stack never silently drifts from the program.
"""

import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from local.errors import LocalStackError
from local.motoserver import ACCOUNT_ID, FAKE_CREDENTIALS

REALIZED = {
    "aws:sqs/queue:Queue",
    "aws:sqs/redrivePolicy:RedrivePolicy",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",  # moto 5.2.5 accepts it without storing it
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:dynamodb/table:Table",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:secretsmanager/secret:Secret",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:cloudwatch/eventBus:EventBus",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget",  # a target in another account is listed instead
}
"""Created in moto with their declared properties."""

RECORDED = {
    "aws:lambda/function:Function",
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    "aws:apigatewayv2/api:Api",
    "aws:apigatewayv2/integration:Integration",
    "aws:apigatewayv2/route:Route",
    "aws:apigatewayv2/stage:Stage",
    "aws:lambda/functionUrl:FunctionUrl",
}
"""Run by the local stack itself: worker processes, pollers, the HTTP server."""

ACCEPTED = {
    "pulumi:providers:aws",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    "aws:cloudwatch/dashboard:Dashboard",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policy:Policy",
    "aws:sns/topic:Topic",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:lambda/permission:Permission",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    "aws:apigatewayv2/domainName:DomainName",
    "aws:apigatewayv2/apiMapping:ApiMapping",
    "aws:acm/certificate:Certificate",
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:route53/record:Record",
}
"""No local meaning (monitoring, permissions, bucket hardening, the custom domain: the local
HTTP server is the endpoint): accepted and listed."""


class UnrealizableResourceError(LocalStackError):
    """The program declares something the local stack cannot realize, record or accept."""


@dataclass
class Declaration:
    """What the program declared, as the local stack needs it after the program ran."""

    region: str
    account_id: str
    resources: list[dict[str, str]] = field(default_factory=list)
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)
    mappings: list[dict[str, Any]] = field(default_factory=list)
    apis: dict[str, dict[str, Any]] = field(default_factory=dict)
    integrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    routes: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    queues: dict[str, str] = field(default_factory=dict)
    """Queue ARN → URL."""
    function_urls: list[dict[str, Any]] = field(default_factory=list)
    """Function URLs (`api.kind` functionUrl): served by the same HTTP server, every path."""
    streams: dict[str, str] = field(default_factory=dict)
    """Table stream ARN → table name."""
    undelivered: list[dict[str, str]] = field(default_factory=list)
    """Rule targets the emulator cannot reach (another account): rule, target, reason."""


def plain(value: Any) -> Any:
    """The value with Pulumi's secret wrappers and asset objects turned into plain data."""
    if rpc.is_rpc_secret(value):
        return plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, pulumi.FileArchive | pulumi.FileAsset):
        return {"path": value.path}
    if isinstance(value, pulumi.AssetArchive):
        return {"assets": {k: plain(v) for k, v in value.assets.items()}}
    if isinstance(value, pulumi.StringAsset):
        return {"text": value.text}
    return value


def autoname(logical: str, lower: bool = False, suffix: str = "") -> str:
    """Pulumi's auto-naming: the logical name plus a random suffix."""
    name = f"{logical}-{secrets.token_hex(4)[:7]}{suffix}"
    return name.lower() if lower else name


def _seconds(value: Any) -> str:
    return str(int(value))


class MotoMocks(Mocks):
    """`pulumi.runtime.Mocks` whose `new_resource` realizes each resource in a moto server."""

    def __init__(self, endpoint_url: str, region: str, api_endpoint: str) -> None:
        self.endpoint_url = endpoint_url
        self.api_endpoint = api_endpoint.rstrip("/")
        self.declaration = Declaration(region=region, account_id=ACCOUNT_ID)
        self._lock = threading.Lock()
        session = boto3.session.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=region,
        )
        self._clients = {
            name: session.client(name, endpoint_url=endpoint_url)
            for name in ("sqs", "dynamodb", "s3", "secretsmanager", "events")
        }

    @property
    def region(self) -> str:
        return self.declaration.region

    def arn(self, service: str, resource: str, regional: bool = True) -> str:
        region = self.region if regional else ""
        account = "" if service == "s3" else ACCOUNT_ID
        return f"arn:aws:{service}:{region}:{account}:{resource}"

    # --- Mocks interface -------------------------------------------------------------------

    def call(self, args: MockCallArgs) -> tuple[dict, list]:
        answers = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/local",
                "userId": "AIDALOCALSTACK",
                "id": ACCOUNT_ID,
            },
            "aws:index/getRegion:getRegion": {
                "region": self.region,
                "name": self.region,
                "id": self.region,
                "description": self.region,
                "endpoint": f"ec2.{self.region}.amazonaws.com",
            },
            "aws:index/getPartition:getPartition": {
                "partition": "aws",
                "id": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            },
        }
        if args.token not in answers:
            raise UnrealizableResourceError(
                f"the local stack cannot answer the invoke {args.token!r}: "
                "add it to MotoMocks.call in local/realize.py"
            )
        return answers[args.token], []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        inputs = plain(args.inputs)
        if args.custom is False and not args.typ.startswith("pulumi:providers:"):
            self._record(args, "component")
            return f"{args.name}_id", args.inputs
        realize = _REALIZERS.get(args.typ)
        if realize is not None:
            resource_id, state = realize(self, args.name, inputs)
            self._record(args, "realized" if args.typ in REALIZED else "recorded", resource_id)
            return resource_id, {**args.inputs, **state}
        if args.typ in ACCEPTED:
            resource_id, state = self._accept(args.typ, args.name, inputs)
            self._record(args, "accepted", resource_id)
            return resource_id, {**args.inputs, **state}
        raise UnrealizableResourceError(
            f"the local stack cannot realize resource {args.name!r} of type {args.typ!r}: "
            "realize it in moto, record it, or list it as accepted in local/realize.py"
        )

    def _record(self, args: MockResourceArgs, status: str, resource_id: str = "") -> None:
        with self._lock:
            self.declaration.resources.append(
                {"type": args.typ, "name": args.name, "status": status, "id": resource_id or ""}
            )

    # --- realized in moto --------------------------------------------------------------------

    def _queue(self, logical: str, inputs: dict) -> tuple[str, dict]:
        fifo = bool(inputs.get("fifoQueue"))
        name = inputs.get("name") or autoname(
            inputs.get("namePrefix") or logical, suffix=".fifo" if fifo else ""
        )
        attributes = {}
        for key, attribute in (
            ("visibilityTimeoutSeconds", "VisibilityTimeout"),
            ("messageRetentionSeconds", "MessageRetentionPeriod"),
            ("delaySeconds", "DelaySeconds"),
            ("maxMessageSize", "MaximumMessageSize"),
            ("receiveWaitTimeSeconds", "ReceiveMessageWaitTimeSeconds"),
            ("kmsDataKeyReusePeriodSeconds", "KmsDataKeyReusePeriodSeconds"),
        ):
            if inputs.get(key) is not None:
                attributes[attribute] = _seconds(inputs[key])
        for key, attribute in (
            ("redrivePolicy", "RedrivePolicy"),
            ("redriveAllowPolicy", "RedriveAllowPolicy"),
            ("policy", "Policy"),
            ("kmsMasterKeyId", "KmsMasterKeyId"),
        ):
            if inputs.get(key):
                attributes[attribute] = _json_text(inputs[key])
        if inputs.get("sqsManagedSseEnabled") is not None:
            attributes["SqsManagedSseEnabled"] = str(bool(inputs["sqsManagedSseEnabled"])).lower()
        if fifo:
            attributes["FifoQueue"] = "true"
            if inputs.get("contentBasedDeduplication"):
                attributes["ContentBasedDeduplication"] = "true"
        sqs = self._clients["sqs"]
        kwargs: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
        if inputs.get("tags"):
            kwargs["tags"] = inputs["tags"]
        url = sqs.create_queue(**kwargs)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        with self._lock:
            self.declaration.queues[arn] = url
        return url, {"name": name, "url": url, "arn": arn, "id": url}

    def _table(self, logical: str, inputs: dict) -> tuple[str, dict]:
        name = inputs.get("name") or autoname(logical)
        attributes = [
            {"AttributeName": a["name"], "AttributeType": a["type"]}
            for a in inputs.get("attributes") or []
        ]
        billing = inputs.get("billingMode") or "PROVISIONED"
        throughput = {
            "ReadCapacityUnits": int(inputs.get("readCapacity") or 1),
            "WriteCapacityUnits": int(inputs.get("writeCapacity") or 1),
        }
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": _key_schema(inputs.get("hashKey"), inputs.get("rangeKey")),
            "AttributeDefinitions": attributes,
            "BillingMode": billing,
        }
        if billing == "PROVISIONED":
            kwargs["ProvisionedThroughput"] = throughput
        gsis = []
        for index in inputs.get("globalSecondaryIndexes") or []:
            gsi: dict[str, Any] = {
                "IndexName": index["name"],
                "KeySchema": _index_key_schema(index),
                "Projection": _projection(index),
            }
            if billing == "PROVISIONED":
                gsi["ProvisionedThroughput"] = throughput
            gsis.append(gsi)
        if gsis:
            kwargs["GlobalSecondaryIndexes"] = gsis
        lsis = [
            {
                "IndexName": index["name"],
                "KeySchema": _key_schema(inputs.get("hashKey"), index["rangeKey"]),
                "Projection": _projection(index),
            }
            for index in inputs.get("localSecondaryIndexes") or []
        ]
        if lsis:
            kwargs["LocalSecondaryIndexes"] = lsis
        sse = inputs.get("serverSideEncryption") or {}
        if sse.get("enabled"):
            kwargs["SSESpecification"] = {"Enabled": True, "SSEType": "KMS"}
            if sse.get("kmsKeyArn"):
                kwargs["SSESpecification"]["KMSMasterKeyId"] = sse["kmsKeyArn"]
        if inputs.get("streamEnabled"):
            kwargs["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": inputs.get("streamViewType") or "NEW_AND_OLD_IMAGES",
            }
        if inputs.get("deletionProtectionEnabled") is not None:
            kwargs["DeletionProtectionEnabled"] = bool(inputs["deletionProtectionEnabled"])
        if inputs.get("tags"):
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in inputs["tags"].items()]
        dynamodb = self._clients["dynamodb"]
        table = dynamodb.create_table(**kwargs)["TableDescription"]
        ttl = inputs.get("ttl") or {}
        if ttl.get("enabled") and ttl.get("attributeName"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
            )
        pitr = inputs.get("pointInTimeRecovery") or {}
        if pitr.get("enabled"):
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        state = {"name": name, "arn": table["TableArn"], "id": name}
        if table.get("LatestStreamArn"):
            state["streamArn"] = table["LatestStreamArn"]
            with self._lock:
                self.declaration.streams[table["LatestStreamArn"]] = name
        return name, state

    def _bucket(self, logical: str, inputs: dict) -> tuple[str, dict]:
        name = inputs.get("bucket") or autoname(inputs.get("bucketPrefix") or logical, lower=True)
        s3 = self._clients["s3"]
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region}
            )
        return name, {
            "bucket": name,
            "id": name,
            "arn": f"arn:aws:s3:::{name}",
            "region": self.region,
            "bucketDomainName": f"{name}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
        }

    def _secret(self, logical: str, inputs: dict) -> tuple[str, dict]:
        name = inputs.get("name") or autoname(inputs.get("namePrefix") or logical)
        kwargs: dict[str, Any] = {"Name": name}
        if inputs.get("description"):
            kwargs["Description"] = inputs["description"]
        if inputs.get("kmsKeyId"):
            kwargs["KmsKeyId"] = inputs["kmsKeyId"]
        arn = self._clients["secretsmanager"].create_secret(**kwargs)["ARN"]
        return arn, {"name": name, "arn": arn, "id": arn}

    def _secret_version(self, logical: str, inputs: dict) -> tuple[str, dict]:
        kwargs: dict[str, Any] = {"SecretId": inputs["secretId"]}
        if inputs.get("secretString") is not None:
            kwargs["SecretString"] = inputs["secretString"]
        elif inputs.get("secretBinary") is not None:
            kwargs["SecretBinary"] = inputs["secretBinary"]
        else:
            raise UnrealizableResourceError(
                f"secret version {logical!r} has neither secretString nor secretBinary"
            )
        answer = self._clients["secretsmanager"].put_secret_value(**kwargs)
        version = answer["VersionId"]
        return f"{answer['ARN']}|{version}", {"arn": answer["ARN"], "versionId": version}

    def _event_bus(self, logical: str, inputs: dict) -> tuple[str, dict]:
        name = inputs.get("name") or autoname(logical)
        arn = self._clients["events"].create_event_bus(Name=name)["EventBusArn"]
        return name, {"name": name, "arn": arn, "id": name}

    def _event_rule(self, logical: str, inputs: dict) -> tuple[str, dict]:
        name = inputs.get("name") or autoname(inputs.get("namePrefix") or logical)
        kwargs: dict[str, Any] = {"Name": name, "State": inputs.get("state") or "ENABLED"}
        for key, argument in (
            ("eventBusName", "EventBusName"),
            ("eventPattern", "EventPattern"),
            ("scheduleExpression", "ScheduleExpression"),
            ("description", "Description"),
        ):
            if inputs.get(key):
                kwargs[argument] = _json_text(inputs[key])
        arn = self._clients["events"].put_rule(**kwargs)["RuleArn"]
        bus = inputs.get("eventBusName") or "default"
        return f"{bus}|{name}", {"name": name, "arn": arn, "id": f"{bus}|{name}"}

    def _event_target(self, logical: str, inputs: dict) -> tuple[str, dict]:
        target_id = inputs.get("targetId") or autoname(logical)
        arn = str(inputs.get("arn", ""))
        resource_id = f"{inputs.get('eventBusName') or 'default'}-{inputs['rule']}-{target_id}"
        account = arn.split(":")[4] if arn.count(":") >= 5 else ""
        if account != ACCOUNT_ID:
            with self._lock:
                self.declaration.undelivered.append(
                    {
                        "rule": inputs["rule"],
                        "target": arn,
                        "reason": f"account {account} is not the emulator's ({ACCOUNT_ID})",
                    }
                )
            return resource_id, {"id": resource_id}
        target: dict[str, Any] = {"Id": target_id, "Arn": arn}
        group = (inputs.get("sqsTarget") or {}).get("messageGroupId")
        if arn.endswith(".fifo") and not group:
            # moto takes it; EventBridge refuses a FIFO queue target without a message group.
            raise UnrealizableResourceError(
                f"event target {logical!r}: the FIFO queue {arn} needs SqsParameters.MessageGroupId"
            )
        if group:
            target["SqsParameters"] = {"MessageGroupId": group}
        if inputs.get("roleArn"):
            target["RoleArn"] = inputs["roleArn"]
        if (inputs.get("deadLetterConfig") or {}).get("arn"):
            target["DeadLetterConfig"] = {"Arn": inputs["deadLetterConfig"]["arn"]}
        retry = inputs.get("retryPolicy") or {}
        if retry:
            target["RetryPolicy"] = {
                "MaximumRetryAttempts": int(retry.get("maximumRetryAttempts", 185)),
                "MaximumEventAgeInSeconds": int(retry.get("maximumEventAgeInSeconds", 86400)),
            }
        kwargs: dict[str, Any] = {"Rule": inputs["rule"], "Targets": [target]}
        if inputs.get("eventBusName"):
            kwargs["EventBusName"] = inputs["eventBusName"]
        answer = self._clients["events"].put_targets(**kwargs)
        if answer.get("FailedEntryCount"):
            raise UnrealizableResourceError(
                f"event target {logical!r}: {answer.get('FailedEntries')}"
            )
        return resource_id, {"id": resource_id}

    # --- recorded, run by the local stack ----------------------------------------------------

    def _function(self, logical: str, inputs: dict) -> tuple[str, dict]:
        name = inputs.get("name") or autoname(logical)
        arn = self.arn("lambda", f"function:{name}")
        invoke_arn = (
            f"arn:aws:apigateway:{self.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
        )
        with self._lock:
            self.declaration.functions[arn] = {"logical": logical, "name": name, **inputs}
        return name, {
            "name": name,
            "arn": arn,
            "invokeArn": invoke_arn,
            "qualifiedArn": f"{arn}:$LATEST",
            "qualifiedInvokeArn": invoke_arn.replace(arn, f"{arn}:$LATEST"),
            "version": "$LATEST",
        }

    def _mapping(self, logical: str, inputs: dict) -> tuple[str, dict]:
        uuid = _uuid()
        with self._lock:
            self.declaration.mappings.append({"logical": logical, "uuid": uuid, **inputs})
        function = inputs.get("functionName", "")
        function_arn = (
            function if function.startswith("arn:") else self.arn("lambda", f"function:{function}")
        )
        return uuid, {"uuid": uuid, "functionArn": function_arn, "state": "Enabled"}

    def _api(self, logical: str, inputs: dict) -> tuple[str, dict]:
        api_id = secrets.token_hex(5)
        with self._lock:
            self.declaration.apis[api_id] = {"logical": logical, **inputs}
        return api_id, {
            "apiEndpoint": self.api_endpoint,
            "arn": f"arn:aws:apigateway:{self.region}::/apis/{api_id}",
            "executionArn": self.arn("execute-api", api_id),
            "id": api_id,
        }

    def _integration(self, logical: str, inputs: dict) -> tuple[str, dict]:
        integration_id = secrets.token_hex(4)[:7]
        with self._lock:
            self.declaration.integrations[integration_id] = {"logical": logical, **inputs}
        return integration_id, {"id": integration_id}

    def _route(self, logical: str, inputs: dict) -> tuple[str, dict]:
        route_id = secrets.token_hex(4)[:7]
        with self._lock:
            self.declaration.routes.append({"logical": logical, "id": route_id, **inputs})
        return route_id, {"id": route_id}

    def _stage(self, logical: str, inputs: dict) -> tuple[str, dict]:
        name = inputs.get("name") or "$default"
        with self._lock:
            self.declaration.stages.append({"logical": logical, **inputs, "name": name})
        path = "" if name == "$default" else name
        return name, {
            "name": name,
            "invokeUrl": f"{self.api_endpoint}/{path}",
            "executionArn": self.arn("execute-api", f"{inputs.get('apiId')}/{name}"),
            "arn": f"arn:aws:apigateway:{self.region}::/apis/{inputs.get('apiId')}/stages/{name}",
        }

    def _function_url(self, logical: str, inputs: dict) -> tuple[str, dict]:
        """A function URL answers every path of its host: the local HTTP server's root."""
        if inputs.get("authorizationType") != "NONE":
            raise UnrealizableResourceError(
                f"function URL {logical!r}: only authorization type NONE is served locally"
            )
        with self._lock:
            self.declaration.function_urls.append({"logical": logical, **inputs})
        url = f"{self.api_endpoint.rstrip('/')}/"
        url_id = secrets.token_hex(16)
        return url_id, {"functionUrl": url, "urlId": url_id, "functionArn": ""}

    # --- accepted ----------------------------------------------------------------------------

    def _accept(self, typ: str, logical: str, inputs: dict) -> tuple[str, dict]:
        name = inputs.get("name") or autoname(inputs.get("namePrefix") or logical)
        arns = {
            "aws:iam/role:Role": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
            "aws:iam/policy:Policy": f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}",
            "aws:sns/topic:Topic": self.arn("sns", name),
            "aws:cloudwatch/logGroup:LogGroup": self.arn("logs", f"log-group:{name}"),
            "aws:cloudwatch/metricAlarm:MetricAlarm": self.arn("cloudwatch", f"alarm:{name}"),
            "aws:cloudwatch/compositeAlarm:CompositeAlarm": self.arn("cloudwatch", f"alarm:{name}"),
            "aws:acm/certificate:Certificate": self.arn("acm", f"certificate/{_uuid()}"),
        }
        state: dict[str, Any] = {"id": name}
        if typ in arns:
            state.update(name=name, arn=arns[typ])
        if typ == "aws:iam/role:Role":
            state["uniqueId"] = "AROALOCAL" + secrets.token_hex(6).upper()
        if typ == "aws:sns/topicSubscription:TopicSubscription":
            state["arn"] = f"{inputs.get('topic', self.arn('sns', 'topic'))}:{_uuid()}"
        if typ == "aws:acm/certificate:Certificate":
            domain = inputs.get("domainName", "")
            state["domainValidationOptions"] = [
                {
                    "domainName": domain,
                    "resourceRecordName": f"_local.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": "_local.acm-validations.aws.",
                }
            ]
        if typ == "aws:route53/record:Record":
            state["fqdn"] = str(inputs.get("name", "")).rstrip(".")
        return name, state


def _queue_attribute(attribute: str, key: str) -> Any:
    """A realizer for a resource that sets one attribute of an existing queue."""

    def realize(mocks: MotoMocks, logical: str, inputs: dict) -> tuple[str, dict]:
        url = inputs["queueUrl"]
        mocks._clients["sqs"].set_queue_attributes(
            QueueUrl=url, Attributes={attribute: _json_text(inputs[key])}
        )
        return url, {"id": url}

    return realize


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _key_schema(hash_key: str | None, range_key: str | None) -> list[dict[str, str]]:
    if not hash_key:
        raise UnrealizableResourceError("a table or index without a hash key")
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def _index_key_schema(index: dict) -> list[dict[str, str]]:
    if index.get("keySchemas"):
        return [
            {"AttributeName": key["attributeName"], "KeyType": key["keyType"]}
            for key in index["keySchemas"]
        ]
    return _key_schema(index.get("hashKey"), index.get("rangeKey"))


def _projection(index: dict) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.get("projectionType") or "ALL"}
    if index.get("nonKeyAttributes"):
        projection["NonKeyAttributes"] = list(index["nonKeyAttributes"])
    return projection


def _uuid() -> str:
    return str(uuid.uuid4())


_REALIZERS = {
    "aws:sqs/queue:Queue": MotoMocks._queue,
    "aws:sqs/redrivePolicy:RedrivePolicy": _queue_attribute("RedrivePolicy", "redrivePolicy"),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": _queue_attribute(
        "RedriveAllowPolicy", "redriveAllowPolicy"
    ),
    "aws:sqs/queuePolicy:QueuePolicy": _queue_attribute("Policy", "policy"),
    "aws:dynamodb/table:Table": MotoMocks._table,
    "aws:s3/bucket:Bucket": MotoMocks._bucket,
    "aws:s3/bucketV2:BucketV2": MotoMocks._bucket,
    "aws:secretsmanager/secret:Secret": MotoMocks._secret,
    "aws:secretsmanager/secretVersion:SecretVersion": MotoMocks._secret_version,
    "aws:cloudwatch/eventBus:EventBus": MotoMocks._event_bus,
    "aws:cloudwatch/eventRule:EventRule": MotoMocks._event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": MotoMocks._event_target,
    "aws:lambda/function:Function": MotoMocks._function,
    "aws:lambda/eventSourceMapping:EventSourceMapping": MotoMocks._mapping,
    "aws:apigatewayv2/api:Api": MotoMocks._api,
    "aws:apigatewayv2/integration:Integration": MotoMocks._integration,
    "aws:apigatewayv2/route:Route": MotoMocks._route,
    "aws:apigatewayv2/stage:Stage": MotoMocks._stage,
    "aws:lambda/functionUrl:FunctionUrl": MotoMocks._function_url,
}
