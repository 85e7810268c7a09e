"""The environment the program gives each function is one its handler accepts and reads back
as configured: the two sides of docs/contract.md, checked against each other."""

import json

from hookgate.components.settings import TableSettings
from tests.components.mockstack import MockedStack
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.process_settings import ProcessHandlerSettings


def _variables(stack: MockedStack, kind: str) -> dict[str, str]:
    function = next(
        f
        for f in stack.of_type("aws:lambda/function:Function")
        if f.inputs["name"] == f"webhooks-{kind}-{stack.stack}"
    )
    return function.inputs["environment"]["variables"]


def test_ingest_handler_reads_the_programs_environment(stack: MockedStack) -> None:
    config = IngestHandlerSettings.from_environ(_variables(stack, "ingest"))
    assert config.queue_url == stack.outputs["queue_url"]
    assert config.archive_bucket == stack.outputs["archive_bucket"]
    assert config.inline_body_limit == stack.outputs["inline_body_limit"]
    assert config.environment == stack.stack
    schemes = {name: p.scheme.name for name, p in config.providers.items()}
    assert schemes == stack.outputs["providers"]
    assert {name: p.secret_arn for name, p in config.providers.items()} == stack.outputs[
        "provider_secret_arns"
    ]
    configured = json.loads(stack.config["webhooks:providers"])
    acme = config.providers.get("acme")
    if acme is not None:
        options = configured["acme"]
        assert acme.options.signature_header == options["signatureHeader"]
        assert acme.options.signature_prefix == options["signaturePrefix"]
        assert acme.options.timestamp_header == options["timestampHeader"]
        assert acme.options.tolerance_seconds == options["toleranceSeconds"]
        assert acme.options.delivery_id_header == options["deliveryIdHeader"]


def test_process_handler_reads_the_programs_environment(stack: MockedStack) -> None:
    settings = ProcessHandlerSettings.from_environ(_variables(stack, "process"))
    assert settings.table_name == stack.outputs["table_name"]
    assert settings.environment == stack.stack
    table = json.loads(stack.config.get("webhooks:table", "{}"))
    assert settings.ttl_days == table.get("eventTtlDays", TableSettings.event_ttl_days)
