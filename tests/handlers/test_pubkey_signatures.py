"""Ed25519 (`discord`, `telnyx`) and ECDSA P-256 (`sendgrid`): checked with the senders' own
verifiers (`discord-interactions`' `verify_key`, PyNaCl as Telnyx's SDK uses it, `sendgrid`'s
`EventWebhook`), signed by a library other than the one the verifier uses where one exists
(PyNaCl signs the Ed25519 vectors; `cryptography` verifies), and attacked."""

import base64
import json
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from discord_interactions import verify_key
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey, VerifyKey
from sendgrid.helpers.eventwebhook import EventWebhook

from tests.handlers.pubkey import NOW, Ingest
from webhooks import providers, schemes
from webhooks.environ import SettingsError

DISCORD_SEED = bytes(range(32))
TELNYX_SEED = bytes(range(32, 64))
INTERACTION = b'{"id":"1187654321","type":2,"data":{"name":"hello"},"token":"t"}'
PING = b'{"id":"1187654322","type":1,"application_id":"99"}'
TELNYX_EVENT = b'{"data":{"id":"0ccc7b54-4df3","event_type":"message.received","payload":{}}}'
SENDGRID_EVENTS = b'[{"email":"a@example.com","event":"delivered","sg_event_id":"e1"}]\r\n'


def discord_key(seed: bytes = DISCORD_SEED) -> SigningKey:
    return SigningKey(seed)


def discord_headers(body: bytes, key: SigningKey, timestamp: int = NOW) -> dict[str, str]:
    """Signed as Discord's docs say: Ed25519 over timestamp + body, hex (PyNaCl signs)."""
    signature = key.sign(str(timestamp).encode() + body).signature
    return {"X-Signature-Ed25519": signature.hex(), "X-Signature-Timestamp": str(timestamp)}


def telnyx_headers(body: bytes, key: SigningKey, timestamp: int = NOW) -> dict[str, str]:
    """Signed as Telnyx's docs say: Ed25519 over "{timestamp}|{body}", base64 (PyNaCl signs)."""
    signature = key.sign(f"{timestamp}|".encode() + body).signature
    return {
        "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        "telnyx-timestamp": str(timestamp),
    }


def p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def sendgrid_public(key: ec.EllipticCurvePrivateKey) -> str:
    """The verification key as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def sendgrid_headers(
    body: bytes, key: ec.EllipticCurvePrivateKey, timestamp: int = NOW
) -> dict[str, str]:
    signature = key.sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": str(timestamp),
    }


def discord_public(key: SigningKey) -> str:
    return key.verify_key.encode().hex()


def telnyx_public(key: SigningKey) -> str:
    return base64.b64encode(key.verify_key.encode()).decode()


def ingest(**extra: dict[str, object]) -> Ingest:
    telnyx = SigningKey(TELNYX_SEED)
    return Ingest(
        {
            "discord": {"scheme": "discord", "public_key": discord_public(discord_key())},
            "telnyx": {"scheme": "telnyx", "public_key": telnyx_public(telnyx)},
            **extra,
        }
    )


# ---- the senders' own verifiers agree with ours ----


@pytest.mark.parametrize("body", [INTERACTION, PING, b"", "é ✓".encode()])
@pytest.mark.parametrize("tamper", [False, True])
def test_discord_agrees_with_discord_interactions_verify_key(body: bytes, tamper: bool) -> None:
    key = discord_key()
    headers = discord_headers(body, key)
    sent = body + b" " if tamper else body
    official = verify_key(
        sent, headers["X-Signature-Ed25519"], headers["X-Signature-Timestamp"], discord_public(key)
    )
    provider = providers.build("d", "discord", "arn", {"public_key": discord_public(key)})
    ours = provider.verify({k.lower(): v for k, v in headers.items()}, sent, (), NOW) is None
    assert official is ours is (not tamper)


@pytest.mark.parametrize("tamper", [False, True])
def test_telnyx_agrees_with_pynacl_as_telnyx_sdk_verifies(tamper: bool) -> None:
    key = SigningKey(TELNYX_SEED)
    headers = telnyx_headers(TELNYX_EVENT, key)
    sent = TELNYX_EVENT.replace(b"received", b"sent") if tamper else TELNYX_EVENT
    signature = base64.b64decode(headers["telnyx-signature-ed25519"])
    try:
        VerifyKey(base64.b64decode(telnyx_public(key))).verify(
            f"{headers['telnyx-timestamp']}|".encode() + sent, signature
        )
        official = True
    except Exception:
        official = False
    provider = providers.build("t", "telnyx", "arn", {"public_key": telnyx_public(key)})
    assert (provider.verify(headers, sent, (), NOW) is None) is official is (not tamper)


@pytest.mark.parametrize("tamper", [False, True])
def test_sendgrid_agrees_with_sendgrid_event_webhook(tamper: bool) -> None:
    key = p256()
    headers = sendgrid_headers(SENDGRID_EVENTS, key)
    sent = SENDGRID_EVENTS.replace(b"delivered", b"bounce") if tamper else SENDGRID_EVENTS
    webhook = EventWebhook(sendgrid_public(key))
    official = webhook.verify_signature(
        sent.decode(),
        headers["X-Twilio-Email-Event-Webhook-Signature"],
        headers["X-Twilio-Email-Event-Webhook-Timestamp"],
    )
    provider = providers.build("s", "sendgrid", "arn", {"public_key": sendgrid_public(key)})
    lowered = {k.lower(): v for k, v in headers.items()}
    assert (provider.verify(lowered, sent, (), NOW) is None) is official is (not tamper)


def test_sendgrid_signature_made_by_sendgrid_own_helper_key_format_is_accepted() -> None:
    """The key text `EventWebhook` reads (PEM body without armour) is the option's format."""
    key = p256()
    text = sendgrid_public(key)
    assert EventWebhook(text).public_key.public_numbers() == key.public_key().public_numbers()
    providers.build("s", "sendgrid", "arn", {"public_key": text})


# ---- end to end through the receiver ----


def test_discord_interaction_is_queued_under_its_signed_id() -> None:
    stack = ingest()
    status, body = stack.post("discord", INTERACTION, discord_headers(INTERACTION, discord_key()))
    assert (status, json.loads(body)) == (202, {"delivery_id": "1187654321"})
    assert [m["delivery_id"] for m in stack.queue.sent] == ["1187654321"]
    assert stack.queue.sent[0]["event_type"] == "2"


def test_discord_ping_is_answered_pong_and_never_stored() -> None:
    stack = ingest()
    status, body = stack.post("discord", PING, discord_headers(PING, discord_key()))
    assert (status, json.loads(body)) == (200, {"type": 1})
    assert stack.queue.sent == []


def test_discord_ping_signed_by_another_key_is_refused() -> None:
    stack = ingest()
    status, body = stack.post("discord", PING, discord_headers(PING, SigningKey(bytes(32))))
    assert (status, json.loads(body)) == (401, {"error": "invalid signature"})
    assert stack.queue.sent == []


def test_telnyx_event_is_queued_under_data_id() -> None:
    stack = ingest()
    headers = telnyx_headers(TELNYX_EVENT, SigningKey(TELNYX_SEED))
    status, _ = stack.post("telnyx", TELNYX_EVENT, headers)
    assert status == 202
    assert [(m["delivery_id"], m["event_type"]) for m in stack.queue.sent] == [
        ("0ccc7b54-4df3", "message.received")
    ]


def test_sendgrid_batch_is_queued_under_its_body_hash() -> None:
    key = p256()
    stack = ingest(sendgrid={"scheme": "sendgrid", "public_key": sendgrid_public(key)})
    status, _ = stack.post("sendgrid", SENDGRID_EVENTS, sendgrid_headers(SENDGRID_EVENTS, key))
    assert status == 202
    assert stack.queue.sent[0]["dedupe"] == "content"


def test_a_rotated_key_is_accepted_while_both_are_listed() -> None:
    old, new = discord_key(), discord_key(bytes(range(100, 132)))
    both = f"{discord_public(old)}, {discord_public(new)}"
    stack = Ingest({"discord": {"scheme": "discord", "public_key": both}})
    for key in (old, new):
        assert stack.post("discord", INTERACTION, discord_headers(INTERACTION, key))[0] == 202


# ---- attacks: refused, nothing stored ----

ATTACKS = {
    "body byte": lambda b, h: (b.replace(b"hello", b"hellp"), h),
    "timestamp": lambda b, h: (b, {**h, "X-Signature-Timestamp": str(NOW + 1)}),
    "signature bit": lambda b, h: (
        b,
        {
            **h,
            "X-Signature-Ed25519": ("1" if h["X-Signature-Ed25519"][0] != "1" else "2")
            + h["X-Signature-Ed25519"][1:],
        },
    ),
    "no signature": lambda b, h: (b, {"X-Signature-Timestamp": str(NOW)}),
    "no timestamp": lambda b, h: (b, {"X-Signature-Ed25519": h["X-Signature-Ed25519"]}),
    "short signature": lambda b, h: (b, {**h, "X-Signature-Ed25519": "00" * 63}),
    "not hex": lambda b, h: (b, {**h, "X-Signature-Ed25519": "zz" * 64}),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_changed_discord_request_is_refused_and_not_stored(attack: str) -> None:
    stack = ingest()
    body, headers = ATTACKS[attack](INTERACTION, discord_headers(INTERACTION, discord_key()))
    status, _ = stack.post("discord", body, headers)
    assert status == 401
    assert stack.queue.sent == []


def test_a_stale_signature_is_refused() -> None:
    stack = ingest()
    headers = discord_headers(INTERACTION, discord_key(), timestamp=NOW - 301)
    assert stack.post("discord", INTERACTION, headers) == (401, '{"error": "stale timestamp"}')


def test_a_telnyx_signature_is_not_a_discord_signature() -> None:
    """Same curve and key, other message composition: the separator is signed."""
    key = discord_key()
    stack = Ingest({"telnyx": {"scheme": "telnyx", "public_key": telnyx_public(key)}})
    headers = discord_headers(INTERACTION, key)
    moved = {
        "telnyx-signature-ed25519": base64.b64encode(
            bytes.fromhex(headers["X-Signature-Ed25519"])
        ).decode(),
        "telnyx-timestamp": str(NOW),
    }
    assert stack.post("telnyx", INTERACTION, moved)[0] == 401


def test_sendgrid_signature_by_another_key_or_over_other_timestamp_is_refused() -> None:
    key = p256()
    stack = ingest(sendgrid={"scheme": "sendgrid", "public_key": sendgrid_public(key)})
    forged = sendgrid_headers(SENDGRID_EVENTS, p256())
    moved = {
        **sendgrid_headers(SENDGRID_EVENTS, key),
        "X-Twilio-Email-Event-Webhook-Timestamp": str(NOW - 1),
    }
    for headers in (forged, moved):
        assert stack.post("sendgrid", SENDGRID_EVENTS, headers)[0] == 401
    assert stack.queue.sent == []


# ---- configuration ----


@pytest.mark.parametrize(
    ("scheme", "key", "allowed"),
    [
        ("discord", None, "required with scheme discord"),
        ("discord", "abcd", "32-byte Ed25519 public key"),
        ("discord", "zz" * 32, "not hex text"),
        ("telnyx", "not base64!", "not base64 text"),
        ("discord", ",".join(["00" * 32] * 5), "more than 4 keys"),
        ("sendgrid", base64.b64encode(b"junk").decode(), "not base64 of a DER public key"),
    ],
)
def test_a_wrong_public_key_is_a_config_error_naming_it(
    scheme: str, key: str | None, allowed: str
) -> None:
    options = {"scheme": scheme, "secret_arn": "arn"}
    if key is not None:
        options["public_key"] = key
    with pytest.raises(SettingsError, match=allowed):
        providers.parse(json.dumps({"p": options}))


def test_sendgrid_refuses_a_key_of_another_curve() -> None:
    other = ec.generate_private_key(ec.SECP384R1())
    der = other.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(schemes.OptionError, match="not a P-256 key"):
        schemes.get("sendgrid").validate(
            {"publicKey": base64.b64encode(der).decode()}, schemes.config_key
        )


@pytest.mark.parametrize(("scheme", "imported"), [("github", False), ("discord", True)])
def test_cryptography_is_imported_only_by_a_function_with_a_public_key_provider(
    scheme: str, imported: bool
) -> None:
    """The lazy import: a function whose providers are shared-secret senders stays as light."""
    options = {"scheme": scheme, "secret_arn": "a", "public_key": "00" * 32}
    if scheme == "github":
        del options["public_key"]
    code = (
        "import sys, json; import ingest; from webhooks import providers;"
        f"providers.parse(json.dumps({{'p': {options!r}}}));"
        "print('cryptography' in sys.modules)"
    )
    done = subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, "-c", code],
        cwd="hookgate/handlers",
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "AWS_DEFAULT_REGION": "eu-west-1"},
    )
    assert done.stdout.splitlines()[-1] == str(imported)


# ---- properties: any change of a signed byte is refused ----

SENDGRID_KEY = p256()


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=256), position=st.integers(min_value=0), bit=st.integers(0, 7))
def test_any_flipped_bit_of_the_signed_message_is_refused(
    body: bytes, position: int, bit: int
) -> None:
    signed = [
        ("discord", discord_headers(body, discord_key()), discord_public(discord_key())),
        (
            "telnyx",
            telnyx_headers(body, SigningKey(TELNYX_SEED)),
            telnyx_public(SigningKey(TELNYX_SEED)),
        ),
        ("sendgrid", sendgrid_headers(body, SENDGRID_KEY), sendgrid_public(SENDGRID_KEY)),
    ]
    for scheme, headers, public in signed:
        provider = providers.build("p", scheme, "arn", {"public_key": public})
        lowered = {k.lower(): v for k, v in headers.items()}
        assert provider.verify(lowered, body, (), NOW) is None
        if body:
            changed = bytearray(body)
            changed[position % len(body)] ^= 1 << bit
            assert provider.verify(lowered, bytes(changed), (), NOW) == "invalid signature"
