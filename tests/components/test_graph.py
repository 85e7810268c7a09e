"""Properties of the resource graph each stack builds (the real program, run under mocks)."""

import inspect
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.type_token import get_type_token

from hookgate.components.settings import Settings, parse_settings
from policy import rules
from tests.components.mockstack import (
    MockedResource,
    MockedStack,
    built_stack,
    run_stack,
    stack_config,
)
from tests.contract import OUTPUTS
from tests.policy.resources import as_rule_resource, stack_resources

INGEST_ENV = {
    "QUEUE_URL",
    "ARCHIVE_BUCKET",
    "PROVIDERS",
    "MAX_BODY_BYTES",
    "INLINE_BODY_LIMIT",
    "SECRETS_REFRESH_SECONDS",
    "METRICS_NAMESPACE",
    "ENVIRONMENT",
    "LOG_LEVEL",
}
PROCESS_ENV = {
    "TABLE_NAME",
    "EVENT_TTL_DAYS",
    "METRICS_NAMESPACE",
    "ENVIRONMENT",
    "ARCHIVE_BUCKET",
    "LOG_LEVEL",
    "WRITE_CONCURRENCY",
}
PIPELINE = "webhooks:pipeline:WebhookPipeline"
TABLE = "webhooks:table:WebhookTable"
QUEUE = "webhooks:queue:WebhookQueue"
PROCESSOR = "webhooks:processor:WebhookProcessor"
API = "webhooks:api:WebhookApi"
DASHBOARD = "webhooks:dashboard:WebhookDashboard"
DOMAIN = "webhooks:domain:WebhookDomain"
BUS = "webhooks:bus:WebhookBus"
PUBLISHER = "webhooks:publisher:WebhookPublisher"
# Which component owns each resource type; Lambda plumbing is resolved by function name.
OWNER = {
    "aws:dynamodb/table:Table": TABLE,
    "aws:sqs/queue:Queue": QUEUE,
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": QUEUE,
    "aws:lambda/eventSourceMapping:EventSourceMapping": PROCESSOR,
    "aws:secretsmanager/secret:Secret": API,
    "aws:secretsmanager/secretVersion:SecretVersion": API,
    "aws:apigatewayv2/api:Api": API,
    "aws:apigatewayv2/integration:Integration": API,
    "aws:apigatewayv2/route:Route": API,
    "aws:apigatewayv2/stage:Stage": API,
    "aws:lambda/permission:Permission": API,
    "aws:sns/topic:Topic": PIPELINE,
    "aws:sns/topicSubscription:TopicSubscription": PIPELINE,
    "aws:cloudwatch/metricAlarm:MetricAlarm": PIPELINE,
    "aws:cloudwatch/dashboard:Dashboard": DASHBOARD,
    "aws:apigatewayv2/domainName:DomainName": DOMAIN,
    "aws:apigatewayv2/apiMapping:ApiMapping": DOMAIN,
    "aws:acm/certificate:Certificate": DOMAIN,
    "aws:acm/certificateValidation:CertificateValidation": DOMAIN,
    "aws:route53/record:Record": DOMAIN,
}


def settings_of(stack: MockedStack) -> Settings:
    """The settings the program saw, parsed the same way (config values are JSON text)."""
    raw = {}
    for key, value in stack.config.items():
        if key.startswith("webhooks:"):
            name = key.removeprefix("webhooks:")
            raw[name] = value if name in ("environment", "metricsNamespace") else json.loads(value)
    return parse_settings(raw, stack=stack.stack)


def function(stack: MockedStack, kind: str) -> MockedResource:
    return next(
        f
        for f in stack.of_type("aws:lambda/function:Function")
        if f.inputs["name"] == f"webhooks-{kind}-{stack.stack}"
    )


def role_policy(stack: MockedStack, kind: str) -> dict[str, Any]:
    policy = next(
        p
        for p in stack.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.inputs["name"] == f"webhooks-{kind}-{stack.stack}"
    )
    return json.loads(policy.inputs["policy"])


def arn_of(stack: MockedStack, type_: str, name: str | None = None) -> str:
    return stack.one(type_, name).state["arn"]


def test_exports_exactly_the_contract_outputs(stack: MockedStack) -> None:
    assert set(stack.outputs) == OUTPUTS
    env = stack.stack
    out = stack.outputs
    assert out["queue_url"].endswith(f"/webhooks-queue-{env}")
    assert out["dlq_arn"].endswith(f":webhooks-dlq-{env}")
    assert out["table_name"] == f"webhooks-events-{env}"
    assert out["ingest_function_name"] == f"webhooks-ingest-{env}"
    assert out["process_function_name"] == f"webhooks-process-{env}"
    assert out["archive_bucket"] == stack.one("aws:s3/bucket:Bucket").inputs["bucket"]
    assert out["region"] == "eu-west-1"
    assert (
        out["webhook_base_url"] == "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/webhooks"
    )
    configured = json.loads(stack.config["webhooks:providers"])
    assert out["providers"] == {name: options["scheme"] for name, options in configured.items()}
    assert set(out["provider_secret_arns"]) == set(configured)
    for provider, url in out["webhook_urls"].items():
        assert url == f"{out['webhook_base_url']}/{provider}"
    settings = settings_of(stack)
    assert out["inline_body_limit"] == settings.ingest.inline_body_limit
    assert out["max_receive_count"] == settings.queue.max_receive_count


def test_components_nest_under_the_pipeline(stack: MockedStack) -> None:
    pipeline = stack.one(PIPELINE)
    assert pipeline.parent == stack.root_urn
    for component in (TABLE, QUEUE, PROCESSOR, API, DASHBOARD):
        assert stack.one(component).parent == pipeline.urn


@pytest.fixture(params=["dev", "prod", "domain-certificate", "domain-zone", "subscribers"])
def any_graph(request: pytest.FixtureRequest) -> MockedStack:
    return built_stack(request.param)


def test_every_resource_has_its_components_parent(any_graph: MockedStack) -> None:
    stack = any_graph
    owners = {}
    for resource in stack.resources:
        if not resource.custom:
            continue
        assert resource.parent != stack.root_urn, resource.name
        expected = OWNER.get(resource.type)
        # The delivery components own everything named after them (queues, functions, rules).
        for prefix, component in (("webhooks-bus-", BUS), ("webhooks-publisher-", PUBLISHER)):
            if resource.name.startswith(prefix):
                expected = component
        if expected is None:  # function, role, log group, s3 plumbing
            expected = PROCESSOR if "process" in json.dumps(resource.inputs, default=str) else API
        owners[resource.name] = (stack.by_urn(resource.parent).type, expected)
    assert {name: got for name, (got, _) in owners.items()} == {
        name: expected for name, (_, expected) in owners.items()
    }


def test_everything_is_encrypted_at_rest(stack: MockedStack) -> None:
    for queue in stack.of_type("aws:sqs/queue:Queue"):
        assert queue.inputs["sqsManagedSseEnabled"] is True
    assert stack.one("aws:dynamodb/table:Table").inputs["serverSideEncryption"] == {"enabled": True}
    encryption = stack.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ).inputs
    assert encryption["bucket"] == stack.outputs["archive_bucket"]
    [rule] = encryption["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert rule["bucketKeyEnabled"] is True
    assert rules.buckets_encrypted(stack_resources(stack)) == []
    assert rules.topics_encrypted(stack_resources(stack)) == []  # the alarm topic is exempt


def test_queue_redrives_to_the_dlq(stack: MockedStack) -> None:
    queue = stack.one("aws:sqs/queue:Queue", "webhooks-queue-queue").inputs
    dlq = stack.one("aws:sqs/queue:Queue", "webhooks-queue-dlq").inputs
    redrive = json.loads(queue["redrivePolicy"])
    assert redrive == {
        "deadLetterTargetArn": stack.outputs["dlq_arn"],
        "maxReceiveCount": stack.outputs["max_receive_count"],
    }
    allow = stack.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy").inputs
    assert allow["queueUrl"] == stack.outputs["dlq_url"]
    assert json.loads(allow["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [stack.outputs["queue_arn"]],
    }
    assert rules.queues_have_dlq(stack_resources(stack)) == []  # DLQ keeps longer
    assert "redrivePolicy" not in dlq


def test_visibility_timeout_covers_six_timeouts_and_the_batching_window(stack: MockedStack) -> None:
    # 6 x the processor's timeout + the mapping's batching window (the policy pack's rule).
    assert rules.visibility_covers_consumer(stack_resources(stack)) == []


def test_event_source_mapping_from_settings(stack: MockedStack) -> None:
    settings = settings_of(stack).processor
    mapping = stack.one(
        "aws:lambda/eventSourceMapping:EventSourceMapping", "webhooks-processor-queue-mapping"
    ).inputs
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (
        rules.reports_batch_item_failures(
            as_rule_resource(
                stack.one(rules.EVENT_SOURCE_MAPPING, "webhooks-processor-queue-mapping")
            )
        )
        == []
    )
    assert mapping["eventSourceArn"] == stack.outputs["queue_arn"]
    assert mapping["functionName"] == function(stack, "process").state["arn"]
    assert mapping["batchSize"] == settings.batch_size
    assert mapping["maximumBatchingWindowInSeconds"] == settings.batching_window_seconds
    assert mapping["scalingConfig"] == {"maximumConcurrency": settings.maximum_concurrency}


def test_mapping_waits_for_the_role_policy(stack: MockedStack) -> None:
    mapping = stack.one(
        "aws:lambda/eventSourceMapping:EventSourceMapping", "webhooks-processor-queue-mapping"
    )
    policy = stack.one("aws:iam/rolePolicy:RolePolicy", "webhooks-processor-function-policy")
    assert policy.urn in mapping.dependencies


@pytest.mark.parametrize("kind", ["ingest", "process"])
def test_functions_follow_the_contract(stack: MockedStack, kind: str) -> None:
    fn = function(stack, kind)
    name = f"webhooks-{kind}-{stack.stack}"
    assert fn.inputs["handler"] == f"{kind}.handler"
    assert fn.inputs["runtime"] == "python3.13"
    assert fn.inputs["architectures"] == ["arm64"]
    assert isinstance(fn.inputs["code"], pulumi.AssetArchive)
    packaged = fn.inputs["code"].assets
    assert {"ingest.py", "process.py", "webhooks/envelope.py"} <= set(packaged)
    assert all(key.endswith(".py") and "__pycache__" not in key for key in packaged)
    assert all(
        isinstance(asset, pulumi.FileAsset) and asset.path == f"hookgate/handlers/{key}"
        for key, asset in packaged.items()
    )
    assert fn.inputs["loggingConfig"]["logGroup"] == f"/aws/lambda/{name}"
    expected_env = INGEST_ENV if kind == "ingest" else PROCESS_ENV
    assert set(fn.inputs["environment"]["variables"]) == expected_env
    log_group = next(
        g
        for g in stack.of_type("aws:cloudwatch/logGroup:LogGroup")
        if g.inputs["name"] == f"/aws/lambda/{name}"
    )
    assert log_group.inputs["retentionInDays"] == settings_of(stack).logs.retention_days
    assert log_group.urn in fn.dependencies


def test_ingest_environment_names_the_secrets_not_their_values(stack: MockedStack) -> None:
    env = function(stack, "ingest").inputs["environment"]["variables"]
    providers = json.loads(env["PROVIDERS"])
    assert {name: p["secret_arn"] for name, p in providers.items()} == stack.outputs[
        "provider_secret_arns"
    ]
    assert {name: p["scheme"] for name, p in providers.items()} == stack.outputs["providers"]
    assert {
        name: {k: v for k, v in p.items() if k != "secret_arn"} for name, p in providers.items()
    } == stack.outputs["provider_options"]
    assert env["QUEUE_URL"] == stack.outputs["queue_url"]
    assert env["ARCHIVE_BUCKET"] == stack.outputs["archive_bucket"]
    assert env["ENVIRONMENT"] == stack.stack
    configured = json.loads(stack.config["webhooks:providers"])
    if "acme" in configured:
        assert providers["acme"] == {
            "scheme": "hmac",
            "secret_arn": stack.outputs["provider_secret_arns"]["acme"],
            "signature_header": "x-acme-signature",
            "signature_prefix": "sha256=",
            "timestamp_header": "x-acme-timestamp",
            "tolerance_seconds": 300,
            "delivery_id_header": "x-acme-delivery",
            "event_type_header": "x-acme-event",
            "signed_content": "{id}.{timestamp}.{body}",
        }


def test_secret_values_stay_pulumi_secrets(stack: MockedStack) -> None:
    secrets = {
        name: value if isinstance(value, list) else [value]
        for name, value in json.loads(stack.config["webhooks:secrets"]).items()
    }
    versions = stack.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert len(versions) == len(secrets)
    secret_ids = {}
    for secret in stack.of_type("aws:secretsmanager/secret:Secret"):
        provider = secret.inputs["name"].rsplit("/", 1)[-1]
        assert secret.inputs["name"] == f"webhooks/{stack.stack}/{provider}"
        assert secret.inputs["recoveryWindowInDays"] == (0 if stack.stack == "dev" else 30)
        secret_ids[secret.id] = provider
    for version in versions:
        assert version.secret_inputs == {"secretString"}
        provider = secret_ids[version.inputs["secretId"]]
        assert json.loads(version.inputs["secretString"]) == {"secrets": secrets[provider]}
    # No secret value anywhere else: inputs outside secret fields, outputs.
    values = [value for listed in secrets.values() for value in listed]
    for resource in stack.resources:
        if resource.secret_inputs:
            continue
        text = json.dumps(resource.inputs, default=str)
        assert not any(value in text for value in values), resource.name
    assert not any(value in json.dumps(stack.outputs) for value in values)


def test_table_matches_the_data_contract(stack: MockedStack) -> None:
    table = stack.one("aws:dynamodb/table:Table").inputs
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert table["hashKey"] == "pk"
    assert "rangeKey" not in table
    assert sorted((a["name"], a["type"]) for a in table["attributes"]) == [
        ("pk", "S"),
        ("provider", "S"),
        ("received_at", "S"),
    ]
    [index] = table["globalSecondaryIndexes"]
    assert index["name"] == "by_provider"
    assert index["keySchemas"] == [
        {"attributeName": "provider", "keyType": "HASH"},
        {"attributeName": "received_at", "keyType": "RANGE"},
    ]
    assert index["projectionType"] == "INCLUDE"
    assert sorted(index["nonKeyAttributes"]) == ["body_size", "delivery_id", "event_type"]
    assert table["ttl"] == {"attributeName": "expires_at", "enabled": True}


def test_prod_protects_its_events(prod: MockedStack) -> None:
    table = prod.one("aws:dynamodb/table:Table")
    assert table.protect is True
    assert table.inputs["deletionProtectionEnabled"] is True
    assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
    stateful = [
        *prod.of_type("aws:dynamodb/table:Table"),
        *prod.of_type("aws:sqs/queue:Queue"),
        *prod.of_type("aws:secretsmanager/secret:Secret"),
    ]
    # The pipeline's queue and DLQ, the publish DLQ, and no subscriber queue in prod's file.
    assert len(stateful) == 4 + len(prod.outputs["providers"])
    assert sorted(r.name for r in prod.resources if r.protect) == sorted(r.name for r in stateful)
    assert prod.one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is False
    assert rules.prod_protections(stack_resources(prod)) == []


def test_dev_can_be_torn_down(dev: MockedStack) -> None:
    table = dev.one("aws:dynamodb/table:Table")
    assert table.protect is False
    assert table.inputs["deletionProtectionEnabled"] is False
    assert table.inputs["pointInTimeRecovery"] == {"enabled": False}
    assert not [r.name for r in dev.resources if r.protect]
    assert dev.one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is True


def test_dev_and_prod_differ_where_a_team_would(dev: MockedStack, prod: MockedStack) -> None:
    d, p = settings_of(dev), settings_of(prod)
    assert d.logs.retention_days < p.logs.retention_days
    assert d.queue.retention_seconds < p.queue.retention_seconds
    assert d.alarms.processor_errors > p.alarms.processor_errors
    assert d.api_throttling_rate_limit < p.api_throttling_rate_limit
    assert d.processor.maximum_concurrency < p.processor.maximum_concurrency
    assert d.processor.reserved_concurrency is None
    assert p.processor.reserved_concurrency is not None


def test_api_routes_post_webhooks_provider_to_ingest(stack: MockedStack) -> None:
    api = stack.one("aws:apigatewayv2/api:Api")
    assert api.inputs["protocolType"] == "HTTP"
    integration = stack.one("aws:apigatewayv2/integration:Integration")
    assert rules.http_integrations_payload_v2(stack_resources(stack)) == []
    assert integration.inputs["integrationType"] == "AWS_PROXY"
    assert integration.inputs["integrationUri"] == function(stack, "ingest").state["invokeArn"]
    routes = [route.inputs for route in stack.of_type("aws:apigatewayv2/route:Route")]
    # GET and HEAD for the senders' handshakes; the receiver refuses them for the others
    assert sorted(route["routeKey"] for route in routes) == [
        "GET /webhooks/{provider}",
        "HEAD /webhooks/{provider}",
        "POST /webhooks/{provider}",
    ]
    for route in routes:
        assert route["target"] == f"integrations/{integration.id}"
        assert route["apiId"] == integration.inputs["apiId"] == api.id


def test_stage_throttles_and_logs_json(stack: MockedStack) -> None:
    settings = settings_of(stack)
    stage = stack.one("aws:apigatewayv2/stage:Stage").inputs
    assert stage["name"] == "$default"
    assert stage["autoDeploy"] is True
    route = stage["defaultRouteSettings"]
    assert route["throttlingRateLimit"] == settings.api_throttling_rate_limit
    assert route["throttlingBurstLimit"] == settings.api_throttling_burst_limit
    access = stage["accessLogSettings"]
    assert access["destinationArn"] == arn_of(
        stack, "aws:cloudwatch/logGroup:LogGroup", "webhooks-api-access-logs"
    )
    fields = json.loads(access["format"])
    assert {"requestId", "status", "routeKey", "ip"} <= set(fields)
    assert not any("header" in value.lower() for value in fields.values())


def test_permission_is_scoped_to_this_api(stack: MockedStack) -> None:
    permission = stack.one("aws:lambda/permission:Permission").inputs
    api = stack.one("aws:apigatewayv2/api:Api")
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["function"] == stack.outputs["ingest_function_name"]
    # the two routes' methods (POST deliveries, GET handshakes), under /webhooks/ only
    assert permission["sourceArn"] == f"{api.state['executionArn']}/*/*/webhooks/*"


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_iam_wildcards(stack: MockedStack) -> None:
    documents = [
        json.loads(p.inputs["policy"]) for p in stack.of_type("aws:iam/rolePolicy:RolePolicy")
    ]
    documents += [
        json.loads(r.inputs["assumeRolePolicy"]) for r in stack.of_type("aws:iam/role:Role")
    ]
    roles = stack.of_type("aws:iam/role:Role")
    assert len(roles) == 3  # ingest, process, publish
    assert len(documents) == 2 * len(roles)
    for document in documents:
        assert all(statement["Effect"] == "Allow" for statement in _statements(document))
        assert rules.iam_wildcards(document) == []


def test_roles_are_granted_exactly_what_the_handlers_call(stack: MockedStack) -> None:
    queue, table = stack.outputs["queue_arn"], stack.outputs["table_arn"]
    bucket = f"arn:aws:s3:::{stack.outputs['archive_bucket']}"
    secrets = sorted(stack.outputs["provider_secret_arns"].values())

    def grants(kind: str) -> dict[tuple[str, ...], list[str]]:
        return {
            tuple(sorted(_as_list(s["Action"]))): sorted(_as_list(s["Resource"]))
            for s in _statements(role_policy(stack, kind))
        }

    def logs(kind: str) -> str:
        name = f"/aws/lambda/webhooks-{kind}-{stack.stack}"
        return f"arn:aws:logs:eu-west-1:123456789012:log-group:{name}:*"

    assert grants("ingest") == {
        ("sqs:SendMessage",): [queue],
        ("s3:PutObject",): [f"{bucket}/bodies/*"],
        ("secretsmanager:GetSecretValue",): secrets,
        ("logs:CreateLogStream", "logs:PutLogEvents"): [logs("ingest")],
    }
    assert grants("process") == {
        ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"): [table],
        ("s3:GetObject",): [f"{bucket}/bodies/*"],
        # Not called: without it S3 answers a missing body 403, not 404 (NoSuchKey), and the
        # handler's "archived body is missing" path never runs (issue 24, finding 8).
        ("s3:ListBucket",): [bucket],
        ("sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"): [queue],
        ("logs:CreateLogStream", "logs:PutLogEvents"): [logs("process")],
    }
    stream = stack.one("aws:dynamodb/table:Table").state["streamArn"]
    publish_dlq = stack.one("aws:sqs/queue:Queue", "webhooks-publisher-dlq").state["arn"]
    # Neither stack file filters on the payload and both keep inline bodies small enough for
    # an entry: the publish role never touches the archive.
    assert grants("publish") == {
        ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"): [stream],
        # No resource-level permissions: AWS honours ListStreams on "*" only (issue 19).
        ("dynamodb:ListStreams",): ["*"],
        ("events:PutEvents",): [stack.outputs["bus_arn"]],
        ("sqs:SendMessage",): [publish_dlq],
        ("logs:CreateLogStream", "logs:PutLogEvents"): [logs("publish")],
    }


def test_every_iam_statement_names_resources_of_this_stack(stack: MockedStack) -> None:
    own_arns = {r.state["arn"] for r in stack.resources if r.custom and "arn" in r.state}
    own_arns |= {t.state["streamArn"] for t in stack.of_type("aws:dynamodb/table:Table")}
    for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in _statements(json.loads(policy.inputs["policy"])):
            for resource in _as_list(statement["Resource"]):
                if resource == "*":  # only for actions without resource-level permissions
                    assert rules.iam_check.unscoped_only(_as_list(statement["Action"]))
                    continue
                assert resource.removesuffix("/bodies/*").removesuffix(":*") in own_arns
    roles = {r.id: r for r in stack.of_type("aws:iam/role:Role")}
    for fn in stack.of_type("aws:lambda/function:Function"):
        assert fn.inputs["role"] in {r.state["arn"] for r in roles.values()}


def test_archive_bucket_is_private_tls_only_and_expires(stack: MockedStack) -> None:
    bucket = stack.outputs["archive_bucket"]
    block = stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert block == {
        "bucket": bucket,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    ownership = stack.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    [deny] = json.loads(stack.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(deny["Resource"]) == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    assert rules.buckets_private_tls_only(stack_resources(stack)) == []
    [rule] = stack.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs[
        "rules"
    ]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == {"prefix": "bodies/"}
    assert rule["expiration"] == {"days": settings_of(stack).archive_expiration_days}


def test_alarms_cover_what_needs_a_human(stack: MockedStack) -> None:
    settings = settings_of(stack).alarms
    topic = stack.outputs["alarm_topic_arn"]
    alarms = {
        a.inputs["name"]: a.inputs for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    env = stack.stack
    expected = {
        f"webhooks-dlq-not-empty-{env}": ("AWS/SQS", "ApproximateNumberOfMessagesVisible", 1),
        f"webhooks-oldest-message-age-{env}": (
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            settings.oldest_message_age_seconds,
        ),
        f"webhooks-processor-errors-{env}": ("AWS/Lambda", "Errors", settings.processor_errors),
        f"webhooks-processor-throttles-{env}": (
            "AWS/Lambda",
            "Throttles",
            settings.processor_throttles,
        ),
        f"webhooks-record-failures-{env}": ("Webhooks", "Failed", settings.record_failures),
        f"webhooks-conflicts-{env}": ("Webhooks", "Conflict", 1),
        f"webhooks-ingest-errors-{env}": ("AWS/Lambda", "Errors", settings.ingest_errors),
        f"webhooks-api-5xx-{env}": ("AWS/ApiGateway", "5xx", settings.api_5xx_errors),
        f"webhooks-publish-dlq-not-empty-{env}": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            1,
        ),
        f"webhooks-publish-errors-{env}": ("AWS/Lambda", "Errors", settings.processor_errors),
        f"webhooks-publish-failures-{env}": ("Webhooks", "PublishFailed", settings.record_failures),
        f"webhooks-publish-iterator-age-{env}": (
            "AWS/Lambda",
            "IteratorAge",
            settings.oldest_message_age_seconds * 1000,
        ),
    }
    assert {
        name: (a["namespace"], a["metricName"], a["threshold"]) for name, a in alarms.items()
    } == expected
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [topic]
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarms[f"webhooks-dlq-not-empty-{env}"]["dimensions"] == {
        "QueueName": f"webhooks-dlq-{env}"
    }
    assert alarms[f"webhooks-processor-errors-{env}"]["dimensions"] == {
        "FunctionName": stack.outputs["process_function_name"]
    }
    assert alarms[f"webhooks-api-5xx-{env}"]["dimensions"] == {
        "ApiId": stack.one("aws:apigatewayv2/api:Api").id,
        "Stage": "$default",
    }
    assert not stack.of_type("aws:sns/topicSubscription:TopicSubscription")


def test_alarm_email_subscribes_to_the_topic() -> None:
    config = stack_config("dev")
    config["webhooks:alarms"] = {**config["webhooks:alarms"], "email": "oncall@example.com"}
    stack = run_stack("dev", config=config)
    subscription = stack.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert subscription == {
        "topic": stack.outputs["alarm_topic_arn"],
        "protocol": "email",
        "endpoint": "oncall@example.com",
    }


def _resource_parameters(cls: type[pulumi.CustomResource]) -> set[str]:
    """The inputs of a generated resource class: the parameters of its `_internal_init`."""
    generated: Any = cls  # pulumi-aws classes define `_internal_init`; CustomResource does not
    return set(inspect.signature(generated._internal_init).parameters)


def _taggable_types() -> set[str]:
    types = set()
    for module in (
        aws.dynamodb,
        aws.sqs,
        aws.lambda_,
        aws.iam,
        aws.cloudwatch,
        aws.secretsmanager,
        aws.s3,
        aws.apigatewayv2,
        aws.sns,
    ):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            token = get_type_token(cls)
            if (
                token
                and issubclass(cls, pulumi.CustomResource)
                and "tags" in _resource_parameters(cls)
            ):
                types.add(token)
    return types


def test_every_taggable_resource_is_tagged(stack: MockedStack) -> None:
    """Provider default_tags don't run under mocks, so the program tags explicitly."""
    taggable = _taggable_types()
    assert "aws:sqs/queue:Queue" in taggable
    assert "aws:iam/rolePolicy:RolePolicy" not in taggable
    tagged = [r for r in stack.resources if r.type in taggable]
    assert len(tagged) > 20
    for resource in tagged:
        assert resource.inputs.get("tags") == {
            "app": "webhooks",
            "environment": stack.stack,
            "managed-by": "pulumi",
        }, resource.name


def test_names_carry_the_environment(stack: MockedStack) -> None:
    for resource in stack.resources:
        name = resource.inputs.get("name") or resource.inputs.get("bucket")
        if resource.custom and isinstance(name, str) and name != "$default":
            assert f"-{stack.stack}" in name or f"/{stack.stack}/" in name, name


def test_stage_goes_live_only_after_function_permission_and_secret_versions(
    stack: MockedStack,
) -> None:
    stage = stack.one("aws:apigatewayv2/stage:Stage")
    required = [
        function(stack, "ingest"),
        stack.one("aws:lambda/permission:Permission"),
        *stack.of_type("aws:apigatewayv2/route:Route"),
        *stack.of_type("aws:secretsmanager/secretVersion:SecretVersion"),
    ]
    assert len(required) == 5 + len(stack.outputs["providers"])
    missing = [r.name for r in required if r.urn not in stage.dependencies]
    assert not missing
