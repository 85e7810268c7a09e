"""The front door for handshakes and the URL as called: GET only where the sender's scheme has a
GET handshake, handshakes answered and never queued, and a signed handshake (Zoom, Twitch)
verified before it is answered (the Zoom answer is an HMAC under the secret: answering an
unsigned one would sign any text for anybody)."""

import hashlib
import hmac
import json
from typing import Any

import pytest
from webhooks import request
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.receiver import Receiver
from webhooks.secrets import SecretsCache

NOW = 1_795_885_200
SECRET = "hook-secret"
PROVIDERS = {
    "gh": {"scheme": "github"},
    "okta": {"scheme": "okta"},
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

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        return {"SecretString": json.dumps({"secrets": [SECRET]})}

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.sent.append(MessageBody)


@pytest.fixture
def fakes() -> Fakes:
    return Fakes()


def receiver(fakes: Fakes) -> Receiver:
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
        clock=lambda: NOW,
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
