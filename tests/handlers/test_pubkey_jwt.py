"""google-pubsub and plaid: JWTs made by `google-auth`'s signers (not by us), checked against
`google-auth`'s own verifiers, and attacked: algorithm confusion, claims, keys, floods."""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from google.auth import crypt
from google.auth import jwt as google_jwt
from google.oauth2 import id_token

from tests.handlers.pubkey import Ingest
from tests.handlers.sns_sender import Response, certificate
from webhooks import keys
from webhooks.environ import SettingsError
from webhooks.providers import parse

CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
PLAID_URL = "https://production.plaid.com/webhook_verification_key/get"
AUDIENCE = "https://hooks.example.com/webhooks/pubsub"
ACCOUNT = "push@project.iam.gserviceaccount.com"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
PUSH = json.dumps(
    {
        "message": {"data": "aGk=", "messageId": "2070443601311540", "publishTime": "x"},
        "subscription": "projects/p/subscriptions/s",
    }
).encode()
PLAID_BODY = b'{"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE"}'
PLAID_SECRET = "client-1:secret-1"


def pem(key: Any) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def google_token(now: int, **claims: Any) -> str:
    payload = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "email": ACCOUNT,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
        "sub": "1",
        **claims,
    }
    signer = crypt.RSASigner.from_string(pem(RSA_KEY), key_id="google-1")
    return google_jwt.encode(signer, payload).decode()


def plaid_token(now: int, body: bytes = PLAID_BODY, kid: str = "plaid-1", **claims: Any) -> str:
    payload = {"iat": now, "request_body_sha256": hashlib.sha256(body).hexdigest(), **claims}
    signer = crypt.ES256Signer.from_string(pem(EC_KEY), key_id=kid)
    return google_jwt.encode(signer, payload).decode()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk(kid: str, expired_at: int | None = None) -> dict[str, Any]:
    numbers = EC_KEY.public_key().public_numbers()
    return {
        "kid": kid,
        "kty": "EC",
        "crv": "P-256",
        "alg": "ES256",
        "use": "sig",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "created_at": 1,
        "expired_at": expired_at,
    }


class Senders:
    """Google's certificates and Plaid's key endpoint, recording every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any] | None]] = []
        self.plaid_keys = {"plaid-1": jwk("plaid-1"), "old": jwk("old", expired_at=5)}
        self.now = 1000.0

    def __call__(self) -> "Senders":
        return self

    def open(self, request: Any, timeout: float) -> Response:
        sent = json.loads(request.data) if request.data else None
        self.requests.append((request.full_url, sent))
        if request.full_url == CERTS_URL:
            return Response(json.dumps({"google-1": certificate(RSA_KEY).decode()}).encode())
        if request.full_url == PLAID_URL and sent is not None:
            found = self.plaid_keys.get(sent["key_id"])
            if found is not None and sent["client_id"] == "client-1":
                return Response(json.dumps({"key": found, "request_id": "r"}).encode())
        raise urllib.error.HTTPError(request.full_url, 400, "bad", {}, None)  # type: ignore[arg-type]


@pytest.fixture
def senders(monkeypatch: pytest.MonkeyPatch) -> Iterator[Senders]:
    served = Senders()
    monkeypatch.setattr(keys, "CACHE", keys.KeyCache(opener=served, clock=lambda: served.now))
    yield served


def ingest(now: int) -> Ingest:
    stack = Ingest(
        {
            "pubsub": {
                "scheme": "google-pubsub",
                "audience": AUDIENCE,
                "service_account_email": ACCOUNT,
            },
            "plaid": {"scheme": "plaid"},
        },
        secret=PLAID_SECRET,
    )
    stack.now = float(now)
    return stack


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---- google-auth's verifiers agree ----


class GoogleRequest:
    """google-auth's transport: answers the certificate URL with our test certificate."""

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Any:
        class Answer:
            status = 200
            data = json.dumps({"google-1": certificate(RSA_KEY).decode()}).encode()
            headers: ClassVar[dict[str, str]] = {}

        return Answer()


@pytest.mark.parametrize(
    "claims",
    [{}, {"aud": "https://elsewhere.example/"}, {"iat": -7200, "exp": -3600}],
    ids=["valid", "wrong-audience", "expired"],
)
def test_google_pubsub_agrees_with_google_auth_verify_token(
    senders: Senders, claims: dict[str, int | str]
) -> None:
    now = int(time.time())
    shifted = {k: now + v if isinstance(v, int) else v for k, v in claims.items()}
    token = google_token(now, **shifted)
    try:
        id_token.verify_token(
            token,
            GoogleRequest(),  # type: ignore[arg-type]  # google-auth's transport protocol
            audience=AUDIENCE,
            certs_url=CERTS_URL,
        )
        official = True
    except ValueError:
        official = False
    status, _ = ingest(now).post("pubsub", PUSH, bearer(token))
    assert (status == 202) is official is (not claims)


@pytest.mark.parametrize("tamper", [False, True])
def test_plaid_agrees_with_google_auth_es256_verifier(senders: Senders, tamper: bool) -> None:
    """Plaid publishes no verifier; google-auth's ES256 verifier checks the same signature."""
    now = int(time.time())
    token = plaid_token(now)
    head, payload, signature = token.split(".")
    if tamper:
        claims = {"iat": now, "request_body_sha256": hashlib.sha256(b"other").hexdigest()}
        payload = b64url(json.dumps(claims).encode())
    verifier = crypt.ES256Verifier.from_string(public_pem(EC_KEY))
    raw = base64.urlsafe_b64decode(signature + "==")
    official = verifier.verify(f"{head}.{payload}".encode(), raw)
    sent = f"{head}.{payload}.{signature}"
    status, _ = ingest(now).post("plaid", PLAID_BODY, {"Plaid-Verification": sent})
    assert (status == 202) is official is (not tamper)


# ---- end to end ----

NOW = 1_795_885_200


def test_a_push_is_stored_by_content_and_the_certificates_fetched_once(senders: Senders) -> None:
    stack = ingest(NOW)
    for _ in range(2):
        assert stack.post("pubsub", PUSH, bearer(google_token(NOW)))[0] == 202
    assert [m["delivery_id"] for m in stack.queue.sent] == ["2070443601311540"] * 2
    assert stack.queue.sent[0]["dedupe"] == "content"
    assert senders.requests == [(CERTS_URL, None)]


def test_a_plaid_webhook_fetches_its_key_with_the_api_credentials(senders: Senders) -> None:
    stack = ingest(NOW)
    status, _ = stack.post("plaid", PLAID_BODY, {"Plaid-Verification": plaid_token(NOW)})
    assert status == 202
    assert stack.queue.sent[0]["event_type"] == "TRANSACTIONS.SYNC_UPDATES_AVAILABLE"
    assert senders.requests == [
        (PLAID_URL, {"client_id": "client-1", "secret": "secret-1", "key_id": "plaid-1"})
    ]


# ---- attacks: refused, nothing stored ----


def forged(header: dict[str, Any], claims: dict[str, Any], key: bytes = b"") -> str:
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    signature = hmac.digest(key, f"{head}.{body}".encode(), "sha256") if key else b""
    return f"{head}.{body}.{b64url(signature)}"


def public_pem(key: Any) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


GOOD_CLAIMS = {
    "iss": "https://accounts.google.com",
    "aud": AUDIENCE,
    "email": ACCOUNT,
    "email_verified": True,
    "iat": NOW,
    "exp": NOW + 3600,
}


@pytest.mark.parametrize(
    ("provider", "token"),
    [
        ("pubsub", forged({"alg": "none", "kid": "google-1"}, GOOD_CLAIMS)),
        ("pubsub", forged({"alg": "HS256", "kid": "google-1"}, GOOD_CLAIMS, public_pem(RSA_KEY))),
        ("pubsub", forged({"alg": "ES256", "kid": "google-1"}, GOOD_CLAIMS)),
        (
            "plaid",
            forged(
                {"alg": "HS256", "kid": "plaid-1"},
                {"iat": NOW, "request_body_sha256": hashlib.sha256(PLAID_BODY).hexdigest()},
                public_pem(EC_KEY),
            ),
        ),
        ("plaid", forged({"alg": "none", "kid": "plaid-1"}, {"iat": NOW})),
    ],
    ids=["none", "hs256-public-key", "other-alg", "plaid-hs256-public-key", "plaid-none"],
)
def test_algorithm_confusion_is_refused_before_any_fetch(
    senders: Senders, provider: str, token: str
) -> None:
    stack = ingest(NOW)
    headers = bearer(token) if provider == "pubsub" else {"Plaid-Verification": token}
    body = PUSH if provider == "pubsub" else PLAID_BODY
    assert stack.post(provider, body, headers) == (401, '{"error": "unexpected algorithm"}')
    assert senders.requests == []
    assert stack.queue.sent == []


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "https://elsewhere.example/"}, "wrong audience"),
        ({"exp": NOW}, "expired token"),
        ({"iat": NOW + 3600, "exp": NOW + 7200}, "expired token"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
        ({"email": "other@project.iam.gserviceaccount.com"}, "wrong service account"),
        ({"email_verified": False}, "wrong service account"),
        ({"exp": "later"}, "malformed signature"),
    ],
)
def test_a_wrong_claim_is_refused(senders: Senders, claims: dict[str, Any], reason: str) -> None:
    stack = ingest(NOW)
    status, body = stack.post("pubsub", PUSH, bearer(google_token(NOW, **claims)))
    assert (status, json.loads(body)) == (401, {"error": reason})
    assert stack.queue.sent == []


def test_a_changed_token_byte_is_refused(senders: Senders) -> None:
    token = google_token(NOW)
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    other = b64url(json.dumps({**claims, "aud": AUDIENCE + "x"}).encode())
    for changed in (
        f"{head}.{other}.{signature}",
        token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
    ):
        assert ingest(NOW).post("pubsub", PUSH, bearer(changed))[0] == 401


def test_a_token_spelled_with_characters_outside_base64url_is_refused(senders: Senders) -> None:
    """Lenient decoders skip them; here a token has one spelling."""
    head, payload, signature = google_token(NOW).split(".")
    for spelled in (f"{head}.{payload}.{signature}!", f"{head}.{payload}.{signature}=="):
        assert ingest(NOW).post("pubsub", PUSH, bearer(spelled)) == (
            401,
            '{"error": "malformed signature"}',
        )


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing signature"),
        ({"Authorization": "Basic abc"}, "malformed signature"),
        ({"Authorization": "Bearer a.b"}, "malformed signature"),
        ({"Authorization": "Bearer " + "a." * 5000}, "malformed signature"),
    ],
)
def test_a_missing_or_malformed_token_is_refused(
    senders: Senders, headers: dict[str, str], reason: str
) -> None:
    assert ingest(NOW).post("pubsub", PUSH, headers) == (401, json.dumps({"error": reason}))
    assert senders.requests == []


def test_a_key_id_flood_costs_one_fetch_per_interval(senders: Senders) -> None:
    stack = ingest(NOW)
    for n in range(20):
        token = plaid_token(NOW, kid=f"flood-{n}")
        status, _ = stack.post("plaid", PLAID_BODY, {"Plaid-Verification": token})
        assert status in (401, 503)
    assert len(senders.requests) == 1
    assert stack.queue.sent == []


def test_an_unknown_google_key_id_refetches_at_most_once_per_interval(senders: Senders) -> None:
    stack = ingest(NOW)
    signer = crypt.RSASigner.from_string(pem(RSA_KEY), key_id="unknown")
    token = google_jwt.encode(signer, GOOD_CLAIMS).decode()
    for _ in range(5):
        assert stack.post("pubsub", PUSH, bearer(token)) == (401, '{"error": "unknown key id"}')
    assert len(senders.requests) == 1


def test_plaid_body_change_stale_token_and_expired_key_are_refused(senders: Senders) -> None:
    stack = ingest(NOW)
    cases = [
        (PLAID_BODY + b" ", plaid_token(NOW), "body does not match the token"),
        (PLAID_BODY, plaid_token(NOW - 301), "stale token"),
    ]
    for body, token, reason in cases:
        assert stack.post("plaid", body, {"Plaid-Verification": token}) == (
            401,
            json.dumps({"error": reason}),
        )
    senders.now += keys.MISS_INTERVAL_SECONDS
    old = plaid_token(NOW, kid="old")
    assert stack.post("plaid", PLAID_BODY, {"Plaid-Verification": old})[1] == json.dumps(
        {"error": "unknown key id"}
    )
    assert stack.queue.sent == []


def test_a_key_fetch_failure_is_a_503(senders: Senders, monkeypatch: pytest.MonkeyPatch) -> None:
    stack = Ingest({"plaid": {"scheme": "plaid"}}, secret="client-2:wrong")
    stack.now = float(NOW)
    status, body = stack.post("plaid", PLAID_BODY, {"Plaid-Verification": plaid_token(NOW)})
    assert (status, body) == (503, '{"error": "sender keys unavailable"}')
    assert stack.queue.sent == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"scheme": "google-pubsub"}, "audience = None is not allowed; allowed: required"),
        ({"scheme": "google-pubsub", "audience": AUDIENCE}, "service_account_email = None"),
        ({"scheme": "plaid", "environment": "development"}, "one of production, sandbox"),
    ],
)
def test_configuration_errors_name_the_option(options: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        parse(json.dumps({"p": {**options, "secret_arn": "a"}}))


def test_a_plaid_secret_must_hold_both_credentials() -> None:
    from webhooks import schemes

    with pytest.raises(ValueError, match="client_id"):
        schemes.get("plaid").validate_secret("only-a-secret")
    schemes.get("plaid").validate_secret(PLAID_SECRET)
