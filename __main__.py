"""Webhook ingestion pipeline: reads the stack's settings, builds the pipeline, exports outputs.

The output names are a contract (docs/contract.md, docs/operations.md "Stack outputs"): tests,
the local stack and the operator CLI read them.
"""

import pulumi
import pulumi_aws as aws

from hookgate.components.code import handler_archive
from hookgate.components.domain import check_certificate_region
from hookgate.components.environments.ingest import check_ingest_environment
from hookgate.components.packages import for_schemes
from hookgate.components.pipeline import WebhookPipeline, WebhookPipelineArgs
from hookgate.components.settings import load_settings
from hookgate.components.subscribers import check_target_regions

settings = load_settings()
# A plain value: names of account-global resources carry it.
region = aws.get_region().region
check_ingest_environment(settings, region)
check_certificate_region(settings, region)
check_target_regions(settings.subscribers, region)
pipeline = WebhookPipeline(
    "webhooks",
    WebhookPipelineArgs(
        settings=settings,
        # The deployment package is hookgate/handlers/ as is (docs/contract.md), plus `cryptography`
        # built from uv.lock when a provider's scheme needs it (hookgate/components/packages.py).
        code=handler_archive(for_schemes(provider.scheme for provider in settings.providers)),
        account_id=aws.get_caller_identity_output().account_id,
        region=region,
    ),
)

for output_name, value in pipeline.outputs.items():
    pulumi.export(output_name, value)
