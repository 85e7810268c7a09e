"""An SNS sender for tests, written from AWS's documentation rather than from the verifier: a
self-signed certificate, messages signed with SHA1withRSA (version 1) or SHA256withRSA (2) over
the documented string to sign, and an opener serving the certificate by URL.

https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message-verify-message-signature.html
"""

import base64
import datetime
import io
import json
import urllib.error
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

TOPIC = "arn:aws:sns:eu-west-1:123456789012:orders"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"


def certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def message(
    kind: str = "Notification",
    *,
    key: rsa.RSAPrivateKey,
    topic: str = TOPIC,
    cert_url: str = CERT_URL,
    version: str = "2",
    timestamp: str = "2026-11-28T17:00:00.000Z",
    message_id: str = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    subject: str | None = "order.created",
    text: str = '{"order": 42}',
    token: str = "2336412f37fb687f5d51e6e2425c464de",  # noqa: S107 - SNS's example token
    subscribe_url: str | None = None,
) -> dict[str, Any]:
    """An SNS message as SNS posts it, signed."""
    body: dict[str, Any] = {
        "Type": kind,
        "MessageId": message_id,
        "TopicArn": topic,
        "Message": text,
        "Timestamp": timestamp,
        "SignatureVersion": version,
        "SigningCertURL": cert_url,
    }
    if kind == "Notification":
        if subject is not None:
            body["Subject"] = subject
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        body["Token"] = token
        body["SubscribeURL"] = subscribe_url or (
            f"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={topic}"
            f"&Token={token}"
        )
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    signed = "".join(f"{n}\n{body[n]}\n" for n in names if n in body).encode()
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 - SNS v1
    body["Signature"] = base64.b64encode(key.sign(signed, padding.PKCS1v15(), algorithm)).decode()
    return body


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


class Response(io.BytesIO):
    status = 200


class Opener:
    """Serves `documents` by URL and records every request (an unknown URL is a 404)."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        self.documents = documents
        self.requested: list[str] = []

    def __call__(self) -> "Opener":
        return self

    def open(self, request: Any, timeout: float) -> Response:
        url = request.full_url
        self.requested.append(url)
        if url not in self.documents:
            raise urllib.error.HTTPError(url, 404, "not found", {}, None)  # type: ignore[arg-type]
        return Response(self.documents[url])
