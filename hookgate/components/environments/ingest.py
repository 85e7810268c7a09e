"""The ingest function's environment, and the check that it fits Lambda.

`PROVIDERS` grows with every provider (about 150 bytes each); Lambda refuses a function whose
variables exceed 4 KB, but only at `pulumi up`, halfway through a deployment. The check measures
the environment the function would receive, with every ARN at its full length, before
anything is created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from hookgate.components import naming
from hookgate.components.config_error import ConfigError
from hookgate.components.settings import IngestSettings, LogSettings, ProviderSettings, Settings
from webhooks import providers as handler_providers
from webhooks.ingest_settings import IngestHandlerSettings

# Lambda quotas: "Environment variables: 4 KB", all keys and values together.
LAMBDA_ENVIRONMENT_BYTES = 4096
ACCOUNT_PLACEHOLDER = "0" * naming.ACCOUNT_ID_CHARS
# Secrets Manager appends `-` and 6 random characters to a secret ARN.
ARN_RANDOM_SUFFIX = "-XXXXXX"


def handler_settings(
    ingest: IngestSettings,
    logs: LogSettings,
    providers: Sequence[ProviderSettings],
    *,
    stack: str,
    metrics_namespace: str,
    queue_url: str,
    archive_bucket: str,
    secret_arns: Mapping[str, str],
) -> IngestHandlerSettings:
    """The ingest handler's settings; `secret_arns` maps each provider to its secret's ARN."""
    return IngestHandlerSettings(
        queue_url=queue_url,
        archive_bucket=archive_bucket,
        providers={
            p.name: handler_providers.build(p.name, p.scheme, secret_arns[p.name], p.options)
            for p in providers
        },
        environment=stack,
        max_body_bytes=ingest.max_body_bytes,
        inline_body_limit=ingest.inline_body_limit,
        secrets_refresh_seconds=ingest.secrets_refresh_seconds,
        metrics_namespace=metrics_namespace,
        log_level=logs.level,
    )


def environment(
    ingest: IngestSettings,
    logs: LogSettings,
    providers: Sequence[ProviderSettings],
    *,
    stack: str,
    metrics_namespace: str,
    queue_url: pulumi.Input[str],
    archive_bucket: pulumi.Input[str],
    secret_arns: Mapping[str, pulumi.Input[str]],
) -> pulumi.Output[dict[str, str]]:
    """`handler_settings` rendered, once the queue, the bucket and the secrets exist."""
    names = [p.name for p in providers]

    def render(values: list[str]) -> dict[str, str]:
        queue, bucket, *arns = values
        return handler_settings(
            ingest,
            logs,
            providers,
            stack=stack,
            metrics_namespace=metrics_namespace,
            queue_url=queue,
            archive_bucket=bucket,
            secret_arns=dict(zip(names, arns, strict=True)),
        ).to_environ()

    return pulumi.Output.all(queue_url, archive_bucket, *(secret_arns[n] for n in names)).apply(
        render
    )


def environment_bytes(variables: Mapping[str, str]) -> int:
    """What Lambda counts against its limit: the UTF-8 bytes of every key and value."""
    return sum(len(key.encode()) + len(value.encode()) for key, value in variables.items())


def estimated_ingest_variables(settings: Settings, region: str) -> dict[str, str]:
    """The ingest environment with the names this stack gets and ARNs at their full length."""
    account = ACCOUNT_PLACEHOLDER
    queue = settings.name("queue", naming.SQS_QUEUE)
    prefix = naming.secret_prefix(settings.stack)
    arns = {
        p.name: f"arn:aws:secretsmanager:{region}:{account}:secret:{prefix}/{p.secret_path}"
        + ARN_RANDOM_SUFFIX
        for p in settings.providers
    }
    return handler_settings(
        settings.ingest,
        settings.logs,
        settings.providers,
        stack=settings.stack,
        metrics_namespace=settings.metrics_namespace,
        queue_url=f"https://sqs.{region}.amazonaws.com/{account}/{queue}",
        archive_bucket=naming.archive_bucket(settings.stack, region, account),
        secret_arns=arns,
    ).to_environ()


def check_ingest_environment(settings: Settings, region: str) -> None:
    """Refuse a provider list whose ingest environment would exceed Lambda's 4 KB."""
    size = environment_bytes(estimated_ingest_variables(settings, region))
    if size > LAMBDA_ENVIRONMENT_BYTES:
        raise ConfigError(
            "webhooks:providers",
            f"{len(settings.providers)} providers",
            f"as many as keep the ingest function's environment within Lambda's"
            f" {LAMBDA_ENVIRONMENT_BYTES} bytes (keys and values); these need {size} bytes,"
            " so remove providers or shorten their names and header options",
        )
