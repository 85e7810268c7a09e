"""Standard Webhooks (and Svix): `webhook-signature: v1,<b64> [v1,<b64>...]` over
`"{webhook-id}.{webhook-timestamp}.{body}"`; Svix's `svix-*` header names are accepted as well.

The delivery id is the signed message id; the event type is the body's `type` when the body is a
JSON object. Secrets are `whsec_` + base64 of the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from ..delivery import (
    COMMON_HEADERS,
    Delivery,
    UnreadableDelivery,
    delivery,
    json_object,
    optional_text,
)
from ..signatures import (
    MALFORMED_SIGNATURE,
    MAX_SIGNATURES,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
    check_timestamp,
    match_base64,
)
from .base import (
    TIMESTAMPED_OPTIONS,
    About,
    Headers,
    Keys,
    Scheme,
    Tolerance,
    configure_tolerance,
)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
_KEPT = (*COMMON_HEADERS, "webhook-id", "svix-id")


def message_id(headers: Headers) -> str | None:
    """The signed message id (`webhook-id`, or Svix's `svix-id`)."""
    return headers.get("webhook-id") or headers.get("svix-id")


def verify(options: Tolerance, headers: Headers, body: bytes, keys: Keys, now: int) -> str | None:
    header = headers.get("webhook-signature") or headers.get("svix-signature")
    if not header:
        return MISSING_SIGNATURE
    timestamp = headers.get("webhook-timestamp") or headers.get("svix-timestamp")
    if not timestamp:
        return MISSING_TIMESTAMP
    identifier = message_id(headers)
    if not identifier or not header.isascii():
        return MALFORMED_SIGNATURE
    signatures = []
    for item in header.split(" "):
        version, _, value = item.partition(",")
        if version == "v1" and value:
            signatures.append(value)
    if not signatures or len(signatures) > MAX_SIGNATURES:
        return MALFORMED_SIGNATURE
    reason = check_timestamp(timestamp, now, options.tolerance_seconds)
    if reason:
        return reason
    return match_base64(keys, signed_content(identifier, timestamp, body), "sha256", signatures)


def signed_content(identifier: str, timestamp: str, body: bytes) -> bytes:
    """What a `v1` signature is the HMAC-SHA256 of: `{id}.{timestamp}.{body}`."""
    return f"{identifier}.{timestamp}.".encode("utf-8", "surrogatepass") + body


def signature_header(keys: Keys, identifier: str, timestamp: str, body: bytes) -> str:
    """`webhook-signature` for an outgoing message: `v1,<base64>` per key, space-separated, so
    a receiver holding any one of the keys (old or new, during a rotation) verifies it."""
    content = signed_content(identifier, timestamp, body)
    return " ".join(
        "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        for key in keys
    )


def describe(options: Tolerance, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    # verify() has already required the id
    identifier = message_id(headers) or ""
    try:
        event = json_object(body)
    except UnreadableDelivery:  # any body is allowed: only JSON objects carry a type
        event = {}
    event_type = optional_text(event, "type")  # a duplicated `type` is still a 400
    return delivery(identifier, event_type, headers, _KEPT)


def signing_key(secret: str) -> bytes:
    """The key is the base64 text after `whsec_` (the prefix is optional, as in the library)."""
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX) + "==", validate=False)
    except (binascii.Error, ValueError):
        raise ValueError("Standard Webhooks secret is not base64") from None
    if not key:
        raise ValueError("signing secret is empty")
    return key


def check_secret(secret: str) -> bytes:
    """The stack config takes secrets as the sender shows them: `whsec_` + base64."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"Standard Webhooks secrets start with `{SECRET_PREFIX}`")
    return signing_key(secret)


def development_secret(entropy: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(entropy).decode()


SIGNED = (
    "`{webhook-id}.{webhook-timestamp}.{body}`: `svix-signature` (or `webhook-signature`): "
    "`v1,<base64 HMAC-SHA256>`"
)

SCHEME: Scheme[Tolerance] = Scheme(
    "standard",
    configure_tolerance,
    verify,
    describe,
    options=TIMESTAMPED_OPTIONS,
    signing_key=signing_key,
    check_secret=check_secret,
    development_secret=development_secret,
    about=About(
        family="standard",
        signed="`{webhook-id}.{webhook-timestamp}.{body}`: HMAC-SHA256, base64, `v1,`",
        docs="https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
        vector="the `standardwebhooks` library (tests/handlers/test_signatures.py)",
    ),
)

FAMILY = "standard"

PRESETS: dict[str, dict[str, Any]] = {
    "clerk": {
        "about": About(
            FAMILY,
            SIGNED,
            "https://clerk.com/docs/webhooks/overview",
            "svix 2.9.1 and standardwebhooks 1.3.0 (Webhook.sign, verify)",
        ),
        "settable": ("tolerance_seconds",),
    },
    "openai": {
        "about": About(
            FAMILY,
            SIGNED,
            "https://developers.openai.com/api/docs/guides/webhooks",
            "openai 3.63.0 (webhooks.verify_signature) and svix 2.9.1",
        ),
        "settable": ("tolerance_seconds",),
    },
    "replicate": {
        "about": About(
            FAMILY,
            SIGNED,
            "https://replicate.com/docs/topics/webhooks/verify-webhook",
            "replicate 1.0.7 (Webhooks.validate) and svix 2.9.1",
        ),
        "settable": ("tolerance_seconds",),
    },
    "resend": {
        "about": About(
            FAMILY,
            SIGNED,
            "https://resend.com/docs/webhooks/verify-webhooks-requests",
            "resend 2.52.0 (Webhooks.verify) and svix 2.9.1",
        ),
        "settable": ("tolerance_seconds",),
    },
}
"""The named senders that send Standard Webhooks (Svix): the scheme as it is."""
