"""Sender-side signing: the headers GitHub, Stripe, Shopify, Slack, Standard Webhooks or a
generic HMAC sender would send with a body, so the operator CLI and the tests can produce
deliveries the ingest function must accept.

Deliberately independent of `handlers/webhooks/signatures.py` (the receiving side): each scheme
is written from the sender's published algorithm, so a mistake on one side shows up as a
rejected delivery instead of agreeing with itself.

    delivery = sample("stripe")
    headers = sign("stripe", secret, delivery.body, delivery_id=delivery.delivery_id)

It is also the one place, outside the receiver's scheme modules, that knows each sender: its
event types (`EVENT_TYPES`), the shape of its delivery ids (`new_delivery_id`), what it signs
and where the signature goes (`signed_message`, `signature_header`), which body fields carry
its delivery id (`id_fields`), and how its request goes wrong (`malformed`,
`malformed_headers`); the drill and the benchmark ask here instead of keeping per-sender
knowledge of their own.

`options` takes a provider's options as in `PROVIDERS` (docs/contract.md); only the generic
`hmac` scheme reads them (header names, prefix, algorithm, encoding, and `signed_content`, the
template of what is signed: `{id}`, `{timestamp}` and `{body}` replaced by the values sent).
"""

import base64
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Mapping
from typing import NamedTuple

SCHEMES = ("github", "stripe", "shopify", "slack", "standard", "hmac")
"""The senders signing with a shared secret; the public-key senders: `ops.pubkey_signing`."""
PUBLIC_KEY_SCHEMES = ("discord", "telnyx", "sendgrid", "aws-sns", "google-pubsub", "plaid")
"""The senders signing with a private key or an identity provider's token (`ops.pubkey_signing`),
whose providers carry the public key: not sendable with a secret alone (the drill, the bench)."""

EVENT_TYPES = {
    "github": ("push", "pull_request", "issues"),
    "stripe": (
        "charge.succeeded",
        "invoice.paid",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ),
    "shopify": ("orders/create", "orders/paid", "products/update"),
    "slack": ("app_mention", "message"),
    "standard": ("invoice.paid", "user.created"),
    "hmac": ("ping", "invoice.created"),
}
"""Event types each sender sends; the first is the one `sample` uses when given none."""

_JSON = "application/json"
_UNREADABLE = 400  # the receiver's answer to an authentic request it cannot read a delivery from
_UNVERIFIABLE = 401  # its answer to a request whose signature it cannot verify
_NOT_JSON = b"{not json"
# Where each sender puts its signature (lower case, as the receiver reads headers); hmac: options.
_SIGNATURE_HEADERS = {
    "github": "x-hub-signature-256",
    "stripe": "stripe-signature",
    "shopify": "x-shopify-hmac-sha256",
    "slack": "x-slack-signature",
    "standard": "webhook-signature",
}
_HMAC_SIGNATURE_HEADER = "X-Signature"  # a generic HMAC sender's, unless `signature_header`
# The top-level body field that carries the delivery id, for senders that send it in the body.
_ID_FIELDS = {"stripe": "id", "slack": "event_id"}


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
    event type in the body (see `sample`), so for them those arguments only matter there.
    Raises `ValueError` for an unknown scheme or unusable options.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    options = options or {}
    message = _message(scheme, body, delivery_id, ts, options)
    key = secret.encode()
    if scheme == "github":
        return {
            "Content-Type": _JSON,
            "User-Agent": "GitHub-Hookshot/ops",
            "X-GitHub-Delivery": delivery_id,
            "X-GitHub-Event": event_type,
            "X-Hub-Signature-256": "sha256=" + _hmac(key, message, "sha256").hex(),
        }
    if scheme == "stripe":
        signature = _hmac(key, message, "sha256").hex()
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
            "X-Shopify-Hmac-Sha256": _b64(_hmac(key, message, "sha256")),
        }
    if scheme == "slack":
        return {
            "Content-Type": _JSON,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + _hmac(key, message, "sha256").hex(),
        }
    if scheme == "standard":
        return {
            "Content-Type": _JSON,
            "webhook-id": delivery_id,
            "webhook-timestamp": ts,
            "webhook-signature": "v1," + _b64(_hmac(standard_key(secret), message, "sha256")),
        }
    if scheme == "hmac":
        return _sign_hmac(key, message, delivery_id, event_type, ts, options)
    raise _unknown(scheme)


def shared_secret_schemes() -> tuple[str, ...]:
    """Every registered scheme but the public-key ones: those a provider needs only its secret
    for (the drill and the bench configure one of each)."""
    from webhooks import schemes

    return tuple(name for name in schemes.names() if name not in PUBLIC_KEY_SCHEMES)


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64 after the `whsec_` prefix."""
    encoded = secret.removeprefix("whsec_")
    key = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    if not key:
        raise ValueError("Standard Webhooks secret is empty")
    return key


def signed_message(
    scheme: str,
    body: bytes,
    headers: Mapping[str, str],
    options: Mapping[str, object] | None = None,
) -> bytes:
    """The exact bytes the sender's HMAC covers in this request (headers as `sign` made them,
    names in any case): what a verifier has to hash at the least."""
    sent = {name.lower(): value for name, value in headers.items()}
    options = options or {}
    delivery_id = timestamp = ""
    if scheme == "stripe":
        fields = dict(item.partition("=")[::2] for item in sent["stripe-signature"].split(","))
        timestamp = fields["t"]
    elif scheme == "slack":
        timestamp = sent["x-slack-request-timestamp"]
    elif scheme == "standard":
        delivery_id, timestamp = sent["webhook-id"], sent["webhook-timestamp"]
    elif scheme == "hmac":
        delivery_id = sent.get(str(options.get("delivery_id_header") or "").lower(), "")
        timestamp = sent.get(str(options.get("timestamp_header") or "").lower(), "")
    return _message(scheme, body, delivery_id, timestamp, options)


def reads_options(scheme: str) -> bool:
    """Whether the sender signs according to its provider's options (header names, prefix,
    algorithm, template): only the generic HMAC sender does."""
    if scheme in PUBLIC_KEY_SCHEMES:
        return False  # ops.pubkey_signing: each signs its one documented way
    _check(scheme)
    return scheme == "hmac"


def signature_header(scheme: str, options: Mapping[str, object] | None = None) -> str:
    """The (lower-case) name of the header in which the sender sends its signature."""
    if scheme == "hmac":
        return str((options or {}).get("signature_header") or _HMAC_SIGNATURE_HEADER).lower()
    _check(scheme)
    return _SIGNATURE_HEADERS[scheme]


def id_fields(scheme: str, delivery_id: str) -> dict[str, str]:
    """The top-level body fields that carry `delivery_id` for this sender (none when a header
    carries it): what a made-up body needs for the receiver to find the delivery id."""
    _check(scheme)
    return {_ID_FIELDS[scheme]: delivery_id} if scheme in _ID_FIELDS else {}


def new_delivery_id(scheme: str, *, rng: random.Random | None = None, marker: str = "") -> str:
    """A fresh delivery id shaped like the sender's own (`evt_…`, `Ev…`, `msg_…`, a UUID).

    `rng` draws it reproducibly (the drill's plan, from its seed); `marker` goes right after the
    sender's prefix, so an id can be picked out (the drill's poison deliveries) and still starts
    the way the sender's ids do.
    """
    token = uuid.uuid4() if rng is None else uuid.UUID(int=rng.getrandbits(128), version=4)
    if scheme == "stripe":
        return f"evt_{marker}{token.hex[:24]}"
    if scheme == "slack":
        return f"Ev{marker}{token.hex[:9].upper()}"
    if scheme == "standard":
        return f"msg_{marker}{token.hex[:27]}"
    if scheme in ("github", "shopify", "hmac"):
        return f"{marker}{token}"
    raise _unknown(scheme)


class Malformed(NamedTuple):
    """A malformed request before it is signed: the body to sign and send, and the status the
    receiver must answer once `malformed_headers` has spoiled the signed headers."""

    body: bytes
    status: int


def malformed(scheme: str, body: bytes) -> Malformed:
    """The sender's request with a defect that the receiver must refuse, made from `body`.

    - github, shopify: authentic, but without the delivery-id header (`malformed_headers`): 400;
    - stripe, slack (the delivery id is in the body): an authentic body that is not JSON: 400;
    - standard: `webhook-signature` without a value (`malformed_headers`): 401;
    - hmac: the signature without its configured prefix, or with one when none is configured
      (`malformed_headers`): 401.
    """
    if scheme in _ID_FIELDS:
        return Malformed(_NOT_JSON, _UNREADABLE)
    if scheme in ("github", "shopify"):
        return Malformed(body, _UNREADABLE)
    if scheme in ("standard", "hmac"):
        return Malformed(body, _UNVERIFIABLE)
    raise _unknown(scheme)


def malformed_headers(
    scheme: str, headers: Mapping[str, str], options: Mapping[str, object] | None = None
) -> dict[str, str]:
    """`headers`, as `sign` made them for a `malformed` body, with the sender's header defect
    (unchanged for senders whose defect is in the body)."""
    spoiled = dict(headers)
    named = {name.lower(): name for name in headers}
    if scheme == "github":
        del spoiled[named["x-github-delivery"]]
    elif scheme == "shopify":
        del spoiled[named["x-shopify-webhook-id"]]
    elif scheme == "standard":
        spoiled[named["webhook-signature"]] = "v1,"
    elif scheme == "hmac":
        name = named[signature_header(scheme, options)]
        prefix = str((options or {}).get("signature_prefix") or "")
        spoiled[name] = spoiled[name].removeprefix(prefix) if prefix else "sha256=" + spoiled[name]
    elif scheme not in _ID_FIELDS:  # those senders' defect is in the body
        raise _unknown(scheme)
    return spoiled


class Sample(NamedTuple):
    """A sample delivery: its body and the id and event type the receiver will extract."""

    body: bytes
    delivery_id: str
    event_type: str


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
    _check(scheme)
    event_type = event_type or EVENT_TYPES[scheme][0]
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


def _check(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise _unknown(scheme)


def _unknown(scheme: str) -> ValueError:
    return ValueError(f"unknown scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")


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


def _message(
    scheme: str, body: bytes, delivery_id: str, timestamp: str, options: Mapping[str, object]
) -> bytes:
    """What the sender's HMAC covers: the raw body, or the body framed by the delivery id and
    the timestamp it sends along."""
    if scheme in ("github", "shopify"):
        return body
    if scheme == "stripe":
        return timestamp.encode() + b"." + body
    if scheme == "slack":
        return b"v0:" + timestamp.encode() + b":" + body
    if scheme == "standard":
        return f"{delivery_id}.{timestamp}.".encode() + body
    if scheme != "hmac":
        raise _unknown(scheme)
    template = str(options.get("signed_content", "{body}"))
    head, found, tail = template.partition("{body}")
    if not found:
        raise ValueError(f"signed_content {template!r} has no {{body}}")
    values = {"{id}": delivery_id, "{timestamp}": timestamp}

    def filled(text: str) -> bytes:
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text.encode()

    return filled(head) + body + filled(tail)


def _sign_hmac(
    key: bytes,
    message: bytes,
    delivery_id: str,
    event_type: str,
    ts: str,
    options: Mapping[str, object],
) -> dict[str, str]:
    algorithm = str(options.get("algorithm", "sha256"))
    if algorithm not in ("sha256", "sha512", "sha1"):
        raise ValueError(f"algorithm {algorithm!r}; allowed: sha256, sha512, sha1")
    digest = _hmac(key, message, algorithm)
    encoding = options.get("encoding", "hex")
    if encoding == "hex":
        value = digest.hex()
    elif encoding == "base64":
        value = _b64(digest)
    else:
        raise ValueError(f"encoding {encoding!r}; allowed: hex, base64")
    headers = {
        "Content-Type": _JSON,
        str(options.get("signature_header", _HMAC_SIGNATURE_HEADER)): (
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
