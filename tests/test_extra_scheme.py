"""Adding a sender scheme is one module: a scheme registered here, and no other edit, is
validated by the program's settings, rendered into the ingest function's environment by the
program, read back by the handler, verified and queued end to end, and gets development
secrets in its own format."""

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import boto3
import pytest
from moto import mock_aws

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import parse_settings
from local.config import generate_secret
from tests.components.mockstack import run_stack, stack_config
from webhooks import envelope, schemes
from webhooks.delivery import COMMON_HEADERS, Delivery, delivery, required_header
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.receiver import Receiver
from webhooks.schemes import Option
from webhooks.schemes.base import Headers, Keys
from webhooks.secrets import SecretsCache
from webhooks.signatures import MISSING_SIGNATURE, match_hex

# ---- the whole scheme: what a new `hookgate/handlers/webhooks/schemes/<scheme>.py` would hold ----


class TicketOptions(NamedTuple):
    signature_header: str


def _configure(values: Mapping[str, Any]) -> TicketOptions:
    return TicketOptions(values["signature_header"])


def _verify(
    options: TicketOptions, headers: Headers, body: bytes, keys: Keys, now: int
) -> str | None:
    signature = headers.get(options.signature_header)
    if not signature:
        return MISSING_SIGNATURE
    return match_hex(keys, body, "sha256", (signature,))


def _describe(options: TicketOptions, headers: Headers, body: bytes, sha256: str) -> Delivery:
    kept = (*COMMON_HEADERS, "x-ticket-id")
    return delivery(required_header(headers, "x-ticket-id"), "ticket.updated", headers, kept)


TICKETS = schemes.Scheme(
    "tickets",
    _configure,
    _verify,
    _describe,
    options=(Option("signature_header", "text", default="x-ticket-signature", lower=True),),
    development_secret=lambda entropy: "tk_" + entropy.hex(),
)

# ---- the proof ----------------------------------------------------------------------------


@pytest.fixture
def tickets() -> Iterator[schemes.Scheme[TicketOptions]]:
    schemes.register(TICKETS)
    yield TICKETS
    schemes.unregister(TICKETS.name)


CONFIG = {"tickets": {"scheme": "tickets", "signatureHeader": "X-Desk-Signature"}}


def test_the_program_validates_its_options(tickets: schemes.Scheme[TicketOptions]) -> None:
    raw = {"environment": "dev", "providers": CONFIG, "secrets": {"tickets": "tk_1"}}
    [provider] = parse_settings(raw).providers
    assert provider.handler_options() == {
        "scheme": "tickets",
        "signature_header": "x-desk-signature",
    }
    raw["providers"] = {"tickets": {"scheme": "tickets", "toleranceSeconds": 60}}
    with pytest.raises(ConfigError) as raised:
        parse_settings(raw)
    assert raised.value.key == "webhooks:providers.tickets.toleranceSeconds"


def test_an_unregistered_scheme_is_refused() -> None:
    raw = {"environment": "dev", "providers": CONFIG, "secrets": {"tickets": "tk_1"}}
    with pytest.raises(ConfigError, match=r"providers\.tickets\.scheme = 'tickets'"):
        parse_settings(raw)


def test_the_local_stack_generates_secrets_in_its_format(
    tickets: schemes.Scheme[TicketOptions],
) -> None:
    assert generate_secret("tickets").startswith("tk_")


def test_a_delivery_is_verified_and_queued_end_to_end(
    tickets: schemes.Scheme[TicketOptions], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = stack_config("dev")
    config["webhooks:providers"] = CONFIG
    stack = run_stack("dev", config=config, secrets={"tickets": "tk_secret"})
    ingest = next(
        f
        for f in stack.of_type("aws:lambda/function:Function")
        if f.inputs["name"].endswith("ingest-dev")
    )
    program_environment = ingest.inputs["environment"]["variables"]

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        session = boto3.session.Session(region_name="eu-west-1")
        sqs, secrets = session.client("sqs"), session.client("secretsmanager")
        queue_url = sqs.create_queue(QueueName="tickets")["QueueUrl"]
        arn = secrets.create_secret(
            Name="webhooks/dev/tickets", SecretString=json.dumps({"secrets": ["tk_secret"]})
        )["ARN"]
        # the handler reads what the program rendered, pointed at this emulator's resources
        providers = json.loads(program_environment["PROVIDERS"])
        providers["tickets"]["secret_arn"] = arn
        environ = program_environment | {
            "QUEUE_URL": queue_url,
            "PROVIDERS": json.dumps(providers),
        }
        settings = IngestHandlerSettings.from_environ(environ)
        receiver = Receiver(
            settings,
            sqs=lambda: sqs,
            s3=lambda: session.client("s3"),
            secrets=SecretsCache(lambda: secrets, 300),
        )
        body = b'{"ticket": 42, "status": "open"}'
        signature = hmac.new(b"tk_secret", body, hashlib.sha256).hexdigest()

        def post(headers: dict[str, str]) -> dict[str, Any]:
            return receiver.handle(
                {
                    "rawPath": "/webhooks/tickets",
                    "pathParameters": {"provider": "tickets"},
                    "requestContext": {"http": {"method": "POST", "sourceIp": "192.0.2.7"}},
                    "headers": headers,
                    "body": body.decode(),
                    "isBase64Encoded": False,
                }
            )

        forged = post({"X-Desk-Signature": "0" * 64, "X-Ticket-Id": "t-1"})
        accepted = post({"X-Desk-Signature": signature, "X-Ticket-Id": "t-1"})
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]

    assert forged["statusCode"] == 401
    assert accepted["statusCode"] == 202
    assert json.loads(accepted["body"]) == {"delivery_id": "t-1"}
    [message] = messages
    queued = envelope.parse(message["Body"])
    assert (queued.provider, queued.delivery_id, queued.event_type) == (
        "tickets",
        "t-1",
        "ticket.updated",
    )
    assert queued.body == body
    assert queued.headers == {"x-ticket-id": "t-1"}
