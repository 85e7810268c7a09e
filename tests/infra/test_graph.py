"""Properties of the resource graph each stack builds (program run under Pulumi mocks)."""

import json

from tests.infra.mockstack import MockedStack

CONTRACT_OUTPUTS = {
    "webhook_base_url",
    "webhook_urls",
    "providers",
    "provider_secret_arns",
    "queue_url",
    "queue_arn",
    "dlq_url",
    "dlq_arn",
    "table_name",
    "table_arn",
    "archive_bucket",
    "ingest_function_name",
    "process_function_name",
    "alarm_topic_arn",
    "region",
    "inline_body_limit",
    "max_receive_count",
}


def test_exports_exactly_the_contract_outputs(stack: MockedStack) -> None:
    assert set(stack.outputs) == CONTRACT_OUTPUTS
    env = stack.stack
    assert stack.outputs["queue_url"].endswith(f"/webhooks-queue-{env}")
    assert stack.outputs["table_name"] == f"webhooks-events-{env}"
    assert stack.outputs["webhook_base_url"].endswith(".amazonaws.com/webhooks")
    for provider, url in stack.outputs["webhook_urls"].items():
        assert url == f"{stack.outputs['webhook_base_url']}/{provider}"


def test_processor_reports_batch_item_failures(stack: MockedStack) -> None:
    mapping = stack.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping.inputs["eventSourceArn"] == stack.outputs["queue_arn"]


def test_ingest_integration_uses_payload_format_2(stack: MockedStack) -> None:
    integration = stack.one("aws:apigatewayv2/integration:Integration")
    assert integration.inputs["payloadFormatVersion"] == "2.0"
    assert integration.inputs["integrationType"] == "AWS_PROXY"


def test_secret_values_stay_pulumi_secrets(stack: MockedStack) -> None:
    versions = stack.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert len(versions) == len(stack.outputs["providers"])
    for version in versions:
        assert "secretString" in version.secret_inputs
        assert set(json.loads(version.inputs["secretString"])) == {"secrets"}
