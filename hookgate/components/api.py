"""The front door: HTTP API + ingest Lambda, the provider secrets and the body archive."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pulumi
import pulumi_aws as aws

from hookgate.components.environments import ingest
from hookgate.components.function import FunctionSpec, Grant, create_function
from hookgate.components.function_url import create_function_url
from hookgate.components.naming import access_log_group_name
from hookgate.components.settings import (
    ApiSettings,
    ArchiveSettings,
    IngestSettings,
    LogSettings,
    ProviderSettings,
)

ROUTE_KEY = "POST /webhooks/{provider}"
HANDSHAKE_ROUTE_KEYS = ("GET /webhooks/{provider}", "HEAD /webhooks/{provider}")
"""The GET handshakes of Meta, Dropbox and Okta and Intercom's HEAD URL check; the receiver
answers 405 for a provider whose sender makes none."""
# Fields of one JSON access-log line; never headers, so no signature reaches the logs.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationStatus": "$context.integration.status",
        "integrationLatency": "$context.integration.latency",
        "integrationError": "$context.integration.error",
        # The host the sender used: who still posts to the execute-api URL after a domain is
        # added (docs/deploying.md, "Moving senders to a domain").
        "domainName": "$context.domainName",
    },
    separators=(",", ":"),
)


# Noncurrent versions of an archived body (a rewrite of the same key) are kept this long.
NONCURRENT_VERSION_DAYS = 7


@dataclass(frozen=True)
class WebhookApiArgs:
    api: ApiSettings
    """The front door (`kind`, components/function_url.py) and the HTTP API's throttling."""
    ingest: IngestSettings
    archive: ArchiveSettings
    archive_expiration_days: int
    """Derived when `archive.expirationDays` is unset (`Settings.archive_expiration_days`)."""
    throttling_rate_limit: int
    throttling_burst_limit: int
    """Derived when unset (`Settings.api_throttling_*`): the burst is capped by the ingest
    function's reserved concurrency."""
    logs: LogSettings
    providers: Sequence[ProviderSettings]
    secret_values: pulumi.Input[Mapping[str, Any]]
    """Provider → secret or list of secrets, a secret Output from the config."""
    stack: str
    metrics_namespace: str
    api_name: str
    function_name: str
    role_name: str
    bucket_name: pulumi.Input[str]
    secret_name_prefix: str
    secret_recovery_window_days: int
    protect_secrets: bool
    """Pulumi `protect` on the secrets (prod profile): a rename cannot delete them."""
    code: pulumi.Archive
    queue_url: pulumi.Input[str]
    queue_arn: pulumi.Input[str]
    tags: dict[str, str]


class WebhookApi(pulumi.ComponentResource):
    """`POST /webhooks/{provider}` → `ingest.handler`, which verifies, then queues or archives.

    Each provider's signing secrets live in their own Secrets Manager secret; the function
    gets only the ARNs. Bodies too large for a queue message go to a private, encrypted,
    TLS-only bucket that expires them.
    """

    def __init__(
        self, name: str, args: WebhookApiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webhooks:api:WebhookApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.secrets: dict[str, aws.secretsmanager.Secret] = {}
        versions: list[aws.secretsmanager.SecretVersion] = []
        secret_values = pulumi.Output.from_input(args.secret_values)
        for provider in args.providers:
            # A renamed provider keeps its former secret: same name in AWS, and its former
            # logical names as aliases, so Pulumi updates it instead of replacing a protected
            # resource (docs/deploying.md, "Provider lifecycle").
            former = provider.renamed_from
            secret = aws.secretsmanager.Secret(
                f"{name}-secret-{provider.name}",
                name=f"{args.secret_name_prefix}/{provider.secret_path}",
                description=f"Signing secrets of webhook provider {provider.name}",
                recovery_window_in_days=args.secret_recovery_window_days,
                tags=args.tags,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.protect_secrets,
                    aliases=[pulumi.Alias(name=f"{name}-secret-{former}")] if former else None,
                ),
            )
            versions.append(
                aws.secretsmanager.SecretVersion(
                    f"{name}-secret-{provider.name}-value",
                    secret_id=secret.id,
                    # Derived from the secret config Output, so it is a secret too.
                    secret_string=secret_values.apply(partial(_secret_string, provider.name)),
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        aliases=[pulumi.Alias(name=f"{name}-secret-{former}-value")]
                        if former
                        else None,
                    ),
                )
            )
            self.secrets[provider.name] = secret

        self.bucket = self._archive_bucket(name, args, child)

        resources = create_function(
            self,
            f"{name}-function",
            FunctionSpec(
                function_name=args.function_name,
                role_name=args.role_name,
                description="Verifies webhook deliveries and queues them.",
                handler="ingest.handler",
                code=args.code,
                timeout_seconds=args.ingest.timeout_seconds,
                memory_mb=args.ingest.memory_mb,
                reserved_concurrency=args.ingest.reserved_concurrency,
                log_retention_days=args.logs.retention_days,
                environment=ingest.environment(
                    args.ingest,
                    args.logs,
                    args.providers,
                    stack=args.stack,
                    metrics_namespace=args.metrics_namespace,
                    queue_url=args.queue_url,
                    archive_bucket=self.bucket.bucket,
                    secret_arns={n: secret.arn for n, secret in self.secrets.items()},
                ),
                grants=[
                    Grant(actions=["sqs:SendMessage"], resources=[args.queue_arn]),
                    Grant(
                        actions=["s3:PutObject"],
                        resources=[self.bucket.arn.apply(lambda arn: f"{arn}/bodies/*")],
                    ),
                    Grant(
                        actions=["secretsmanager:GetSecretValue"],
                        resources=[secret.arn for secret in self.secrets.values()],
                    ),
                ],
                tags=args.tags,
            ),
        )
        self.function = resources.function
        self.function_name = self.function.name
        self.bucket_name = self.bucket.bucket
        self.secret_arns = {provider: secret.arn for provider, secret in self.secrets.items()}
        self.api_id: pulumi.Output[str] | None = None
        self.stage_id: pulumi.Output[str] | None = None
        self.function_url: aws.lambda_.FunctionUrl | None = None
        if args.api.kind == "functionUrl":
            self.function_url, self.webhook_base_url = create_function_url(
                self, name, self.function, versions
            )
        else:
            self._http_api(name, args, versions, child)
        self.register_outputs(
            {
                "webhook_base_url": self.webhook_base_url,
                "function_name": self.function_name,
                "bucket_name": self.bucket_name,
                "secret_arns": self.secret_arns,
            }
        )

    def _http_api(
        self,
        name: str,
        args: WebhookApiArgs,
        versions: Sequence[aws.secretsmanager.SecretVersion],
        child: pulumi.ResourceOptions,
    ) -> None:
        """`httpApi`: the HTTP API, its route, stage, access logs and invoke permission."""
        self.access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=access_log_group_name(args.api_name),
            retention_in_days=args.logs.retention_days,
            tags=args.tags,
            opts=child,
        )
        self.api = aws.apigatewayv2.Api(
            f"{name}-http-api",
            name=args.api_name,
            protocol_type="HTTP",
            description="Receives signed webhook deliveries.",
            # Once every sender uses the custom domain, nobody may bypass it through the
            # execute-api URL (`api.disableExecuteApiEndpoint`).
            disable_execute_api_endpoint=args.api.disable_execute_api_endpoint,
            tags=args.tags,
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-ingest-integration",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=self.function.invoke_arn,
            payload_format_version="2.0",
            opts=child,
        )
        route = aws.apigatewayv2.Route(
            f"{name}-webhooks-route",
            api_id=self.api.id,
            route_key=ROUTE_KEY,
            target=integration.id.apply(lambda integration_id: f"integrations/{integration_id}"),
            opts=child,
        )
        handshake_routes = [
            aws.apigatewayv2.Route(
                f"{name}-{key.split()[0].lower()}-handshake-route",
                api_id=self.api.id,
                route_key=key,
                target=integration.id.apply(
                    lambda integration_id: f"integrations/{integration_id}"
                ),
                opts=child,
            )
            for key in HANDSHAKE_ROUTE_KEYS
        ]
        permission = aws.lambda_.Permission(
            f"{name}-invoke-permission",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="apigateway.amazonaws.com",
            source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/*/*/webhooks/*"),
            opts=child,
        )
        # The stage makes the route live: only once the function may be invoked and can read
        # every signing secret, so a first deploy answers no request with a 5xx.
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-default-stage",
            api_id=self.api.id,
            name="$default",
            auto_deploy=True,
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_rate_limit=args.throttling_rate_limit,
                throttling_burst_limit=args.throttling_burst_limit,
            ),
            access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
                destination_arn=self.access_logs.arn,
                format=ACCESS_LOG_FORMAT,
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[route, *handshake_routes, self.function, permission, *versions],
            ),
        )

        self.webhook_base_url = self.stage.invoke_url.apply(
            lambda url: f"{url.rstrip('/')}/webhooks"
        )
        self.api_id = self.api.id
        self.stage_id = self.stage.id

    def _archive_bucket(
        self, name: str, args: WebhookApiArgs, child: pulumi.ResourceOptions
    ) -> aws.s3.Bucket:
        """Private, SSE-S3 (bucket key), TLS-only bucket whose `bodies/` objects expire."""
        bucket = aws.s3.Bucket(
            f"{name}-archive",
            bucket=args.bucket_name,
            force_destroy=args.archive.force_destroy,
            tags=args.tags,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-archive-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-archive-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-archive-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        # Versioned: were an object ever written twice, the earlier bytes stay a noncurrent
        # version (keys are content hashes, so a rewrite is the same bytes; the processor
        # checks them). Noncurrent versions expire after NONCURRENT_VERSION_DAYS.
        versioning = aws.s3.BucketVersioning(
            f"{name}-archive-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        days = args.archive_expiration_days
        expiration = (
            aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days)
            if days
            else None  # 0: bodies are kept as long as the events (archive.expirationDays)
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-archive-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-bodies",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="bodies/"),
                    expiration=expiration,
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=NONCURRENT_VERSION_DAYS
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1
                    ),
                )
            ],
            # S3 applies the noncurrent rule to a versioned bucket only.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-archive-tls-only",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:*",
                            "Resource": [bucket.arn, bucket.arn.apply(lambda arn: f"{arn}/*")],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            ),
            opts=child,
        )
        return bucket


def _secret_string(provider: str, values: Mapping[str, str | list[str]]) -> str:
    """The secret's JSON (docs/contract.md): every accepted signing secret, current first."""
    value = values[provider]
    return json.dumps({"secrets": [value] if isinstance(value, str) else list(value)})
