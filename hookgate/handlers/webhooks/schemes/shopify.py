"""Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>`.

The delivery id is `X-Shopify-Webhook-Id` (else `X-Shopify-Event-Id`), the event type
`X-Shopify-Topic`; none of them is signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..delivery import COMMON_HEADERS, Delivery, delivery, required_header
from ..envelope import DEDUPE_BY_CONTENT
from ..signatures import MALFORMED_SIGNATURE, MISSING_SIGNATURE, match_base64
from .base import About, Headers, Keys, Scheme, dedupe_option

_KEPT = (*COMMON_HEADERS, "x-shopify-webhook-id", "x-shopify-event-id", "x-shopify-topic")


def configure(values: Mapping[str, Any]) -> None:
    """Shopify has no options."""


def verify(options: None, headers: Headers, body: bytes, keys: Keys, now: int) -> str | None:
    header = headers.get("x-shopify-hmac-sha256")
    if not header:
        return MISSING_SIGNATURE
    if not header.isascii():
        return MALFORMED_SIGNATURE
    return match_base64(keys, body, "sha256", (header.strip(),))


def describe(options: None, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    delivery_id = headers.get("x-shopify-webhook-id") or required_header(
        headers, "x-shopify-event-id"
    )
    return delivery(delivery_id, headers.get("x-shopify-topic", ""), headers, _KEPT)


SCHEME: Scheme[None] = Scheme(
    "shopify",
    configure,
    verify,
    describe,
    options=(dedupe_option(DEDUPE_BY_CONTENT),),
    about=About(
        family="shopify",
        signed="the raw body: HMAC-SHA256, base64 (X-Shopify-Hmac-SHA256)",
        docs="https://shopify.dev/docs/apps/build/webhooks/verify-deliveries",
        vector="computed from the documented algorithm (tests/handlers/test_signatures.py)",
    ),
)
