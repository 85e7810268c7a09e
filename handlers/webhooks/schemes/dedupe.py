"""The `dedupe` option every scheme has: what decides that two deliveries are one event.

- `deliveryId`: the sender's delivery id is the event's key. Right when the signature covers
  the id (Stripe, Slack, Standard Webhooks, generic HMAC signing `{id}`): nobody without the
  secret can choose it.
- `content`: the SHA-256 of the raw body is the key, and the delivery ids it arrived under are
  kept on the event. Right when the id is outside the signature (GitHub, Shopify, generic HMAC
  over the body alone): whoever holds one captured request can send it under any id, and with
  this key a replay under a fresh id is still stored once.

Each scheme chooses its default; `None` as a default means "the scheme decides from its other
options" (`resolve`).
"""

from __future__ import annotations

from .base import DEDUPE_BY_DELIVERY_ID, Option

DELIVERY_ID = DEDUPE_BY_DELIVERY_ID
CONTENT = "content"
CHOICES = (DELIVERY_ID, CONTENT)
NAME = "dedupe"


def option(default: str | None) -> Option:
    """The scheme's `dedupe` option with its default (`None`: decided by `resolve`)."""
    return Option(
        NAME,
        "choice",
        default=default,
        choices=CHOICES,
        description="what makes two deliveries one event: the delivery id, or the body's bytes",
    )
