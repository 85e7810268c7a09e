"""What each sender says about a delivery: its id, its event type, the headers worth keeping.

The delivery id is the sender's own (DESIGN.md, "Delivery id per sender"), so a retried delivery
maps to the same table key. Called only after the signature is verified, so the JSON parsing
Stripe and Slack need costs nothing for forged requests.
"""

import json
from collections.abc import Mapping
from typing import NamedTuple

from .providers import Provider
from .signatures import standard_message_id

MAX_DELIVERY_ID_LENGTH = 256  # well inside DynamoDB's 2048-byte partition key

_COMMON_HEADERS = ("user-agent", "content-type")
_KEPT_HEADERS = {
    "github": (*_COMMON_HEADERS, "x-github-delivery", "x-github-event"),
    "stripe": _COMMON_HEADERS,
    "shopify": (*_COMMON_HEADERS, "x-shopify-webhook-id", "x-shopify-event-id", "x-shopify-topic"),
    "slack": _COMMON_HEADERS,
    "standard": (*_COMMON_HEADERS, "webhook-id", "svix-id"),
    "hmac": _COMMON_HEADERS,
}


class UnreadableDelivery(ValueError):
    """An authentic request whose delivery id can't be found (answered 400 with this reason)."""


class Delivery(NamedTuple):
    """A delivery's identity; `challenge` is set for Slack's `url_verification` handshake."""

    delivery_id: str
    event_type: str
    headers: dict[str, str]
    challenge: str | None = None


def describe(
    provider: Provider, headers: Mapping[str, str], body: bytes, body_sha256: str
) -> Delivery:
    """Delivery id, event type and allow-listed headers of one verified request."""
    scheme = provider.scheme
    event_type = ""
    challenge = None
    if scheme == "github":
        delivery_id = _header(headers, "x-github-delivery")
        event_type = headers.get("x-github-event", "")
    elif scheme == "stripe":
        event = _json_object(body)
        delivery_id = _body_text(event, "id")
        event_type = _optional_text(event, "type")
    elif scheme == "shopify":
        delivery_id = headers.get("x-shopify-webhook-id") or _header(headers, "x-shopify-event-id")
        event_type = headers.get("x-shopify-topic", "")
    elif scheme == "slack":
        event = _json_object(body)
        if event.get("type") == "url_verification":
            challenge = _body_text(event, "challenge")
            delivery_id = ""
        else:
            delivery_id = _body_text(event, "event_id")
            inner = event.get("event")
            event_type = _optional_text(inner if isinstance(inner, dict) else event, "type")
    elif scheme == "standard":
        delivery_id = standard_message_id(headers) or _header(headers, "webhook-id")
        if body[:1] == b"{":
            try:
                event_type = _optional_text(_json_object(body), "type")
            except UnreadableDelivery:
                event_type = ""
    else:
        configured = provider.delivery_id_header
        delivery_id = _header(headers, configured) if configured else body_sha256
        if provider.event_type_header:
            event_type = headers.get(provider.event_type_header, "")
    if challenge is None and len(delivery_id) > MAX_DELIVERY_ID_LENGTH:
        raise UnreadableDelivery(f"delivery id longer than {MAX_DELIVERY_ID_LENGTH} characters")
    kept = {name: headers[name] for name in _KEPT_HEADERS[scheme] if name in headers}
    if scheme == "hmac":
        for name in (provider.delivery_id_header, provider.event_type_header):
            if name and name in headers:
                kept[name] = headers[name]
    return Delivery(delivery_id, event_type, kept, challenge)


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise UnreadableDelivery(f"missing {name} header")
    return value


def _json_object(body: bytes) -> dict:
    # What `json.loads(body)` does, minus its encoding detection: a body that opens with `{`
    # and no NUL byte after it is UTF-8 to that detection, decoded with the same error handler.
    try:
        if body[:1] == b"{" and body[1:2] != b"\x00":
            data = json.loads(body.decode("utf-8", "surrogatepass"))
        else:
            data = json.loads(body)
    except (ValueError, RecursionError):
        raise UnreadableDelivery("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise UnreadableDelivery("body is not a JSON object")
    return data


def _body_text(event: dict, field: str) -> str:
    value = event.get(field)
    if not isinstance(value, str) or not value:
        raise UnreadableDelivery(f"body has no {field!r} string")
    return value


def _optional_text(event: dict, field: str) -> str:
    value = event.get(field)
    return value if isinstance(value, str) else ""
