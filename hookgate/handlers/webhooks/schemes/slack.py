"""Slack: `X-Slack-Signature: v0=<hex>` over `"v0:{X-Slack-Request-Timestamp}:{body}"`.

The delivery id is the body's `event_id`, the event type the inner `event.type`; Slack's
`url_verification` handshake is answered at once with its `challenge`.
"""

from __future__ import annotations

from ..delivery import (
    COMMON_HEADERS,
    Delivery,
    body_text,
    delivery,
    json_object,
    object_field,
    optional_text,
)
from ..signatures import (
    MALFORMED_SIGNATURE,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
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
    header = headers.get("x-slack-signature")
    if not header:
        return MISSING_SIGNATURE
    timestamp = headers.get("x-slack-request-timestamp")
    if not timestamp:
        return MISSING_TIMESTAMP
    if not header.startswith("v0=") or not header.isascii():
        return MALFORMED_SIGNATURE
    reason = check_timestamp(timestamp, now, options.tolerance_seconds)
    if reason:
        return reason
    signed = b"v0:" + timestamp.encode() + b":" + body
    return match_hex(keys, signed, "sha256", (header[3:],))


def describe(options: Tolerance, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    event = json_object(body)
    if optional_text(event, "type") == "url_verification":
        return Delivery("", "", {}, challenge=body_text(event, "challenge"))
    inner = object_field(event, "event")
    event_type = optional_text(inner if inner is not None else event, "type")
    return delivery(body_text(event, "event_id"), event_type, headers, COMMON_HEADERS)


SCHEME: Scheme[Tolerance] = Scheme(
    "slack",
    configure_tolerance,
    verify,
    describe,
    options=TIMESTAMPED_OPTIONS,
    about=About(
        family="slack",
        signed="`v0:{timestamp}:{body}`: HMAC-SHA256, hex, `v0=` (X-Slack-Signature)",
        docs="https://api.slack.com/authentication/verifying-requests-from-slack",
        vector="Slack's documented example (tests/handlers/test_signatures.py)",
        handshake="url_verification: its challenge echoed",
    ),
)
