"""The sender side of the public-key senders: Discord, Telnyx, SendGrid, AWS SNS, Google Pub/Sub
push and Plaid, signing with test keys generated here (`SenderKeys`).

Written from each sender's documentation, independently of the receiver's scheme modules, like
`ops.signing`. Nobody but the sender holds its private key, so these sign only for the local
stack: it keeps one set of test keys (`.local/sender-keys.json`, mode 0600), configures the
matching public keys, certificate and key endpoints for its providers (`provider_options`) and
serves them itself (`local/keyserver.py`, the documents of `documents`), so the ingest function
runs the real fetch-and-verify path.
"""

import base64
import datetime
import hashlib
import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from ops.signing import HANDSHAKES, HandshakeStep
from ops.signing import PUBLIC_KEY_SCHEMES as SCHEMES

EVENT_TYPES = {
    "discord": ("2", "3"),
    "telnyx": ("message.received", "call.initiated"),
    "sendgrid": ("",),
    "aws-sns": ("order.created",),
    "google-pubsub": ("",),
    "plaid": ("TRANSACTIONS.SYNC_UPDATES_AVAILABLE", "ITEM.ERROR"),
}
"""What each sender's sample carries as its event (the first is the default)."""
CERTIFICATE_PATH = "/SimpleNotificationService-local.pem"
GOOGLE_CERTS_PATH = "/oauth2/v1/certs"
PLAID_KEY_PATH = "/webhook_verification_key/get"
GOOGLE_KEY_ID = "local-google"
PLAID_KEY_ID = "local-plaid"
LOCAL_AUDIENCE = "webhooks-local"
LOCAL_ACCOUNT = "push@webhooks-local.iam.gserviceaccount.com"
LOCAL_ACCOUNT_ID = "000000000000"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass(frozen=True)
class SenderKeys:
    """The test keys every public-key sender of the local stack signs with."""

    ed25519: ed25519.Ed25519PrivateKey
    p256: ec.EllipticCurvePrivateKey
    rsa: rsa.RSAPrivateKey
    certificate: bytes
    """A self-signed certificate of `rsa` (SNS's signing certificate, Google's key)."""

    @classmethod
    def generate(cls) -> "SenderKeys":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhooks local sender")])
        start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )
        return cls(
            ed25519.Ed25519PrivateKey.generate(),
            ec.generate_private_key(ec.SECP256R1()),
            key,
            certificate.public_bytes(serialization.Encoding.PEM),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "ed25519": self.ed25519.private_bytes_raw().hex(),
                "p256": _pem(self.p256),
                "rsa": _pem(self.rsa),
                "certificate": self.certificate.decode(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> "SenderKeys":
        data = json.loads(text)
        p256 = serialization.load_pem_private_key(data["p256"].encode(), None)
        key = serialization.load_pem_private_key(data["rsa"].encode(), None)
        if not isinstance(p256, ec.EllipticCurvePrivateKey) or not isinstance(
            key, rsa.RSAPrivateKey
        ):
            raise ValueError("sender keys of the wrong types")
        return cls(
            ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(data["ed25519"])),
            p256,
            key,
            data["certificate"].encode(),
        )

    @classmethod
    def load_or_create(cls, path: Path) -> "SenderKeys":
        """The keys kept at `path`, made (mode 0600) the first time."""
        if path.exists():
            return cls.from_json(path.read_text())
        keys = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(keys.to_json())
        return keys


def topic_arn(region: str) -> str:
    return f"arn:aws:sns:{region}:{LOCAL_ACCOUNT_ID}:webhooks-local"


def provider_options(scheme: str, keys: SenderKeys, origin: str, region: str) -> dict[str, str]:
    """The provider options (stack config, camelCase) that make `scheme`'s provider accept
    what these keys sign, with its keys fetched from `origin` (the local key server)."""
    public = keys.ed25519.public_key().public_bytes_raw()
    if scheme == "discord":
        return {"publicKey": public.hex()}
    if scheme == "telnyx":
        return {"publicKey": base64.b64encode(public).decode()}
    if scheme == "sendgrid":
        der = keys.p256.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"publicKey": base64.b64encode(der).decode()}
    if scheme == "aws-sns":
        return {"topicArns": topic_arn(region), "keyOrigin": origin}
    if scheme == "google-pubsub":
        return {
            "audience": LOCAL_AUDIENCE,
            "serviceAccountEmail": LOCAL_ACCOUNT,
            "keyOrigin": origin,
        }
    if scheme == "plaid":
        return {"keyOrigin": origin}
    raise ValueError(f"unknown scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")


def documents(keys: SenderKeys) -> dict[str, bytes]:
    """What the local key server answers to a GET, by path."""
    return {
        CERTIFICATE_PATH: keys.certificate,
        GOOGLE_CERTS_PATH: json.dumps({GOOGLE_KEY_ID: keys.certificate.decode()}).encode(),
    }


def plaid_key(keys: SenderKeys, key_id: str) -> dict[str, Any] | None:
    """Plaid's `/webhook_verification_key/get` answer for `key_id` (None: unknown id)."""
    if key_id != PLAID_KEY_ID:
        return None
    numbers = keys.p256.public_key().public_numbers()
    return {
        "key": {
            "alg": "ES256",
            "crv": "P-256",
            "kid": PLAID_KEY_ID,
            "kty": "EC",
            "use": "sig",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
            "created_at": 1,
            "expired_at": None,
        },
        "request_id": uuid.uuid4().hex,
    }


def sample(scheme: str, delivery_id: str, event_type: str, timestamp: int) -> bytes:
    """A body shaped like the sender's (for SNS, the message it carries), whose event type is
    `event_type` as the receiver reads it (`EVENT_TYPES`: Discord's interaction type, Plaid's
    `webhook_type.webhook_code`; SendGrid's batch has none)."""
    if scheme == "discord":
        interaction = int(event_type) if event_type.isdigit() else 2  # an application command
        command = {"name": "hello"}
        data = {"id": delivery_id, "type": interaction, "application_id": "1", "data": command}
    elif scheme == "telnyx":
        data = {"data": {"id": delivery_id, "event_type": event_type, "record_type": "event"}}
    elif scheme == "sendgrid":
        return json.dumps(
            [{"email": "a@example.com", "event": "delivered", "sg_event_id": delivery_id}]
        ).encode()
    elif scheme == "aws-sns":
        data = {"order": delivery_id}
    elif scheme == "google-pubsub":
        message = {"data": "aGk=", "messageId": delivery_id, "publishTime": str(timestamp)}
        data = {"message": message, "subscription": "projects/local/subscriptions/webhooks"}
    elif scheme == "plaid":
        webhook_type, _, code = event_type.partition(".")
        data = {"webhook_type": webhook_type, "webhook_code": code, "item_id": delivery_id}
    else:
        raise ValueError(f"unknown scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    return json.dumps(data).encode()


def new_delivery_id(scheme: str) -> str:
    if scheme == "discord":
        return str(uuid.uuid4().int >> 66)  # a snowflake-sized number
    return str(uuid.uuid4())


def _jwt(header: Mapping[str, str], claims: Mapping[str, Any], keys: SenderKeys) -> str:
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    if header["alg"] == "RS256":
        signature = keys.rsa.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    else:
        r, s = decode_dss_signature(
            keys.p256.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        )
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input}.{_b64url(signature)}"


def sns_message(
    keys: SenderKeys,
    kind: str,
    text: str,
    *,
    message_id: str,
    origin: str,
    region: str,
    timestamp: int,
    subject: str = "",
    token: str = "",
) -> bytes:
    """An SNS message as SNS posts it, signed (SignatureVersion 2) over its documented string."""
    topic = topic_arn(region)
    stamp = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    message: dict[str, str] = {
        "Type": kind,
        "MessageId": message_id,
        "TopicArn": topic,
        "Message": text,
        "Timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "SignatureVersion": "2",
        "SigningCertURL": origin + CERTIFICATE_PATH,
    }
    if kind == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        if subject:
            message["Subject"] = subject
    else:
        message["Token"] = token
        message["SubscribeURL"] = (
            f"{origin}/?Action=ConfirmSubscription&TopicArn={quote(topic, safe=':')}&Token={token}"
        )
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    signed = "".join(f"{name}\n{message[name]}\n" for name in names if name in message)
    signature = keys.rsa.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    message["Signature"] = base64.b64encode(signature).decode()
    return json.dumps(message).encode()


def sign(
    scheme: str,
    keys: SenderKeys,
    body: bytes,
    *,
    delivery_id: str,
    event_type: str = "",
    timestamp: int | None = None,
    origin: str = "",
    region: str = "us-east-1",
) -> tuple[bytes, dict[str, str]]:
    """The body and headers the sender would send (SNS wraps `body` in its signed message)."""
    now = int(time.time()) if timestamp is None else timestamp
    ts = str(now)
    json_type = {"Content-Type": "application/json"}
    if scheme == "discord":
        signature = keys.ed25519.sign(ts.encode() + body).hex()
        return body, {**json_type, "X-Signature-Ed25519": signature, "X-Signature-Timestamp": ts}
    if scheme == "telnyx":
        signature = base64.b64encode(keys.ed25519.sign(f"{ts}|".encode() + body)).decode()
        return body, {**json_type, "telnyx-signature-ed25519": signature, "telnyx-timestamp": ts}
    if scheme == "sendgrid":
        der = keys.p256.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
        return body, {
            **json_type,
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(der).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": ts,
        }
    if scheme == "aws-sns":
        message = sns_message(
            keys,
            "Notification",
            body.decode(),
            message_id=delivery_id,
            origin=origin,
            region=region,
            timestamp=now,
            subject=event_type,
        )
        return message, {
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": "Notification",
        }
    if scheme == "google-pubsub":
        claims = {
            "iss": "https://accounts.google.com",
            "aud": LOCAL_AUDIENCE,
            "email": LOCAL_ACCOUNT,
            "email_verified": True,
            "iat": now,
            "exp": now + 3600,
            "sub": "1",
        }
        token = _jwt({"alg": "RS256", "kid": GOOGLE_KEY_ID, "typ": "JWT"}, claims, keys)
        return body, {**json_type, "Authorization": f"Bearer {token}"}
    if scheme == "plaid":
        claims = {"iat": now, "request_body_sha256": hashlib.sha256(body).hexdigest()}
        token = _jwt({"alg": "ES256", "kid": PLAID_KEY_ID, "typ": "JWT"}, claims, keys)
        return body, {**json_type, "Plaid-Verification": token}
    raise ValueError(f"unknown scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")


def handshake(
    scheme: str, keys: SenderKeys, *, origin: str = "", region: str = "us-east-1"
) -> list[HandshakeStep]:
    """The sender's handshake, signed, each request with the check the sender applies to the
    answer: Discord's PING must be answered PONG, and the same PING signed by another key 401
    (Discord's own check that the endpoint verifies); an SNS SubscriptionConfirmation must be
    confirmed. Raises `ValueError` for a sender without one."""
    now = int(time.time())
    if scheme == "discord":
        ping = json.dumps({"id": new_delivery_id(scheme), "type": 1, "application_id": "1"})
        body, headers = sign(scheme, keys, ping.encode(), delivery_id="", timestamp=now)
        _, forged = sign(scheme, SenderKeys.generate(), body, delivery_id="", timestamp=now)
        return [
            HandshakeStep("POST", "", headers, body, _json_answer(200, {"type": 1})),
            HandshakeStep("POST", "", forged, body, _json_answer(401, None)),
        ]
    if scheme == "aws-sns":
        message = sns_message(
            keys,
            "SubscriptionConfirmation",
            "You have chosen to subscribe to the topic.",
            message_id=str(uuid.uuid4()),
            origin=origin,
            region=region,
            timestamp=now,
            token=uuid.uuid4().hex,
        )
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": "SubscriptionConfirmation",
        }
        confirmed = _json_answer(200, {"subscription": "confirmed"})
        return [HandshakeStep("POST", "", headers, message, confirmed)]
    raise ValueError(
        f"sender {scheme!r} makes no handshake; those that do: {', '.join(HANDSHAKES)}"
    )


def _json_answer(status: int, expected: object) -> Any:
    """The check of an answer: this status and, unless `expected` is None, this JSON body."""

    def check(code: int, headers: Mapping[str, str], body: bytes) -> str | None:
        if code != status:
            return f"status {code} body {body[:80]!r}, expected {status}"
        if expected is not None and json.loads(body or b"null") != expected:
            return f"body {body[:80]!r}, expected {json.dumps(expected)}"
        return None

    return check
