"""GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.

The delivery id is `X-GitHub-Delivery` and the event type `X-GitHub-Event`; neither is signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..delivery import COMMON_HEADERS, Delivery, delivery, required_header
from ..envelope import DEDUPE_BY_CONTENT
from ..signatures import MALFORMED_SIGNATURE, MISSING_SIGNATURE, match_hex
from .base import About, Headers, Keys, Scheme, dedupe_option

_KEPT = (*COMMON_HEADERS, "x-github-delivery", "x-github-event")


def configure(values: Mapping[str, Any]) -> None:
    """GitHub has no options."""


def verify(options: None, headers: Headers, body: bytes, keys: Keys, now: int) -> str | None:
    header = headers.get("x-hub-signature-256")
    if not header:
        return MISSING_SIGNATURE
    if not header.startswith("sha256=") or not header.isascii():
        return MALFORMED_SIGNATURE
    return match_hex(keys, body, "sha256", (header[7:],))


def describe(options: None, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    delivery_id = required_header(headers, "x-github-delivery")
    return delivery(delivery_id, headers.get("x-github-event", ""), headers, _KEPT)


SCHEME: Scheme[None] = Scheme(
    "github",
    configure,
    verify,
    describe,
    options=(dedupe_option(DEDUPE_BY_CONTENT),),
    about=About(
        family="github",
        signed="the raw body: HMAC-SHA256, hex, `sha256=` (X-Hub-Signature-256)",
        docs="https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
        vector="GitHub's documented example (tests/handlers/test_signatures.py)",
    ),
)
