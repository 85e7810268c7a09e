"""A webhook pipeline built from the components with plain typed arguments: no `webhooks:`
stack config, two providers, no alarm e-mail.

    cd examples/minimal
    pulumi stack init example
    pulumi config set aws:region eu-west-1
    pulumi config set --secret githubSecret "$GITHUB_WEBHOOK_SECRET"
    pulumi config set --secret stripeSecret "$STRIPE_WEBHOOK_SECRET"   # whsec_...
    pulumi up

The settings are the dataclasses of `hookgate/components/settings.py`, built in code. They are not
validated the way `parse_settings` validates stack config: the policy pack
(`pulumi up --policy-pack ../../policy`) checks the deployed shape.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

# hookgate is installed into this program's own environment (pyproject.toml).
from hookgate.components.code import handler_archive
from hookgate.components.pipeline import WebhookPipeline, WebhookPipelineArgs
from hookgate.components.settings import (
    AlarmSettings,
    ApiSettings,
    ArchiveSettings,
    IngestSettings,
    LogSettings,
    ProcessorSettings,
    ProviderSettings,
    QueueSettings,
    Settings,
    TableSettings,
)

config = pulumi.Config()
processor = ProcessorSettings(timeout_seconds=20, batch_size=10, maximum_concurrency=5)
settings = Settings(
    # The profile (dev: disposable, prod: protected); names carry the stack, as in the project.
    profile="dev",
    stack=pulumi.get_stack(),
    providers=(
        ProviderSettings(name="github", scheme="github", secrets=(), options={}),
        ProviderSettings(
            name="stripe", scheme="stripe", secrets=(), options={"tolerance_seconds": 600}
        ),
    ),
    # What reaches Secrets Manager: Pulumi secrets, never plain text in the state.
    secret_values={
        "github": config.require_secret("githubSecret"),
        "stripe": config.require_secret("stripeSecret"),
    },
    ingest=IngestSettings(),
    processor=processor,
    # AWS guidance: >= 6 x the processor timeout + its batching window.
    queue=QueueSettings(
        visibility_timeout_seconds=6 * processor.timeout_seconds + processor.batching_window_seconds
    ),
    table=TableSettings(point_in_time_recovery=False, deletion_protection=False),
    logs=LogSettings(retention_days=14),
    api=ApiSettings(throttling_rate_limit=50, throttling_burst_limit=100),
    alarms=AlarmSettings(email=None),
    archive=ArchiveSettings(expiration_days=7, force_destroy=True),
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
