"""The public-key senders end to end on the local stack: `ops send` signs with the local test
keys, the ingest function fetches certificates and keys from the local key server over the
real fetch path, stores what verifies; `ops handshake` answers Discord's PING and confirms an
SNS subscription."""

import json
import time

import pytest

from local import LocalStack
from ops import cli, events
from ops.pubkey_signing import SCHEMES

PROVIDERS = {f"providers.{scheme}": {"scheme": scheme} for scheme in SCHEMES}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    state = tmp_path_factory.mktemp("local-pubkey")
    with LocalStack.start(stack="dev", overrides=PROVIDERS, state_dir=state) as running:
        yield running


def ops(stack, *args: str) -> int:
    return cli.main(["--outputs", str(stack.outputs_path), *args])


def stored(stack, provider: str, delivery_id: str, timeout: float = 30.0) -> bool:
    dynamodb = stack.client("dynamodb")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if events.get_event(dynamodb, stack.outputs["table_name"], provider, delivery_id):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("scheme", SCHEMES)
def test_ops_send_is_verified_and_stored(stack, scheme: str, capsys) -> None:
    assert ops(stack, "send", scheme) == 0
    status_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert status_line.startswith("202 "), status_line
    delivery_id = json.loads(status_line[4:])["delivery_id"]
    assert stored(stack, scheme, delivery_id)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_ops_send_forged_is_refused(stack, scheme: str, capsys) -> None:
    assert ops(stack, "send", scheme, "--forge") == 0  # exit 0: the 401 was expected
    assert capsys.readouterr().out.startswith("401 ")


def test_keys_came_from_the_local_key_server(stack) -> None:
    asked = set(stack.key_server.requests)
    assert "GET /SimpleNotificationService-local.pem" in asked
    assert "GET /oauth2/v1/certs" in asked
    assert "POST /webhook_verification_key/get" in asked


def test_discord_ping_is_answered_pong_and_a_ping_signed_by_another_key_401(stack, capsys) -> None:
    assert ops(stack, "handshake", "discord") == 0
    assert capsys.readouterr().out.splitlines() == [
        'POST 200 {"type": 1}',
        'POST 401 {"error": "invalid signature"}',
    ]


def test_sns_subscription_is_confirmed_at_the_key_server(stack, capsys) -> None:
    before = len(stack.key_server.confirmations)
    assert ops(stack, "handshake", "aws-sns") == 0
    assert capsys.readouterr().out.strip() == 'POST 200 {"subscription": "confirmed"}'
    [confirmation] = stack.key_server.confirmations[before:]
    assert confirmation["TopicArn"].endswith(":webhooks-local")


def test_a_handshake_for_a_sender_without_one_is_refused(stack, capsys) -> None:
    assert ops(stack, "handshake", "telnyx") == 1
    assert "makes no handshake" in capsys.readouterr().err
