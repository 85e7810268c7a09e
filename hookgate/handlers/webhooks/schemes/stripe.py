"""Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` over `"{t}.{body}"`.

The delivery id is the event's `id` and the event type its `type`, both in the signed body.
Secrets are the endpoint's `whsec_...` text, used as is.
"""

from __future__ import annotations

from ..delivery import COMMON_HEADERS, Delivery, body_text, delivery, json_object, optional_text
from ..signatures import (
    MALFORMED_SIGNATURE,
    MAX_SIGNATURES,
    MISSING_SIGNATURE,
    check_timestamp,
    match_hex,
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


def verify(options: Tolerance, headers: Headers, body: bytes, keys: Keys, now: int) -> str | None:
    header = headers.get("stripe-signature")
    if not header:
        return MISSING_SIGNATURE
    if not header.isascii():
        return MALFORMED_SIGNATURE
    timestamp = None
    signatures = []
    for item in header.split(","):
        name, _, value = item.partition("=")
        if name == "t" and timestamp is None:
            timestamp = value
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not signatures or len(signatures) > MAX_SIGNATURES:
        return MALFORMED_SIGNATURE
    reason = check_timestamp(timestamp, now, options.tolerance_seconds)
    if reason:
        return reason
    return match_hex(keys, b"%d." % int(timestamp) + body, "sha256", signatures)


def describe(options: Tolerance, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    event = json_object(body)
    return delivery(body_text(event, "id"), optional_text(event, "type"), headers, COMMON_HEADERS)


def development_secret(entropy: bytes) -> str:
    return "whsec_" + entropy.hex()


SCHEME: Scheme[Tolerance] = Scheme(
    "stripe",
    configure_tolerance,
    verify,
    describe,
    options=TIMESTAMPED_OPTIONS,
    development_secret=development_secret,
    about=About(
        family="stripe",
        signed="`{t}.{body}`: HMAC-SHA256, hex, in Stripe-Signature `t=..,v1=..`",
        docs="https://docs.stripe.com/webhooks#verify-manually",
        vector="the `stripe` library (tests/handlers/test_signatures.py)",
    ),
)
