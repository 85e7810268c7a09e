"""ECDSA P-256 / SHA-256 over `<timestamp><raw body>`: `sendgrid` (its Event Webhook).

SendGrid signs with its private key and sends a base64 DER signature and the timestamp in two
headers; the receiver holds the public key shown in SendGrid's mail settings (base64 of the DER
SubjectPublicKeyInfo), as the `publicKey` option (several separated by commas during a rotation).
Docs: https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
Checked with `sendgrid`'s `EventWebhook.verify_signature` (tests/handlers/test_pubkey_senders.py).

The body is a JSON array of events without a delivery id, so an event's key is the body's
SHA-256 (`dedupe` is `content`): a replay of a captured request is stored once. SendGrid does not
say whether a retry (for up to 24 hours) is signed anew, so the timestamp's age is bounded only
when `toleranceSeconds` is set (0, the default, checks only that it is a timestamp).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from .. import Record
from ..delivery import COMMON_HEADERS, Delivery, delivery
from ..envelope import DEDUPE_BY_CONTENT
from ..signatures import (
    INVALID_SIGNATURE,
    MALFORMED_SIGNATURE,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
    check_timestamp,
)
from .base import (
    MAX_TOLERANCE_SECONDS,
    About,
    Headers,
    Keys,
    Option,
    OptionError,
    Scheme,
    dedupe_option,
)
from .publickeys import PUBLIC_KEY_LIMIT, split_keys

SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
MAX_SIGNATURE_CHARACTERS = 200
"""Base64 of a DER P-256 signature is at most 96 characters; longer is malformed."""
_NO_AGE_BOUND = 10**12

PUBLIC_KEY = Option(
    "public_key",
    "text",
    default=None,
    description="SendGrid's verification key(s) (base64 DER), comma-separated during a rotation",
)
TOLERANCE = Option(
    "tolerance_seconds",
    "integer",
    default=0,
    low=0,
    high=MAX_TOLERANCE_SECONDS,
    description="how far the signed timestamp may be from now, in seconds (0: not bounded)",
)
ALLOWED = (
    "base64 text of a DER P-256 public key (SendGrid's verification key), at most"
    f" {PUBLIC_KEY_LIMIT} separated by commas"
)


class EcdsaOptions(Record):
    __slots__ = ("keys", "tolerance_seconds")

    def __init__(self, keys: tuple[Any, ...], tolerance_seconds: int) -> None:
        self.keys: Final = keys
        """`cryptography` P-256 public keys, loaded once per container."""
        self.tolerance_seconds: Final = tolerance_seconds


def load_keys(text: str) -> tuple[Any, ...]:
    """The P-256 public keys of a `publicKey` option; `ValueError` saying what is wrong."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    keys = []
    for part in split_keys(text):
        try:
            key = load_der_public_key(base64.b64decode(part, validate=True))
        except (ValueError, binascii.Error):
            raise ValueError("not base64 of a DER public key") from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise ValueError("not a P-256 key")
        keys.append(key)
    return tuple(keys)


def check(values: Mapping[str, Any], spell: Any) -> None:
    text = values.get("public_key")
    if text is None:
        raise OptionError(spell("public_key"), None, f"required with scheme sendgrid: {ALLOWED}")
    try:
        load_keys(text)
    except ValueError as error:
        raise OptionError(spell("public_key"), text, f"{ALLOWED} ({error})") from None


def configure(values: Mapping[str, Any]) -> EcdsaOptions:
    return EcdsaOptions(load_keys(values["public_key"]), values["tolerance_seconds"])


def verify(
    options: EcdsaOptions, headers: Headers, body: bytes, keys: Keys, now: int
) -> str | None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    signature_text = headers.get(SIGNATURE_HEADER)
    if not signature_text:
        return MISSING_SIGNATURE
    timestamp = headers.get(TIMESTAMP_HEADER)
    if not timestamp:
        return MISSING_TIMESTAMP
    reason = check_timestamp(timestamp, now, options.tolerance_seconds or _NO_AGE_BOUND)
    if reason:
        return reason
    if len(signature_text) > MAX_SIGNATURE_CHARACTERS:
        return MALFORMED_SIGNATURE
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (ValueError, binascii.Error):
        return MALFORMED_SIGNATURE
    message = timestamp.encode() + body
    for key in options.keys:
        try:
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        return None
    return INVALID_SIGNATURE


def describe(options: EcdsaOptions, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    return delivery(body_sha256, "", headers, COMMON_HEADERS)


def _no_secret(secret: str) -> None:
    """Nothing of SendGrid's is secret here: the provider's secret is not read."""


REQUIRES = ("cryptography",)
"""Imported on first use only; the functions' package carries it (components/packages.py)."""

SCHEMES: dict[str, Scheme[Any]] = {
    "sendgrid": Scheme(
        "sendgrid",
        configure,
        verify,
        describe,
        options=(PUBLIC_KEY, TOLERANCE, dedupe_option(DEDUPE_BY_CONTENT)),
        check=check,
        check_secret=_no_secret,
        about=About(
            "ecdsa",
            "timestamp + body, ECDSA P-256 with SHA-256 (base64 DER"
            " `X-Twilio-Email-Event-Webhook-Signature`, timestamp in `…-Timestamp`) with the"
            " verification `publicKey` SendGrid shows",
            "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
            "`sendgrid` `EventWebhook.verify_signature` (tests/handlers/test_pubkey_signatures.py)",
        ),
    )
}
