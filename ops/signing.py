"""Sender-side signing: the headers GitHub, Stripe, Shopify, Slack, Standard Webhooks or a
generic HMAC sender would send with a body, so the operator CLI and the tests can produce
deliveries the ingest function must accept.

Deliberately independent of `handlers/webhooks/signatures.py` (the receiving side): each scheme
is written from the sender's published algorithm, so a mistake on one side shows up as a
rejected delivery instead of agreeing with itself.

    delivery = sample("stripe")
    headers = sign("stripe", secret, delivery.body, delivery_id=delivery.delivery_id)

`options` takes a provider's options as in `PROVIDERS` (docs/contract.md); only the generic
`hmac` scheme reads them (header names, prefix, algorithm, encoding, and `signed_content`, the
template of what is signed: `{id}`, `{timestamp}` and `{body}` replaced by the values sent).
"""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import NamedTuple

SCHEMES = ("github", "stripe", "shopify", "slack", "standard", "hmac")

_JSON = "application/json"


def sign(
    scheme: str,
    secret: str,
    body: bytes,
    *,
    delivery_id: str,
    event_type: str = "",
    timestamp: int | None = None,
    options: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """The HTTP headers a real `scheme` sender would send with `body`, signed with `secret`.

    `timestamp` (unix seconds) defaults to now. Stripe and Slack carry the delivery id and the
    event type in the body (see `sample_body`), so for them those arguments only matter there.
    Raises `ValueError` for an unknown scheme or unusable options.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    key = secret.encode()
    if scheme == "github":
        return {
            "Content-Type": _JSON,
            "User-Agent": "GitHub-Hookshot/ops",
            "X-GitHub-Delivery": delivery_id,
            "X-GitHub-Event": event_type,
            "X-Hub-Signature-256": "sha256=" + _hmac(key, body, "sha256").hex(),
        }
    if scheme == "stripe":
        signature = _hmac(key, ts.encode() + b"." + body, "sha256").hex()
        return {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": f"t={ts},v1={signature}",
        }
    if scheme == "shopify":
        return {
            "Content-Type": _JSON,
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Webhook-Id": delivery_id,
            "X-Shopify-Topic": event_type,
            "X-Shopify-Hmac-Sha256": _b64(_hmac(key, body, "sha256")),
        }
    if scheme == "slack":
        signature = _hmac(key, b"v0:" + ts.encode() + b":" + body, "sha256").hex()
        return {
            "Content-Type": _JSON,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + signature,
        }
    if scheme == "standard":
        signed = f"{delivery_id}.{ts}.".encode() + body
        return {
            "Content-Type": _JSON,
            "webhook-id": delivery_id,
            "webhook-timestamp": ts,
            "webhook-signature": "v1," + _b64(_hmac(standard_key(secret), signed, "sha256")),
        }
    if scheme == "hmac":
        return _sign_hmac(key, body, delivery_id, event_type, ts, options or {})
    raise ValueError(f"unknown scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64 after the `whsec_` prefix."""
    encoded = secret.removeprefix("whsec_")
    key = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    if not key:
        raise ValueError("Standard Webhooks secret is empty")
    return key


def random_secret(scheme: str) -> str:
    """A fresh random signing secret in the form the scheme's senders use."""
    raw = uuid.uuid4().bytes + uuid.uuid4().bytes
    if scheme == "standard":
        return "whsec_" + _b64(raw)
    if scheme == "stripe":
        return "whsec_" + raw.hex()
    return raw.hex()


def new_delivery_id(scheme: str) -> str:
    """A fresh delivery id shaped like the sender's own (`evt_…`, `Ev…`, `msg_…`, a UUID)."""
    token = uuid.uuid4().hex
    if scheme == "stripe":
        return "evt_" + token[:24]
    if scheme == "slack":
        return "Ev" + token[:9].upper()
    if scheme == "standard":
        return "msg_" + token[:27]
    return str(uuid.UUID(token))


class Sample(NamedTuple):
    """A sample delivery: its body and the id and event type the receiver will extract."""

    body: bytes
    delivery_id: str
    event_type: str


_DEFAULT_EVENT_TYPES = {
    "github": "push",
    "stripe": "charge.succeeded",
    "shopify": "orders/create",
    "slack": "app_mention",
    "standard": "invoice.paid",
    "hmac": "ping",
}


def sample(
    scheme: str,
    *,
    event_type: str | None = None,
    delivery_id: str | None = None,
    size: int | None = None,
    timestamp: int | None = None,
) -> Sample:
    """A realistic JSON body for `scheme`, carrying the sender's id field where it has one
    (Stripe `id`, Slack `event_id`); missing ids and event types are made up. `size` pads the
    body with a `padding` field to exactly that many bytes (when larger than the bare body).
    For Slack, `event_type="url_verification"` gives the handshake body (challenge = the id).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    event_type = event_type or _DEFAULT_EVENT_TYPES[scheme]
    delivery_id = delivery_id or new_delivery_id(scheme)
    ts = int(time.time()) if timestamp is None else timestamp
    data = _sample_data(scheme, delivery_id, event_type, ts)
    body = json.dumps(data).encode()
    if size is not None and size > len(body):
        data["padding"] = ""
        filler = size - len(json.dumps(data).encode())
        data["padding"] = "x" * max(filler, 0)
        body = json.dumps(data).encode()
    return Sample(body, delivery_id, event_type)


def _sample_data(scheme: str, delivery_id: str, event_type: str, ts: int) -> dict[str, object]:
    if scheme == "stripe":
        return {
            "id": delivery_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": ts,
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": {"id": "ch_" + delivery_id[-12:], "object": "charge"}},
        }
    if scheme == "slack" and event_type == "url_verification":
        return {"token": "ops", "challenge": delivery_id, "type": "url_verification"}
    if scheme == "slack":
        return {
            "token": "ops",
            "team_id": "T0OPS",
            "api_app_id": "A0OPS",
            "type": "event_callback",
            "event_id": delivery_id,
            "event_time": ts,
            "event": {"type": event_type, "text": "hello", "ts": f"{ts}.000100"},
        }
    if scheme == "standard":
        return {"type": event_type, "timestamp": ts, "data": {"id": delivery_id}}
    # GitHub and Shopify bodies carry no delivery id, but real events differ in content; the
    # samples do too (an `updated_at`-like field), since those senders dedupe by content.
    if scheme == "github":
        return {
            "zen": "Design for failure.",
            "hook_id": 1,
            "action": "opened",
            "ops_sample": delivery_id,
        }
    if scheme == "shopify":
        return {
            "id": 820982911946154508,
            "email": "jon@example.com",
            "topic": event_type,
            "ops_sample": delivery_id,
        }
    return {"id": delivery_id, "event": event_type, "created": ts}


def _sign_hmac(
    key: bytes,
    body: bytes,
    delivery_id: str,
    event_type: str,
    ts: str,
    options: Mapping[str, object],
) -> dict[str, str]:
    algorithm = str(options.get("algorithm", "sha256"))
    if algorithm not in ("sha256", "sha512", "sha1"):
        raise ValueError(f"algorithm {algorithm!r}; allowed: sha256, sha512, sha1")
    template = str(options.get("signed_content", "{body}"))
    head, found, tail = template.partition("{body}")
    if not found:
        raise ValueError(f"signed_content {template!r} has no {{body}}")
    values = {"{id}": delivery_id, "{timestamp}": ts}

    def filled(text: str) -> bytes:
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text.encode()

    digest = _hmac(key, filled(head) + body + filled(tail), algorithm)
    encoding = options.get("encoding", "hex")
    if encoding == "hex":
        value = digest.hex()
    elif encoding == "base64":
        value = _b64(digest)
    else:
        raise ValueError(f"encoding {encoding!r}; allowed: hex, base64")
    headers = {
        "Content-Type": _JSON,
        str(options.get("signature_header", "X-Signature")): (
            str(options.get("signature_prefix", "")) + value
        ),
    }
    for option, value in (
        ("timestamp_header", ts),
        ("delivery_id_header", delivery_id),
        ("event_type_header", event_type),
    ):
        name = options.get(option)
        if name:
            headers[str(name)] = value
    return headers


def _hmac(key: bytes, message: bytes, algorithm: str) -> bytes:
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
