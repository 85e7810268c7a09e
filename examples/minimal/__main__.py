"""A webhook pipeline built from the components with plain typed arguments: no `webhooks:`
stack config, two providers, no alarm e-mail.

    cd examples/minimal
    pulumi stack init example
    pulumi config set aws:region eu-west-1
    pulumi config set --secret githubSecret "$GITHUB_WEBHOOK_SECRET"
    pulumi config set --secret stripeSecret "$STRIPE_WEBHOOK_SECRET"   # whsec_...
    pulumi up

The settings are the dataclasses of `hookgate/components/settings.py`, built in code: each
section defaults to its production values, so this program gives only what differs. They check
themselves as `parse_settings` checks stack config (the same errors): an invalid combination,
such as archived bodies expiring before the events that point at them, fails here, before
anything is created.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

# hookgate is installed into this program's own environment (pyproject.toml).
from hookgate.components.code import handler_archive
from hookgate.components.pipeline import WebhookPipeline, WebhookPipelineArgs
from hookgate.components.settings import (
    ApiSettings,
    ArchiveSettings,
    LogSettings,
    ProcessorSettings,
    ProviderSettings,
    Settings,
    TableSettings,
)

config = pulumi.Config()
settings = Settings(
    # The profile (dev: disposable, prod: protected); names carry the stack, as in the project.
    profile="dev",
    stack=pulumi.get_stack(),
    providers=(
        ProviderSettings(name="github", scheme="github"),
        ProviderSettings(name="stripe", scheme="stripe", options={"tolerance_seconds": 600}),
    ),
    # What reaches Secrets Manager: Pulumi secrets, never plain text in the state.
    secret_values={
        "github": config.require_secret("githubSecret"),
        "stripe": config.require_secret("stripeSecret"),
    },
    # The queue's visibility timeout follows the processor's timeout (6 x 20 s).
    processor=ProcessorSettings(timeout_seconds=20, maximum_concurrency=5),
    table=TableSettings(point_in_time_recovery=False, deletion_protection=False),
    logs=LogSettings(retention_days=14),
    api=ApiSettings(throttling_rate_limit=50, throttling_burst_limit=100),
    # Archived bodies expire once no event can point at them any more (derived when unset).
    archive=ArchiveSettings(force_destroy=True),
    metrics_namespace="WebhooksExample",
)

pipeline = WebhookPipeline(
    "webhooks",
    WebhookPipelineArgs(
        settings=settings,
        code=handler_archive(),
        account_id=aws.get_caller_identity_output().account_id,
        region=aws.get_region().region,  # a plain value: global names carry it
    ),
)

pulumi.export("webhook_urls", pipeline.outputs["webhook_urls"])
pulumi.export("table_name", pipeline.outputs["table_name"])
pulumi.export("alarm_topic_arn", pipeline.outputs["alarm_topic_arn"])
