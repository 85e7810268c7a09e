"""Signature verification per scheme, cross-checked with the senders' official libraries.

Deliveries are signed three independent ways: by the senders' libraries (`stripe`,
`standardwebhooks`), by the published known-answer examples (GitHub, Slack), and by our own
sender side (`ops.signing`), and each must be accepted by the provider's scheme verifier
(`webhooks.schemes`); what the official verifiers reject, ours rejects too.
"""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
import standardwebhooks
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from ops import signing
from tests.handlers.test_senders import VECTORS
from webhooks import schemes
from webhooks.providers import build
from webhooks.schemes import Provider
from webhooks.schemes.standard import message_id
from webhooks.signatures import (
    INVALID_SIGNATURE,
    MALFORMED_SIGNATURE,
    MALFORMED_TIMESTAMP,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
    STALE_TIMESTAMP,
)

NOW = 1_795_885_200
SECRETS = {
    "github": "It's a Secret to Everybody",
    "stripe": "whsec_test_5ecret",
    "shopify": "shpss_0123456789abcdef",
    "slack": "8f742231b10e8888abcd99yyyzzz85a5",
    "standard": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "hmac": "generic-secret",
}
HMAC_OPTIONS = {
    "signature_header": "x-acme-signature",
    "signature_prefix": "sha512=",
    "algorithm": "sha512",
    "encoding": "base64",
    "timestamp_header": "x-acme-timestamp",
    "delivery_id_header": "x-acme-delivery",
    "signed_content": "{id}.{timestamp}.{body}",
    "tolerance_seconds": 300,
}
SIGNATURE_HEADER = {
    "github": "x-hub-signature-256",
    "stripe": "stripe-signature",
    "shopify": "x-shopify-hmac-sha256",
    "slack": "x-slack-signature",
    "standard": "webhook-signature",
    "hmac": "x-acme-signature",
}
TIMESTAMPED = ("stripe", "slack", "standard", "hmac")


def provider(scheme: str) -> Provider:
    if scheme == "hmac":
        return build("acme", "hmac", "arn:secret", HMAC_OPTIONS)
    return build(scheme, scheme, "arn:secret", {})


def signing_key(scheme: str, secret: str) -> bytes:
    """The key the ingest function derives from a configured secret of `scheme`."""
    return provider(scheme).signing_key(secret)


def keys(scheme: str, *secrets: str) -> tuple[bytes, ...]:
    return tuple(signing_key(scheme, secret) for secret in secrets or (SECRETS[scheme],))


def signed(scheme: str, body: bytes, *, secret: str | None = None, timestamp: int = NOW):
    headers = signing.sign(
        scheme,
        secret or SECRETS[scheme],
        body,
        delivery_id="d-1",
        event_type="test.event",
        timestamp=timestamp,
        options=HMAC_OPTIONS,
    )
    return {name.lower(): value for name, value in headers.items()}


def check(scheme: str, headers: dict, body: bytes, secrets: tuple[str, ...] = ()) -> str | None:
    return provider(scheme).verify(headers, body, keys(scheme, *secrets), NOW)


BODY = b'{"id": "evt_1", "type": "test.event", "amount": 4200, "note": "caf\xc3\xa9"}'
SCHEMES = tuple(SECRETS)  # the schemes with their own modules; the presets: test_senders.py


def test_every_registered_scheme_is_cross_checked() -> None:
    """Here, in test_senders.py and test_families.py, or with the public-key ones
    (tests/handlers/test_pubkey_*.py)."""
    assert set(SCHEMES) == set(SIGNATURE_HEADER)
    families = {"token", "in-body"}  # the generic families: tests/handlers/test_families.py
    public_key = set(signing.PUBLIC_KEY_SCHEMES)
    assert set(schemes.names()) == set(SCHEMES) | set(VECTORS) | families | public_key


@pytest.mark.parametrize("scheme", SCHEMES)
def test_sender_signature_is_accepted(scheme: str) -> None:
    assert check(scheme, signed(scheme, BODY), BODY) is None


@pytest.mark.parametrize("scheme", SCHEMES)
def test_tampered_body_is_rejected(scheme: str) -> None:
    assert check(scheme, signed(scheme, BODY), BODY.replace(b"4200", b"4201")) == INVALID_SIGNATURE


@pytest.mark.parametrize("scheme", SCHEMES)
def test_wrong_secret_is_rejected(scheme: str) -> None:
    forged = signed(scheme, BODY, secret=schemes.get(scheme).new_development_secret())
    assert check(scheme, forged, BODY) == INVALID_SIGNATURE


@pytest.mark.parametrize("scheme", SCHEMES)
def test_missing_signature_header_is_rejected(scheme: str) -> None:
    headers = signed(scheme, BODY)
    del headers[SIGNATURE_HEADER[scheme]]
    assert check(scheme, headers, BODY) == MISSING_SIGNATURE


@pytest.mark.parametrize("scheme", SCHEMES)
def test_empty_signature_header_is_rejected(scheme: str) -> None:
    headers = {**signed(scheme, BODY), SIGNATURE_HEADER[scheme]: ""}
    assert check(scheme, headers, BODY) == MISSING_SIGNATURE


@pytest.mark.parametrize(
    ("scheme", "value"),
    [
        ("github", "sha1=0123"),
        ("github", "sha256=caf\u00e9"),
        ("stripe", "v1=abc"),
        ("stripe", "t=1795885200"),
        ("stripe", "garbage"),
        ("shopify", "\u00e9t\u00e9"),
        ("slack", "v1=abc"),
        ("standard", "v2,abc"),
        ("standard", "v1"),
        ("hmac", "sha256=abc"),
    ],
)
def test_malformed_signature_header_is_rejected(scheme: str, value: str) -> None:
    headers = {**signed(scheme, BODY), SIGNATURE_HEADER[scheme]: value}
    assert check(scheme, headers, BODY) == MALFORMED_SIGNATURE


@pytest.mark.parametrize("scheme", TIMESTAMPED)
@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_stale_timestamp_is_rejected(scheme: str, offset: int) -> None:
    headers = signed(scheme, BODY, timestamp=NOW + offset)
    assert check(scheme, headers, BODY) == STALE_TIMESTAMP


@pytest.mark.parametrize("scheme", TIMESTAMPED)
def test_timestamp_at_the_tolerance_edge_is_accepted(scheme: str) -> None:
    assert check(scheme, signed(scheme, BODY, timestamp=NOW - 300), BODY) is None


@pytest.mark.parametrize(
    ("scheme", "header"),
    [("slack", "x-slack-request-timestamp"), ("standard", "webhook-timestamp")],
)
@pytest.mark.parametrize("value", ["soon", "-1", "1.5e9", "\u0661\u0662", "9" * 5000])
def test_malformed_timestamp_is_rejected(scheme: str, header: str, value: str) -> None:
    headers = {**signed(scheme, BODY), header: value}
    assert check(scheme, headers, BODY) == MALFORMED_TIMESTAMP


@pytest.mark.parametrize(
    ("scheme", "header"),
    [
        ("slack", "x-slack-request-timestamp"),
        ("standard", "webhook-timestamp"),
        ("hmac", "x-acme-timestamp"),
    ],
)
def test_missing_timestamp_is_rejected(scheme: str, header: str) -> None:
    headers = signed(scheme, BODY)
    del headers[header]
    assert check(scheme, headers, BODY) == MISSING_TIMESTAMP


@pytest.mark.parametrize("scheme", SCHEMES)
def test_any_active_secret_is_accepted_during_rotation(scheme: str) -> None:
    old, new = schemes.get(scheme).new_development_secret(), SECRETS[scheme]  # signed with new
    headers = signed(scheme, BODY)
    assert check(scheme, headers, BODY, secrets=(old, new)) is None
    assert check(scheme, headers, BODY, secrets=(new, old)) is None
    assert check(scheme, headers, BODY, secrets=(old,)) == INVALID_SIGNATURE


# --- known-answer examples published by the senders ------------------------------------------


def test_github_published_example() -> None:
    # docs.github.com "Validating webhook deliveries", "Testing the webhook payload validation"
    digest = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    headers = {"x-hub-signature-256": "sha256=" + digest}
    assert check("github", headers, b"Hello, World!") is None
    assert check("github", headers, b"Hello, World?") == INVALID_SIGNATURE


def test_slack_published_example() -> None:
    # api.slack.com "Verifying requests from Slack", the worked example
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
        b"-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977"
        b"00885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d1"
        b"0d2c447fce8b6703c"
    )
    headers = {
        "x-slack-request-timestamp": "1531420618",
        "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }
    slack = provider("slack")
    key = keys("slack")
    assert slack.verify(headers, body, key, 1531420618) is None
    assert slack.verify(headers, body + b"x", key, 1531420618) == INVALID_SIGNATURE


def test_shopify_published_algorithm() -> None:
    # shopify.dev "Verify webhooks": base64 of HMAC-SHA256 over the raw body
    digest = hmac.new(SECRETS["shopify"].encode(), BODY, hashlib.sha256).digest()
    headers = {"x-shopify-hmac-sha256": base64.b64encode(digest).decode()}
    assert check("shopify", headers, BODY) is None


@pytest.mark.parametrize("algorithm", ["sha256", "sha512", "sha1"])
@pytest.mark.parametrize("encoding", ["hex", "base64"])
def test_generic_hmac_options(algorithm: str, encoding: str) -> None:
    generic = build(
        "acme",
        "hmac",
        "arn",
        {
            "tolerance_seconds": 0,
            "algorithm": algorithm,
            "encoding": encoding,
            "signature_header": "X-Sig",
            "signature_prefix": "v=",
        },
    )
    digest = hmac.new(b"k", BODY, algorithm).digest()
    value = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    assert generic.verify({"x-sig": "v=" + value}, BODY, (b"k",), NOW) is None
    if encoding == "hex":  # senders differ in hex case; the digest is the same
        upper = {"x-sig": "v=" + value.upper()}
        assert generic.verify(upper, BODY, (b"k",), NOW) is None
    assert generic.verify({"x-sig": value}, BODY, (b"k",), NOW) == MALFORMED_SIGNATURE
    assert generic.verify({"x-sig": "v=" + value}, BODY + b" ", (b"k",), NOW) == (INVALID_SIGNATURE)
    # tolerance 0: no timestamp header is needed, and none is read
    assert generic.verify({"x-sig": "v=" + value, "x-t": "1"}, BODY, (b"k",), NOW) is None


# --- Stripe: the official library signs and verifies -----------------------------------------


def stripe_accepts(body: bytes, header: str, secret: str = SECRETS["stripe"]) -> bool:
    try:
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)
    except stripe.SignatureVerificationError:
        return False
    return True


def stripe_event_body() -> bytes:
    return json.dumps({"id": "evt_1", "object": "event", "type": "charge.succeeded"}).encode()


def test_stripe_library_signature_is_accepted() -> None:
    body = stripe_event_body()
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), SECRETS["stripe"], timestamp=NOW
    )
    assert check("stripe", {"stripe-signature": header}, body) is None


def test_stripe_several_v1_signatures_any_one_matching() -> None:
    body = stripe_event_body()
    good = stripe.WebhookSignature.generate_signature_header(
        body.decode(), SECRETS["stripe"], timestamp=NOW
    )
    other = stripe.WebhookSignature.generate_signature_header(
        body.decode(), "whsec_other", timestamp=NOW
    )
    header = f"{other},v1={good.split('v1=')[1]},v0=ignored"
    assert stripe_accepts(body, header)
    assert check("stripe", {"stripe-signature": header}, body) is None


def test_our_stripe_signature_is_accepted_by_stripe() -> None:
    body = stripe_event_body()
    sample = signing.sample("stripe", delivery_id="evt_9", timestamp=NOW)
    for payload in (body, sample.body):
        header = signed("stripe", payload)["stripe-signature"]
        stripe.WebhookSignature.verify_header(payload, header, SECRETS["stripe"], tolerance=None)
        # NOW is in the past: no timestamp check. `construct_event` is annotated `tolerance: int`
        # and hands it to `verify_header`, which skips the check for any false tolerance.
        event = stripe.Webhook.construct_event(payload, header, SECRETS["stripe"], tolerance=0)
        assert event["object"] == "event"


def _stripe_header(body: bytes, *, secret: str = SECRETS["stripe"], ts: int = NOW) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=ts)


@pytest.mark.parametrize(
    ("case", "body", "header"),
    [
        ("tampered body", stripe_event_body() + b" ", _stripe_header(stripe_event_body())),
        (
            "wrong secret",
            stripe_event_body(),
            _stripe_header(stripe_event_body(), secret="whsec_x"),
        ),
        ("no v1", stripe_event_body(), f"t={NOW},v0=abc"),
        ("no timestamp", stripe_event_body(), "v1=" + "0" * 64),
        ("upper-case hex", stripe_event_body(), _stripe_header(stripe_event_body()).upper()),
        ("spaces", stripe_event_body(), _stripe_header(stripe_event_body()).replace(",", ", ")),
    ],
)
def test_stripe_rejections_agree(case: str, body: bytes, header: str) -> None:
    assert not stripe_accepts(body, header), case
    assert check("stripe", {"stripe-signature": header}, body) is not None, case


def test_stripe_stale_timestamp_rejected_by_both() -> None:
    body = stripe_event_body()
    header = _stripe_header(body, ts=NOW - 301)
    # the library compares with the wall clock, so give it an old-enough timestamp for *now*
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(body, _stripe_header(body, ts=1), SECRETS["stripe"])
    assert check("stripe", {"stripe-signature": header}, body) == STALE_TIMESTAMP


# --- Standard Webhooks: the official library signs and verifies ------------------------------


@pytest.fixture(autouse=True)
def standard_library_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the library's tolerance clock to NOW, so only the case under test can fail it."""
    fixed = datetime.fromtimestamp(NOW, tz=UTC)

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed

    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", Clock)


def standard_headers(body: bytes, *, secret: str = SECRETS["standard"], ts: int = NOW) -> dict:
    wh = standardwebhooks.Webhook(secret)
    when = datetime.fromtimestamp(ts, tz=UTC)
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": wh.sign("msg_1", when, body.decode()),
    }


def standard_accepts(body: bytes, headers: dict, secret: str = SECRETS["standard"]) -> bool:
    try:
        standardwebhooks.Webhook(secret).verify(body, headers)
    except (standardwebhooks.WebhookVerificationError, ValueError):
        return False  # the library lets a malformed signature list escape as ValueError
    return True


def test_standard_library_signature_is_accepted() -> None:
    assert check("standard", standard_headers(BODY), BODY) is None


def test_standard_secret_without_prefix_is_accepted() -> None:
    bare = SECRETS["standard"].removeprefix("whsec_")
    headers = standard_headers(BODY)
    assert check("standard", headers, BODY, secrets=(bare,)) is None


def test_standard_several_signatures_space_separated() -> None:
    good = standard_headers(BODY)
    other = standard_headers(BODY, secret="whsec_" + base64.b64encode(b"other key").decode())
    headers = {
        **good,
        "webhook-signature": f"v1a,xyz {other['webhook-signature']} {good['webhook-signature']}",
    }
    assert check("standard", headers, BODY) is None
    headers["webhook-signature"] = f"{other['webhook-signature']} {good['webhook-signature']}"
    assert standard_accepts(BODY, headers, SECRETS["standard"])


def test_svix_header_names_are_accepted() -> None:
    headers = {k.replace("webhook-", "svix-"): v for k, v in standard_headers(BODY).items()}
    assert check("standard", headers, BODY) is None


def test_our_standard_signature_is_accepted_by_the_library() -> None:
    headers = signing.sign(
        "standard", SECRETS["standard"], BODY, delivery_id="msg_7", timestamp=NOW
    )
    assert standardwebhooks.Webhook(SECRETS["standard"]).verify(BODY, headers) == json.loads(BODY)


def _standard_cases() -> list[tuple[str, bytes, dict]]:
    good = standard_headers(BODY)
    return [
        ("tampered body", BODY + b" ", good),
        ("wrong secret", BODY, standard_headers(BODY, secret="whsec_" + "A" * 32)),
        ("other id", BODY, {**good, "webhook-id": "msg_2"}),
        ("other timestamp", BODY, {**good, "webhook-timestamp": str(NOW + 1)}),
        ("no signature", BODY, {k: v for k, v in good.items() if k != "webhook-signature"}),
        ("no id", BODY, {k: v for k, v in good.items() if k != "webhook-id"}),
        (
            "v2 only",
            BODY,
            {**good, "webhook-signature": good["webhook-signature"].replace("v1", "v2")},
        ),
        ("malformed", BODY, {**good, "webhook-signature": "v1"}),
    ]


@pytest.mark.parametrize(("case", "body", "headers"), _standard_cases())
def test_standard_rejections_agree(case: str, body: bytes, headers: dict) -> None:
    assert standard_accepts(BODY, standard_headers(BODY)), "the pinned clock accepts NOW"
    assert not standard_accepts(body, headers), case
    assert check("standard", headers, body) is not None, case


def test_standard_stale_timestamp_rejected_by_both() -> None:
    headers = standard_headers(BODY, ts=NOW - 301)
    assert not standard_accepts(BODY, headers)
    assert not standard_accepts(BODY, standard_headers(BODY, ts=NOW + 301))
    assert check("standard", headers, BODY) == STALE_TIMESTAMP


def test_standard_secret_decoding_matches_the_library() -> None:
    for secret in (SECRETS["standard"], "whsec_" + base64.b64encode(b"\x00\xff" * 20).decode()):
        assert signing_key("standard", secret) == standardwebhooks.Webhook(secret)._whsecret


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        signing_key("github", "")
    with pytest.raises(ValueError, match="empty"):
        signing_key("standard", "whsec_")


# --- any body, any secret: both sides agree with the official libraries ----------------------

stripe_secrets = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1)


@settings(max_examples=60, deadline=None)
@given(body=st.text(max_size=300), secret=stripe_secrets, offset=st.integers(-300, 300))
def test_stripe_agrees_on_any_body_and_secret(body: str, secret: str, offset: int) -> None:
    raw = body.encode()
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=NOW + offset)
    stripe_provider = build("s", "stripe", "arn", {})
    assert stripe_provider.signing_key(secret) == secret.encode()  # used as is
    assert (
        stripe_provider.verify({"stripe-signature": header}, raw, (secret.encode(),), NOW) is None
    )
    ours = signing.sign("stripe", secret, raw, delivery_id="evt", timestamp=NOW + offset)
    assert stripe_accepts(raw, ours["Stripe-Signature"], secret)


@settings(max_examples=60, deadline=None)
@given(
    body=st.text(max_size=300),
    key=st.binary(min_size=1, max_size=64),
    msg_id=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30
    ),
)
def test_standard_agrees_on_any_body_and_key(body: str, key: bytes, msg_id: str) -> None:
    secret = "whsec_" + base64.b64encode(key).decode()
    raw = body.encode()
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(NOW),
        "webhook-signature": standardwebhooks.Webhook(secret).sign(
            msg_id, datetime.fromtimestamp(NOW, tz=UTC), body
        ),
    }
    standard = build("w", "standard", "arn", {})
    assert standard.verify(headers, raw, (standard.signing_key(secret),), NOW) is None
    ours = signing.sign("standard", secret, raw, delivery_id=msg_id, timestamp=NOW)
    standardwebhooks.Webhook(secret).verify(raw, ours, json_parse=False)


# --- the provider's typed options reach its scheme --------------------------------------------


def test_standard_message_id_is_the_signed_id() -> None:
    assert message_id({"webhook-id": "msg_1", "svix-id": "msg_2"}) == "msg_1"
    assert message_id({"svix-id": "msg_2"}) == "msg_2"
    assert message_id({"webhook-id": "", "svix-id": "msg_2"}) == "msg_2"
    assert message_id({}) is None


@pytest.mark.parametrize("scheme", TIMESTAMPED)
def test_configured_tolerance_is_honoured(scheme: str) -> None:
    options = {**HMAC_OPTIONS, "tolerance_seconds": 60} if scheme == "hmac" else {}
    configured = build("p", scheme, "arn", options | {"tolerance_seconds": 60})
    assert configured.options.tolerance_seconds == 60
    key = keys(scheme)
    assert configured.verify(signed(scheme, BODY, timestamp=NOW - 60), BODY, key, NOW) is None
    assert configured.verify(signed(scheme, BODY, timestamp=NOW + 60), BODY, key, NOW) is None
    stale = signed(scheme, BODY, timestamp=NOW - 61)
    assert configured.verify(stale, BODY, key, NOW) == STALE_TIMESTAMP
    assert provider(scheme).verify(stale, BODY, key, NOW) is None  # within the default 300


@pytest.mark.parametrize("scheme", SCHEMES)
def test_provider_verify_is_its_schemes_verify(scheme: str) -> None:
    configured = provider(scheme)
    headers = signed(scheme, BODY)
    for body in (BODY, BODY + b" "):
        expected = configured.scheme.verify(configured.options, headers, body, keys(scheme), NOW)
        assert configured.verify(headers, body, keys(scheme), NOW) == expected
    assert configured.scheme.name == scheme
