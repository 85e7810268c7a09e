"""The ingest function's environment, built in one place, and the check that it fits Lambda.

`PROVIDERS` grows with every provider (about 150 bytes each); Lambda refuses a function whose
variables exceed 4 KB, but only at `pulumi up`, halfway through a deployment. The check measures
the environment the function would receive, with every ARN at its full length, before
anything is created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hookgate.components import naming
from hookgate.components.config_error import ConfigError
from hookgate.components.settings import ProviderSettings, Settings
from webhooks import providers as handler_providers
from webhooks.ingest_settings import IngestHandlerSettings

# Lambda quotas: "Environment variables: 4 KB", all keys and values together.
LAMBDA_ENVIRONMENT_BYTES = 4096
ACCOUNT_PLACEHOLDER = "0" * naming.ACCOUNT_ID_CHARS
# Secrets Manager appends `-` and 6 random characters to a secret ARN.
ARN_RANDOM_SUFFIX = "-XXXXXX"


@dataclass(frozen=True)
class IngestOptions:
    """The ingest function's plain settings, as its environment carries them."""

    max_body_bytes: int
    inline_body_limit: int
    secrets_refresh_seconds: int
    metrics_namespace: str
    # The stack, not the profile: stacks sharing an account keep their metrics apart.
    metric_environment: str
    log_level: str

    @classmethod
    def of(cls, settings: Settings) -> IngestOptions:
        return cls(
            max_body_bytes=settings.ingest.max_body_bytes,
            inline_body_limit=settings.ingest.inline_body_limit,
            secrets_refresh_seconds=settings.ingest.secrets_refresh_seconds,
            metrics_namespace=settings.metrics_namespace,
            metric_environment=settings.stack,
            log_level=settings.logs.level,
        )


def ingest_settings(
    options: IngestOptions,
    providers: Sequence[ProviderSettings],
    secret_arns: Mapping[str, str],
    *,
    queue_url: str,
    archive_bucket: str,
) -> IngestHandlerSettings:
    """The ingest handler's settings (their `to_environ()` is the function's environment)."""
    return IngestHandlerSettings(
        queue_url=queue_url,
        archive_bucket=archive_bucket,
        providers={
            p.name: handler_providers.build(p.name, p.scheme, secret_arns[p.name], p.options)
            for p in providers
        },
        environment=options.metric_environment,
        max_body_bytes=options.max_body_bytes,
        inline_body_limit=options.inline_body_limit,
        secrets_refresh_seconds=options.secrets_refresh_seconds,
        metrics_namespace=options.metrics_namespace,
        log_level=options.log_level,
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
    return ingest_settings(
        IngestOptions.of(settings),
        settings.providers,
        arns,
        queue_url=f"https://sqs.{region}.amazonaws.com/{account}/{queue}",
        archive_bucket=f"{naming.bucket_base(settings.stack, region)}-{account}-{region}",
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
