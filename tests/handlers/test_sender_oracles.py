"""The senders' official libraries as live oracles (issue 25): where a sender publishes a Python
library that signs or verifies its webhooks, that library signs fresh random deliveries which our
ingest verification must accept (and refuse once a byte changes), and verifies what
`ops/signing.py` sends. Each library also verifies the research vector (`test_senders.VECTORS`),
so the pasted vector is re-checked against the sender, not our code; where a library checks the
clock, it is set to the vector's time.

Senders without such a library (their vectors come from the documentation's worked example) are
listed in `WITHOUT_ORACLE`; a preset added later must be sorted into one list or the other.
"""

import json
import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import Adyen.util as adyen
import openai
import pytest
import resend
import svix.webhooks
from coinbase_commerce.error import SignatureVerificationError as CoinbaseError
from coinbase_commerce.webhook import WebhookSignature as Coinbase
from hubspot.utils.signature import Signature as HubSpot
from hypothesis import given, settings
from hypothesis import strategies as st
from mailgun.security import SecurityGuard as Mailgun
from replicate.webhook import Webhooks as Replicate
from replicate.webhook import WebhookSigningSecret
from square.utils.webhooks_helper import verify_signature as square_verify
from twilio.request_validator import RequestValidator

from ops import signing
from tests.handlers.test_senders import CLASSIC, PRESETS, VECTORS, check
from webhooks.signatures import INVALID_SIGNATURE

SIGNED_BY_LIBRARY = ("twilio", "hubspot", "clerk", "adyen", "coinbase-commerce")
VERIFIED_BY_LIBRARY = (
    *SIGNED_BY_LIBRARY,
    "square",
    "openai",
    "resend",
    "replicate",
    "mailgun",
)
# No official Python library signs or verifies these senders' webhooks: their vectors are the
# documentation's worked examples, or computed from the documented composition (each preset's
# `About.vector` says which).
# Paddle has one (paddle-python-sdk) but it installs a top-level `tests` package into
# site-packages, which shadows this repository's `tests`; its vector stays the pasted one.
WITHOUT_ORACLE = (
    "paddle",
    "auth0",
    "bitbucket",
    "calendly",
    "circleci",
    "datadog",
    "docusign",
    "dropbox",
    "gitlab",
    "intercom",
    "jira",
    "lemonsqueezy",
    "linear",
    "meta",
    "microsoft-graph",
    "mux",
    "okta",
    "pagerduty",
    "postmark",
    "sentry",
    "twitch",
    "typeform",
    "vercel",
    "woocommerce",
    "xero",
    "zoom",
    "basic",
)
URL = "https://hooks.example.com/webhooks/sender?tenant=acme"
NOTES = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
EXAMPLES = settings(max_examples=15, deadline=None)


def delivery(name: str, note: str) -> bytes:
    """A fresh delivery of `name` (its sample shape) carrying `note`, non-ASCII included."""
    body = signing.sample(name).body
    if name == "twilio":
        return body + b"&" + urlencode({"Note": note}).encode()
    data = json.loads(body)
    data["note"] = note
    return json.dumps(data, ensure_ascii=False).encode()


def flipped(data: bytes, at: int = -3) -> bytes:
    """`data` with one byte changed."""
    return data[:at] + bytes([data[at] ^ 1]) + data[at:][1:]


def ours(name: str, secret: str, headers: dict[str, str], body: bytes, when: int) -> str | None:
    return check(name, secret, "POST", URL, headers, body, when)


def test_every_preset_has_an_oracle_or_says_why_not() -> None:
    """Checked here, or elsewhere against their own libraries: the public-key senders in
    tests/handlers/test_pubkey_*.py, the classic schemes in tests/handlers/test_signatures.py."""
    elsewhere = set(signing.PUBLIC_KEY_SCHEMES) | CLASSIC
    assert set(VERIFIED_BY_LIBRARY) | set(WITHOUT_ORACLE) | elsewhere == set(PRESETS)
    assert not set(VERIFIED_BY_LIBRARY) & set(WITHOUT_ORACLE)


# (a) the library signs, our ingest accepts; one changed byte is refused.


def accepted_then_refused(name: str, secret: str, headers: dict, body: bytes, when: int) -> None:
    assert ours(name, secret, headers, body, when) is None
    assert ours(name, secret, headers, flipped(body), when) == INVALID_SIGNATURE


@EXAMPLES
@given(note=NOTES)
def test_twilio_request_validator_signs(note: str) -> None:
    body = delivery("twilio", note)
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    signature = RequestValidator("tw-auth-token").compute_signature(URL, params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    accepted_then_refused("twilio", "tw-auth-token", headers, body, 0)


@EXAMPLES
@given(note=NOTES)
def test_hubspot_signature_signs_v3(note: str) -> None:
    body, now = delivery("hubspot", note), int(time.time())
    millis = str(now * 1000)
    signature = HubSpot.get_signature(
        "hs-client-secret", body.decode(), "v3", http_uri=URL, timestamp=millis
    )
    headers = {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": millis}
    accepted_then_refused("hubspot", "hs-client-secret", headers, body, now)


@EXAMPLES
@given(note=NOTES)
def test_svix_signs_for_clerk(note: str) -> None:
    body, now = delivery("clerk", note), int(time.time())
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_" + signing.new_delivery_id("clerk")
    moment = datetime.fromtimestamp(now, UTC)
    signature = svix.webhooks.Webhook(secret).sign(msg_id, moment, body.decode())
    headers = {"svix-id": msg_id, "svix-timestamp": str(now), "svix-signature": signature}
    accepted_then_refused("clerk", secret, headers, body, now)
    wrong_id = {**headers, "svix-id": msg_id + "x"}
    assert ours("clerk", secret, wrong_id, body, now) == INVALID_SIGNATURE


@EXAMPLES
@given(reference=st.text(min_size=1, max_size=20), value=st.integers(0, 10**9))
def test_adyen_library_signs_the_notification_item(reference: str, value: int) -> None:
    key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
    amount: dict[str, object] = {"currency": "EUR", "value": value}
    item: dict[str, object] = {
        "amount": amount,
        "eventCode": "AUTHORISATION",
        "merchantAccountCode": "TestMerchant",
        "merchantReference": reference,
        "pspReference": "7914073381342284",
        "success": "true",
    }
    item["additionalData"] = {"hmacSignature": adyen.generate_notification_sig(item, key).decode()}
    body = json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": item}]})
    headers = {"Content-Type": "application/json"}
    assert ours("adyen", key, headers, body.encode(), 0) is None
    amount["value"] = value + 1
    changed = json.dumps(
        {"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}
    )
    assert ours("adyen", key, headers, changed.encode(), 0) == INVALID_SIGNATURE


@EXAMPLES
@given(note=NOTES)
def test_coinbase_commerce_library_signs(note: str) -> None:
    body, secret = delivery("coinbase-commerce", note), "cb-shared-secret"
    signature = Coinbase._compute_signature(body.decode(), secret)
    headers = {"X-CC-Webhook-Signature": signature}
    accepted_then_refused("coinbase-commerce", secret, headers, body, 0)


# (b) ops/signing.py signs, the library verifies.


def sent(name: str, secret: str, note: str, *, url: str = URL) -> tuple[dict[str, str], bytes]:
    """What `ops send` would send for a fresh delivery: headers and (maybe signed) body."""
    body = signing.sign_body(name, secret, delivery(name, note))
    headers = signing.sign(name, secret, body, delivery_id=signing.new_delivery_id(name), url=url)
    return headers, body


@EXAMPLES
@given(note=NOTES)
def test_twilio_request_validator_verifies_ops_signing(note: str) -> None:
    headers, body = sent("twilio", "tw-auth-token", note)
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    validator = RequestValidator("tw-auth-token")
    assert validator.validate(URL, params, headers["X-Twilio-Signature"])
    assert not validator.validate(
        URL, {**params, "Note": note + "x"}, headers["X-Twilio-Signature"]
    )


@EXAMPLES
@given(note=NOTES)
def test_square_helper_verifies_ops_signing(note: str) -> None:
    headers, body = sent("square", "sq-signature-key", note)
    signature = headers["x-square-hmacsha256-signature"]
    arguments = {"signature_header": signature, "signature_key": "sq-signature-key"}
    assert square_verify(request_body=body.decode(), notification_url=URL, **arguments)
    assert not square_verify(request_body=body.decode(), notification_url=URL + "x", **arguments)


@EXAMPLES
@given(note=NOTES)
def test_hubspot_signature_verifies_ops_signing(note: str) -> None:
    headers, body = sent("hubspot", "hs-client-secret", note)
    arguments = {
        "signature": headers["X-HubSpot-Signature-v3"],
        "client_secret": "hs-client-secret",
        "http_uri": URL,
        "signature_version": "v3",
        "timestamp": headers["X-HubSpot-Request-Timestamp"],
    }
    assert HubSpot.is_valid(request_body=body.decode(), **arguments)
    assert not HubSpot.is_valid(request_body=flipped(body).decode(), **arguments)


def svix_headers(name: str) -> tuple[str, str, str]:
    return (
        ("svix-id", "svix-timestamp", "svix-signature")
        if name in ("clerk", "resend")
        else (
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        )
    )


@EXAMPLES
@given(note=NOTES)
def test_svix_verifies_ops_signing_for_clerk(note: str) -> None:
    secret = VECTORS["clerk"][0]
    headers, body = sent("clerk", secret, note)
    svix.webhooks.Webhook(secret).verify(body, headers)
    with pytest.raises(svix.webhooks.WebhookVerificationError):
        svix.webhooks.Webhook(secret).verify(flipped(body), headers)


def openai_verifies(body: bytes, headers: dict[str, str], secret: str, tolerance: int) -> bool:
    client = openai.OpenAI(api_key="unused", webhook_secret=secret)
    try:
        client.webhooks.verify_signature(body, headers, tolerance=tolerance)
    except openai.InvalidWebhookSignatureError:
        return False
    return True


@EXAMPLES
@given(note=NOTES)
def test_openai_verifies_ops_signing(note: str) -> None:
    secret = VECTORS["openai"][0]
    headers, body = sent("openai", secret, note)
    assert openai_verifies(body, headers, secret, 300)
    assert not openai_verifies(flipped(body), headers, secret, 300)


def test_openai_verifies_the_research_vector() -> None:
    secret, _, _, headers, body, when, _ = VECTORS["openai"]
    age = int(time.time()) - when + 60
    assert openai_verifies(body, headers, secret, age)
    assert not openai_verifies(flipped(body), headers, secret, age)


def resend_verifies(body: bytes, headers: dict[str, str], secret: str) -> bool:
    names = svix_headers("resend")
    wanted = dict(zip(("id", "timestamp", "signature"), (headers[n] for n in names), strict=True))
    options = {"payload": body.decode(), "headers": wanted, "webhook_secret": secret}
    try:
        resend.Webhooks.verify(options)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


@EXAMPLES
@given(note=NOTES)
def test_resend_verifies_ops_signing(note: str) -> None:
    secret = VECTORS["resend"][0]
    headers, body = sent("resend", secret, note)
    assert resend_verifies(body, headers, secret)
    assert not resend_verifies(flipped(body), headers, secret)


def test_resend_verifies_the_research_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    secret, _, _, headers, body, when, _ = VECTORS["resend"]
    monkeypatch.setattr(time, "time", lambda: float(when))
    assert resend_verifies(body, headers, secret)
    assert not resend_verifies(flipped(body), headers, secret)


def replicate_verifies(body: bytes, headers: dict[str, str], secret: str, tolerance: int) -> bool:
    try:
        Replicate.validate(
            headers=headers,
            body=body.decode(),
            secret=WebhookSigningSecret(key=secret),
            tolerance=tolerance,
        )
    except Exception as error:  # the library's WebhookValidationError family
        assert type(error).__module__ == "replicate.webhook", error
        return False
    return True


@EXAMPLES
@given(note=NOTES)
def test_replicate_verifies_ops_signing(note: str) -> None:
    secret = VECTORS["replicate"][0]
    headers, body = sent("replicate", secret, note)
    assert replicate_verifies(body, headers, secret, 300)
    assert not replicate_verifies(flipped(body), headers, secret, 300)


def test_replicate_verifies_the_research_vector() -> None:
    secret, _, _, headers, body, when, _ = VECTORS["replicate"]
    age = int(time.time()) - when + 60
    assert replicate_verifies(body, headers, secret, age)
    assert not replicate_verifies(flipped(body), headers, secret, age)


@EXAMPLES
@given(reference=st.text(min_size=1, max_size=20))
def test_adyen_library_verifies_ops_signing(reference: str) -> None:
    key = VECTORS["adyen"][0]
    data = json.loads(signing.sample("adyen").body)
    data["notificationItems"][0]["NotificationRequestItem"]["merchantReference"] = reference
    body = signing.sign_body("adyen", key, json.dumps(data).encode())
    item = json.loads(body)["notificationItems"][0]["NotificationRequestItem"]
    assert adyen.is_valid_hmac_notification(item, key)
    item["merchantReference"] = reference + "x"
    assert not adyen.is_valid_hmac_notification(item, key)


def mailgun_verifies(body: bytes, secret: str, max_age: int = 900) -> bool:
    proof = json.loads(body)["signature"]
    return Mailgun.verify_webhook(
        secret, proof["token"], proof["timestamp"], proof["signature"], max_age_seconds=max_age
    )


@EXAMPLES
@given(note=NOTES)
def test_mailgun_security_guard_verifies_ops_signing(note: str) -> None:
    _, body = sent("mailgun", "key-mailgun-signing", note)
    assert mailgun_verifies(body, "key-mailgun-signing")
    data = json.loads(body)
    data["signature"]["token"] = flipped(data["signature"]["token"].encode()).decode()
    assert not mailgun_verifies(json.dumps(data).encode(), "key-mailgun-signing")


def test_mailgun_security_guard_verifies_the_research_vector() -> None:
    secret, _, _, _, body, when, _ = VECTORS["mailgun"]
    age = int(time.time()) - when + 60
    assert mailgun_verifies(body, secret, age)
    assert not mailgun_verifies(body, secret[:-1] + "1", age)


@EXAMPLES
@given(note=NOTES)
def test_coinbase_commerce_library_verifies_ops_signing(note: str) -> None:
    headers, body = sent("coinbase-commerce", "cb-shared-secret", note)
    signature = headers["X-CC-Webhook-Signature"]
    Coinbase.verify_sig_header(body.decode(), signature, "cb-shared-secret")
    with pytest.raises(CoinbaseError):
        Coinbase.verify_sig_header(flipped(body).decode(), signature, "cb-shared-secret")


def test_square_helper_verifies_the_research_vector() -> None:
    secret, _, url, headers, body, _, _ = VECTORS["square"]
    signature = headers["x-square-hmacsha256-signature"]
    arguments = {"signature_header": signature, "signature_key": secret, "notification_url": url}
    assert square_verify(request_body=body.decode(), **arguments)
    assert not square_verify(request_body=flipped(body).decode(), **arguments)


# The research vectors of the senders whose library signs, re-checked by that library.


def test_twilio_request_validator_verifies_the_research_vector() -> None:
    secret, _, url, headers, body, _, _ = VECTORS["twilio"]
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    validator = RequestValidator(secret)
    assert validator.validate(url, params, headers["X-Twilio-Signature"])
    assert not validator.validate(url + "&baz=3", params, headers["X-Twilio-Signature"])


def frozen_at(when: int) -> type[datetime]:
    """A `datetime` whose `now` is `when` (unix seconds): a library's clock at a vector's time."""

    class Then(datetime):
        @classmethod
        def now(cls, tz: object = None) -> "Then":
            return cls.fromtimestamp(when, UTC)

    return Then


def test_hubspot_signature_verifies_the_research_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    import hubspot.utils.signature

    secret, _, url, headers, body, _, _ = VECTORS["hubspot"]
    timestamp = headers["X-HubSpot-Request-Timestamp"]
    monkeypatch.setattr(hubspot.utils.signature, "datetime", frozen_at(int(timestamp) // 1000 + 30))
    arguments = {
        "signature": headers["X-HubSpot-Signature-v3"],
        "client_secret": secret,
        "http_uri": url,
        "signature_version": "v3",
        "timestamp": timestamp,
    }
    assert HubSpot.is_valid(request_body=body.decode(), **arguments)
    assert not HubSpot.is_valid(request_body=flipped(body).decode(), **arguments)


def test_svix_verifies_the_clerk_research_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    import standardwebhooks.webhooks

    secret, _, _, headers, body, when, _ = VECTORS["clerk"]
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", frozen_at(when))
    svix.webhooks.Webhook(secret).verify(body, headers)
    with pytest.raises(svix.webhooks.WebhookVerificationError):
        svix.webhooks.Webhook(secret).verify(flipped(body), headers)


def test_coinbase_commerce_library_verifies_the_research_vector() -> None:
    secret, _, _, headers, body, _, _ = VECTORS["coinbase-commerce"]
    signature = headers["X-CC-Webhook-Signature"]
    Coinbase.verify_sig_header(body.decode(), signature, secret)
    with pytest.raises(CoinbaseError):
        Coinbase.verify_sig_header(flipped(body).decode(), signature, secret)


def test_adyen_library_verifies_the_research_vector() -> None:
    key, _, _, _, body, _, _ = VECTORS["adyen"]
    item = json.loads(body)["notificationItems"][0]["NotificationRequestItem"]
    assert adyen.is_valid_hmac_notification(item, key)
    item["success"] = "false"
    assert not adyen.is_valid_hmac_notification(item, key)
