"""The front door for handshakes and the URL as called: GET only where the sender's scheme has a
GET handshake, handshakes answered and never queued, and a signed handshake (Zoom, Twitch)
verified before it is answered (the Zoom answer is an HMAC under the secret: answering an
unsigned one would sign any text for anybody)."""

import hashlib
import hmac
import json
from typing import Any

import pytest

from tests.handlers.test_senders import VECTORS
from webhooks import request, schemes
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.receiver import Receiver
from webhooks.secrets import SecretsCache

NOW = 1_795_885_200
SECRET = "hook-secret"
PROVIDERS = {
    "gh": {"scheme": "github"},
    "okta": {"scheme": "okta"},
    "meta-app": {"scheme": "meta", "verify_token": "meatyhamhock"},
    "zoom-app": {"scheme": "zoom"},
    "twitch": {"scheme": "twitch"},
    "graph": {"scheme": "microsoft-graph"},
    "shop": {"scheme": "woocommerce"},
    "intercom": {"scheme": "intercom"},
    "xero": {"scheme": "xero"},
    "adyen": {"scheme": "adyen"},
    "lemon": {"scheme": "lemonsqueezy"},
    "meta": {
        "scheme": "hmac",
        "signature_header": "x-hub-signature-256",
        "signature_prefix": "sha256=",
        "handshake": "meta",
        "verify_token": "my-verify-token",
    },
    "zoom": {
        "scheme": "hmac",
        "signature_header": "x-zm-signature",
        "signature_prefix": "v0=",
        "timestamp_header": "x-zm-request-timestamp",
        "signed_content": "v0:{timestamp}:{body}",
        "handshake": "zoom",
    },
    "drop": {"scheme": "hmac", "signature_header": "x-dropbox-signature", "handshake": "dropbox"},
}


class Fakes:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.secret = SECRET

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        return {"SecretString": json.dumps({"secrets": [self.secret]})}

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.sent.append(MessageBody)


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


def receiver(fakes: Fakes, now: int = NOW) -> Receiver:
    providers = {name: {**p, "secret_arn": f"arn:{name}"} for name, p in PROVIDERS.items()}
    settings = IngestHandlerSettings.from_environ(
        {
            "QUEUE_URL": "https://q",
            "ARCHIVE_BUCKET": "b",
            "PROVIDERS": json.dumps(providers),
            "ENVIRONMENT": "test",
        }
    )
    return Receiver(
        settings,
        sqs=lambda: fakes,
        s3=lambda: fakes,
        secrets=SecretsCache(lambda: fakes, 300),
        clock=lambda: now,
    )


def event(
    provider: str,
    method: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> dict[str, Any]:
    made: dict[str, Any] = {
        "rawPath": f"/webhooks/{provider}",
        "rawQueryString": query,
        "headers": headers or {},
        "pathParameters": {"provider": provider},
        "requestContext": {
            "domainName": "hooks.example.com",
            "http": {"method": method, "sourceIp": "203.0.113.9"},
            "requestId": "r-1",
        },
    }
    if body:
        made["body"] = body.decode()
    return made


def test_get_is_refused_for_a_provider_without_a_get_handshake(fakes: Fakes) -> None:
    result = receiver(fakes).handle(event("gh", "GET"))
    assert (result["statusCode"], result["headers"]["allow"]) == (405, "POST")
    result = receiver(fakes).handle(event("zoom", "GET"))  # Zoom's handshake is a POST
    assert (result["statusCode"], result["headers"]["allow"]) == (405, "POST")


def test_meta_echoes_the_challenge_only_with_the_verify_token(fakes: Fakes) -> None:
    query = "hub.mode=subscribe&hub.verify_token=my-verify-token&hub.challenge=1158201444"
    result = receiver(fakes).handle(event("meta", "GET", query=query))
    assert (result["statusCode"], result["body"]) == (200, "1158201444")
    assert result["headers"]["content-type"].startswith("text/plain")
    wrong = query.replace("my-verify-token", "my-verify-tokeN")
    assert receiver(fakes).handle(event("meta", "GET", query=wrong))["statusCode"] == 403
    assert receiver(fakes).handle(event("meta", "GET"))["statusCode"] == 400
    assert fakes.sent == []  # never stored


def test_a_challenge_is_bounded(fakes: Fakes) -> None:
    query = "challenge=" + "x" * 1025
    assert receiver(fakes).handle(event("drop", "GET", query=query))["statusCode"] == 400
    result = receiver(fakes).handle(event("drop", "GET", query="challenge=abc"))
    assert (result["statusCode"], result["body"]) == (200, "abc")
    assert result["headers"]["x-content-type-options"] == "nosniff"


def test_okta_verification_needs_the_token(fakes: Fakes) -> None:
    headers = {"x-okta-verification-challenge": "Me_rShK8", "authorization": SECRET}
    result = receiver(fakes).handle(event("okta", "GET", headers=headers))
    assert (result["statusCode"], json.loads(result["body"])) == (200, {"verification": "Me_rShK8"})
    headers["authorization"] = SECRET + "x"
    assert receiver(fakes).handle(event("okta", "GET", headers=headers))["statusCode"] == 401
    assert fakes.sent == []


def test_an_okta_delivery_is_still_queued(fakes: Fakes) -> None:
    body = b'{"eventType":"com.okta.event_hook","eventId":"e-1","data":{"events":[]}}'
    result = receiver(fakes).handle(
        event("okta", "POST", headers={"authorization": SECRET}, body=body)
    )
    assert result["statusCode"] == 202
    assert json.loads(result["body"]) == {"delivery_id": "e-1"}
    assert len(fakes.sent) == 1


def zoom_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), b"v0:%d:" % NOW + body, hashlib.sha256).hexdigest()
    return {"x-zm-signature": "v0=" + signature, "x-zm-request-timestamp": str(NOW)}


def test_zoom_url_validation_is_answered_only_when_signed(fakes: Fakes) -> None:
    body = b'{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event":"endpoint.url_validation"}'
    result = receiver(fakes).handle(event("zoom", "POST", headers=zoom_headers(body), body=body))
    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": expected,
    }
    forged = receiver(fakes).handle(
        event("zoom", "POST", headers=zoom_headers(body, "other"), body=body)
    )
    assert forged["statusCode"] == 401  # never an HMAC of a stranger's text
    assert fakes.sent == []


@pytest.mark.parametrize(
    ("context", "headers", "query", "url"),
    [
        (
            {"domainName": "hooks.example.com"},
            {},
            "a=1&b=%2B",
            "https://hooks.example.com/webhooks/x?a=1&b=%2B",
        ),
        (
            {"domainName": "abc.lambda-url.eu-west-1.on.aws"},
            {"host": "abc.lambda-url.eu-west-1.on.aws"},
            "",
            "https://abc.lambda-url.eu-west-1.on.aws/webhooks/x",
        ),
        (
            {},
            {"host": "127.0.0.1:8080", "x-forwarded-proto": "http"},
            "",
            "http://127.0.0.1:8080/webhooks/x",
        ),
    ],
)
def test_the_url_is_the_one_the_sender_called(
    context: dict[str, str], headers: dict[str, str], query: str, url: str
) -> None:
    made = {
        "rawPath": "/webhooks/x",
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {**context, "http": {"method": "post"}},
    }
    parsed = request.parse(made)
    assert (parsed.headers.url, parsed.headers.query, parsed.headers.method) == (url, query, "POST")


def vector(name: str) -> tuple[str, dict[str, str], bytes, int]:
    secret, _, _, headers, body, when, _ = VECTORS[name]
    return secret, {k.lower(): v for k, v in headers.items()}, body, when


def test_meta_answers_its_documented_verification_request(fakes: Fakes) -> None:
    query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"
    result = receiver(fakes).handle(event("meta-app", "GET", query=query))
    assert (result["statusCode"], result["body"]) == (200, "1158201444")
    wrong = query.replace("meatyhamhock", "meatyhamhocK")
    assert receiver(fakes).handle(event("meta-app", "GET", query=wrong))["statusCode"] == 403


def test_zoom_answers_its_documented_url_validation(fakes: Fakes) -> None:
    fakes.secret = "zoom_secret_token_example_123"
    body = (
        b'{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1765000000000,'
        b'"event":"endpoint.url_validation"}'
    )
    headers = {
        "x-zm-signature": "v0=054b6da3adc0c8c1128d7e3e6b7b84f8ad9f74588e79cbf624726b87f7122090",
        "x-zm-request-timestamp": "1765000000",
    }
    result = receiver(fakes, 1765000000).handle(
        event("zoom-app", "POST", headers=headers, body=body)
    )
    assert (result["statusCode"], json.loads(result["body"])) == (
        200,
        {
            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
            "encryptedToken": "4c1391047fbba207efb1f1b580908c7b33622e5fff24dd266f4614a2067d82eb",
        },
    )
    assert fakes.sent == []


def test_twitch_answers_its_signed_verification_and_refuses_an_unsigned_one(fakes: Fakes) -> None:
    fakes.secret = "keepItSecretKeepItSafe"
    body = (
        b'{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-'
        b'49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":'
        b'"channel.follow","version":"2","cost":0,"condition":{"broadcaster_user_id":"1337",'
        b'"moderator_user_id":"1337"},"transport":{"method":"webhook","callback":'
        b'"https://example.com/webhooks/callback"},"created_at":"2026-12-06T02:59:00.000000000Z"}}'
    )
    headers = {
        "twitch-eventsub-message-id": "f1c2a387-0000-4000-8000-000000000001",
        "twitch-eventsub-message-timestamp": "2026-12-06T03:00:00.123456789Z",
        "twitch-eventsub-message-type": "webhook_callback_verification",
        "twitch-eventsub-message-signature": "sha256=d7a5d5d4a294ccb621be16a5de5074582237af61"
        "6839e1783815b18a36625c85",
    }
    result = receiver(fakes).handle(event("twitch", "POST", headers=headers, body=body))
    assert (result["statusCode"], result["body"]) == (200, "pogchamp-kappa-360noscope-vohiyo")
    forged = {**headers, "twitch-eventsub-message-signature": "sha256=" + "0" * 64}
    assert (
        receiver(fakes).handle(event("twitch", "POST", headers=forged, body=body))["statusCode"]
        == 401
    )
    assert fakes.sent == []


def test_graph_echoes_the_decoded_validation_token(fakes: Fakes) -> None:
    query = (
        "validationToken=Validation%3A+Testing+client+application+reachability+for+"
        "subscription+Request-Id%3A+522a8e7e-096a-494c-aaf1-ac0dcfca45b7"
    )
    result = receiver(fakes).handle(event("graph", "POST", query=query))
    assert result["statusCode"] == 200
    assert result["body"] == (
        "Validation: Testing client application reachability for subscription "
        "Request-Id: 522a8e7e-096a-494c-aaf1-ac0dcfca45b7"
    )
    assert result["headers"]["content-type"].startswith("text/plain")


def test_woocommerce_ping_gets_200_and_is_not_stored(fakes: Fakes) -> None:
    result = receiver(fakes).handle(event("shop", "POST", body=b"webhook_id=3"))
    assert (result["statusCode"], result["body"]) == (200, "")
    forged = receiver(fakes).handle(event("shop", "POST", body=b'{"id": 1}'))
    assert forged["statusCode"] == 401  # anything else still needs its signature
    assert fakes.sent == []


def test_intercom_head_is_answered_and_get_is_not(fakes: Fakes) -> None:
    assert receiver(fakes).handle(event("intercom", "HEAD"))["statusCode"] == 200
    result = receiver(fakes).handle(event("intercom", "GET"))
    assert (result["statusCode"], result["headers"]["allow"]) == (405, "HEAD, POST")


@pytest.mark.parametrize(
    ("provider", "name", "status", "body"),
    [
        ("xero", "xero", 200, ""),  # intent to receive: 200 and no body
        ("adyen", "adyen", 200, "[accepted]"),
    ],
)
def test_senders_with_an_answer_contract_get_it(
    fakes: Fakes, provider: str, name: str, status: int, body: str
) -> None:
    secret, headers, sent, when = vector(name)
    fakes.secret = secret
    result = receiver(fakes, when or NOW).handle(
        event(provider, "POST", headers=headers, body=sent)
    )
    assert (result["statusCode"], result["body"]) == (status, body)
    assert len(fakes.sent) == 1
    other = Fakes()
    other.secret = schemes.get(name).new_development_secret()
    wrong = receiver(other, when or NOW).handle(event(provider, "POST", headers=headers, body=sent))
    assert wrong["statusCode"] == 401  # Xero's contract: 401 for a wrong signature


def test_lemonsqueezy_gets_200_with_the_delivery_id(fakes: Fakes) -> None:
    secret, headers, body, _ = vector("lemonsqueezy")
    fakes.secret = secret
    result = receiver(fakes).handle(event("lemon", "POST", headers=headers, body=body))
    assert result["statusCode"] == 200  # only 200 counts as delivered for Lemon Squeezy
    assert "delivery_id" in json.loads(result["body"])
