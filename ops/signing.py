"""Sender-side signing: the headers GitHub, Stripe, Shopify, Slack, Standard Webhooks or a
generic HMAC sender would send with a body, so the operator CLI and the tests can produce
deliveries the ingest function must accept.

Deliberately independent of `hookgate/handlers/webhooks/signatures.py` (the receiving side): each
scheme
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
from collections.abc import Callable, Mapping
from typing import NamedTuple
from urllib.parse import urlencode

SCHEMES = (
    "github",
    "stripe",
    "shopify",
    "slack",
    "standard",
    "hmac",
    "token",
    "basic",
    "in-body",
    "adyen",
    "auth0",
    "bitbucket",
    "calendly",
    "circleci",
    "clerk",
    "coinbase-commerce",
    "datadog",
    "docusign",
    "dropbox",
    "gitlab",
    "hubspot",
    "intercom",
    "jira",
    "lemonsqueezy",
    "linear",
    "mailgun",
    "meta",
    "microsoft-graph",
    "mux",
    "okta",
    "openai",
    "paddle",
    "pagerduty",
    "postmark",
    "replicate",
    "resend",
    "sentry",
    "square",
    "twilio",
    "twitch",
    "typeform",
    "vercel",
    "woocommerce",
    "xero",
    "zoom",
)
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
    "token": ("",),
    "basic": ("",),
    "auth0": ("",),
    "bitbucket": ("repo:push", "pullrequest:created"),
    "clerk": ("user.created", "session.created"),
    "gitlab": ("Push Hook", "Merge Request Hook"),
    "hubspot": ("",),
    "jira": ("jira:issue_created", "jira:issue_updated"),
    "linear": ("Issue", "Comment"),
    "okta": ("com.okta.event_hook",),
    "openai": ("response.completed", "batch.completed"),
    "postmark": ("Delivery", "Bounce"),
    "resend": ("email.delivered", "email.bounced"),
    "square": ("customer.created", "payment.updated"),
    "twilio": ("",),
    "in-body": ("",),
    "adyen": ("AUTHORISATION", "CAPTURE"),
    "calendly": ("invitee.created", "invitee.canceled"),
    "datadog": ("",),
    "docusign": ("envelope-completed", "envelope-sent"),
    "dropbox": ("",),
    "mailgun": ("delivered", "failed"),
    "meta": ("whatsapp_business_account", "page"),
    "microsoft-graph": ("created", "updated"),
    "mux": ("video.asset.ready", "video.asset.errored"),
    "paddle": ("transaction.completed", "subscription.updated"),
    "replicate": ("",),
    "sentry": ("issue", "error"),
    "twitch": ("channel.follow", "stream.online"),
    "typeform": ("form_response",),
    "vercel": ("deployment.created", "deployment.succeeded"),
    "woocommerce": ("order.created", "order.updated"),
    "xero": ("",),
    "zoom": ("meeting.started", "meeting.ended"),
    "circleci": ("workflow-completed", "job-completed"),
    "coinbase-commerce": ("charge:created", "charge:confirmed"),
    "intercom": ("contact.user.created", "conversation.user.replied"),
    "lemonsqueezy": ("order_created", "subscription_updated"),
    "pagerduty": ("incident.triggered", "incident.resolved"),
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
_ID_FIELDS = {
    "stripe": "id",
    "slack": "event_id",
    "square": "event_id",
    "okta": "eventId",
    "mux": "id",
    "paddle": "notification_id",
    "typeform": "event_id",
    "vercel": "id",
    "circleci": "id",
    "coinbase-commerce": "id",
    "intercom": "id",
}
# The named senders beyond the first six, each as its documentation describes its request
# (docs/senders.md cites the pages): the header that carries the signature or token, and the
# headers that carry the delivery id and the event type.
_SENDER_HEADERS = {
    "token": ("Authorization", None, None),
    "basic": ("Authorization", None, None),
    "auth0": ("Authorization", None, None),
    "okta": ("Authorization", None, None),
    "postmark": ("Authorization", None, None),
    "gitlab": ("X-Gitlab-Token", "Idempotency-Key", "X-Gitlab-Event"),
    "bitbucket": ("X-Hub-Signature", "X-Request-UUID", "X-Event-Key"),
    "jira": ("X-Hub-Signature", "X-Atlassian-Webhook-Identifier", None),
    "linear": ("Linear-Signature", "Linear-Delivery", "Linear-Event"),
    "twilio": ("X-Twilio-Signature", None, None),
    "square": ("x-square-hmacsha256-signature", None, None),
    "hubspot": ("X-HubSpot-Signature-v3", None, None),
    "clerk": ("svix-signature", None, None),
    "resend": ("svix-signature", None, None),
    "openai": ("webhook-signature", None, None),
    "replicate": ("webhook-signature", None, None),
    "datadog": ("Authorization", None, None),
    "calendly": ("Calendly-Webhook-Signature", None, None),
    "mux": ("Mux-Signature", None, None),
    "paddle": ("Paddle-Signature", None, None),
    "typeform": ("Typeform-Signature", None, None),
    "vercel": ("x-vercel-signature", None, None),
    "woocommerce": ("X-WC-Webhook-Signature", "X-WC-Webhook-Delivery-ID", "X-WC-Webhook-Topic"),
    "meta": ("X-Hub-Signature-256", None, None),
    "dropbox": ("X-Dropbox-Signature", None, None),
    "twitch": ("Twitch-Eventsub-Message-Signature", "Twitch-Eventsub-Message-Id", None),
    "zoom": ("x-zm-signature", None, None),
    "sentry": ("Sentry-Hook-Signature", "Request-ID", "Sentry-Hook-Resource"),
    "xero": ("x-xero-signature", None, None),
    "docusign": ("X-DocuSign-Signature-1", None, None),
    "circleci": ("circleci-signature", None, "circleci-event-type"),
    "coinbase-commerce": ("X-CC-Webhook-Signature", None, None),
    "intercom": ("X-Hub-Signature", None, None),
    "lemonsqueezy": ("X-Signature", None, "X-Event-Name"),
    "pagerduty": ("X-PagerDuty-Signature", None, None),
    "in-body": ("", None, None),
    "adyen": ("", None, None),
    "mailgun": ("", None, None),
    "microsoft-graph": ("", None, None),
}
_SVIX = ("clerk", "resend")  # Svix's header names; OpenAI and Replicate send Standard Webhooks'
_STANDARD = ("openai", "replicate")
_BASIC = ("basic", "postmark")
_VERBATIM = ("token", "auth0", "okta", "gitlab")  # the secret itself is the header's value
# Senders that count only a 200 as delivered (their documentation), answered so by the receiver.
_ANSWERED_200 = ("coinbase-commerce", "lemonsqueezy", "postmark", "dropbox", "xero", "adyen")
_IN_BODY = ("in-body", "adyen", "mailgun", "microsoft-graph")  # the proof is in the body
_TIMESTAMP_HEADERS = {
    "hubspot": "X-HubSpot-Request-Timestamp",
    "zoom": "x-zm-request-timestamp",
    "twitch": "Twitch-Eventsub-Message-Timestamp",
}
# The receiver finds no delivery id in these senders' requests: it keys them by the body's hash.
_CONTENT_ID = (
    "token",
    "basic",
    "auth0",
    "hubspot",
    "jira",
    "linear",
    "postmark",
    "twilio",
    "datadog",
    "calendly",
    "meta",
    "dropbox",
    "zoom",
    "xero",
    "docusign",
    "lemonsqueezy",
    "in-body",
    "adyen",
    "microsoft-graph",
)
# HubSpot decodes these escapes in the URL before signing (its request-validation page).
_HUBSPOT_DECODED = (
    "%3A",
    "%2F",
    "%3F",
    "%40",
    "%21",
    "%24",
    "%27",
    "%28",
    "%29",
    "%2A",
    "%2C",
    "%3B",
)
DEFAULT_URL = "https://hooks.example.com/webhooks/sender"


def sign(
    scheme: str,
    secret: str,
    body: bytes,
    *,
    delivery_id: str,
    event_type: str = "",
    timestamp: int | None = None,
    options: Mapping[str, object] | None = None,
    url: str = DEFAULT_URL,
) -> dict[str, str]:
    """The HTTP headers a real `scheme` sender would send with `body`, signed with `secret`.

    `timestamp` (unix seconds) defaults to now. `url` is where the request goes: Twilio,
    Square and HubSpot sign it. Stripe and Slack carry the delivery id and the
    event type in the body (see `sample`), so for them those arguments only matter there.
    Raises `ValueError` for an unknown scheme or unusable options.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    options = options or {}
    if scheme in _SENDER_HEADERS:
        return _sign_sender(scheme, secret, body, delivery_id, event_type, ts, options, url)
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


def _sign_sender(
    scheme: str,
    secret: str,
    body: bytes,
    delivery_id: str,
    event_type: str,
    ts: str,
    options: Mapping[str, object],
    url: str,
) -> dict[str, str]:
    """The request headers of a named sender beyond the first six (`_SENDER_HEADERS`)."""
    header, id_header, type_header = _SENDER_HEADERS[scheme]
    content_type = "application/x-www-form-urlencoded" if scheme == "twilio" else _JSON
    headers = {"Content-Type": content_type}
    if scheme in _IN_BODY:  # the proof is in the body (`sign_body`)
        return headers
    ts = _sender_timestamp(scheme, ts)
    if scheme in _TIMESTAMP_HEADERS:
        headers[_TIMESTAMP_HEADERS[scheme]] = ts
    if scheme in _SVIX or scheme in _STANDARD:
        names = (
            ("svix-id", "svix-timestamp")
            if scheme in _SVIX
            else ("webhook-id", "webhook-timestamp")
        )
        headers[names[0]], headers[names[1]] = delivery_id, ts
    if scheme == "twitch":
        headers["Twitch-Eventsub-Message-Type"] = "notification"
    message = _sender_message(scheme, body, delivery_id, ts, url)
    key = secret.encode()
    if scheme in ("token", "datadog"):
        header = str(options.get("token_header") or header)
        value = str(options.get("token_prefix") or "") + secret
    elif scheme in _VERBATIM:
        value = secret
    elif scheme in _BASIC:
        value = "Basic " + _b64(secret.encode())
    elif scheme in ("bitbucket", "jira", "meta", "twitch"):
        value = "sha256=" + _hmac(key, message, "sha256").hex()
    elif scheme in ("linear", "dropbox", "sentry", "coinbase-commerce", "lemonsqueezy"):
        value = _hmac(key, message, "sha256").hex()
    elif scheme in ("circleci", "pagerduty"):
        value = "v1=" + _hmac(key, message, "sha256").hex()
    elif scheme == "intercom":
        value = "sha1=" + _hmac(key, message, "sha1").hex()
    elif scheme == "vercel":
        value = _hmac(key, message, "sha1").hex()
    elif scheme == "twilio":
        value = _b64(_hmac(key, message, "sha1"))
    elif scheme in ("square", "hubspot", "woocommerce", "xero", "docusign"):
        value = _b64(_hmac(key, message, "sha256"))
    elif scheme == "typeform":
        value = "sha256=" + _b64(_hmac(key, message, "sha256"))
    elif scheme == "zoom":
        value = "v0=" + _hmac(key, message, "sha256").hex()
    elif scheme in ("calendly", "mux"):
        value = f"t={ts},v1=" + _hmac(key, message, "sha256").hex()
    elif scheme == "paddle":
        value = f"ts={ts};h1=" + _hmac(key, message, "sha256").hex()
    else:  # Svix and Standard Webhooks
        value = "v1," + _b64(_hmac(standard_key(secret), message, "sha256"))
    headers[header] = value
    if id_header:
        headers[id_header] = delivery_id
    if type_header:
        headers[type_header] = event_type
    return headers


def _sender_timestamp(scheme: str, ts: str) -> str:
    """The sender's timestamp for unix seconds `ts`: HubSpot's is in milliseconds, Twitch's
    RFC 3339 with nanoseconds."""
    if scheme == "hubspot":
        return ts + "000"
    if scheme == "twitch":
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(ts)))
        return f"{moment}.123456789Z"
    return ts


def _sender_message(scheme: str, body: bytes, delivery_id: str, ts: str, url: str) -> bytes:
    """What a named sender beyond the first six signs (empty for those that sign nothing)."""
    if scheme in _VERBATIM or scheme in _BASIC or scheme in _IN_BODY or scheme == "datadog":
        return b""
    if scheme in _SVIX or scheme in _STANDARD:
        return f"{delivery_id}.{ts}.".encode() + body
    if scheme == "twilio":  # the URL, then each form parameter's name and value, sorted
        from urllib.parse import parse_qsl

        pairs = sorted(set(parse_qsl(body.decode(), keep_blank_values=True)))
        return (url + "".join(name + value for name, value in pairs)).encode()
    if scheme == "square":
        return url.encode() + body
    if scheme == "hubspot":
        for escape in _HUBSPOT_DECODED:
            url = url.replace(escape, chr(int(escape[1:], 16)))
        return b"POST" + url.encode() + body + ts.encode()
    if scheme in ("calendly", "mux"):
        return ts.encode() + b"." + body
    if scheme == "paddle":
        return ts.encode() + b":" + body
    if scheme == "zoom":
        return b"v0:" + ts.encode() + b":" + body
    if scheme == "twitch":
        return delivery_id.encode() + ts.encode() + body
    return body


def sign_body(
    scheme: str,
    secret: str,
    body: bytes,
    options: Mapping[str, object] | None = None,
) -> bytes:
    """The body a sender that signs inside it sends (Mailgun, Adyen, Microsoft Graph, the
    `in-body` family): `body` with the signature or shared token put where the sender puts
    it. Any other sender's body is returned as it is."""
    if scheme not in _IN_BODY:
        return body
    data = json.loads(body)
    if scheme == "mailgun":  # hex HMAC-SHA256 of timestamp + token
        proof = data["signature"]
        message = (str(proof["timestamp"]) + str(proof["token"])).encode()
        proof["signature"] = _hmac(secret.encode(), message, "sha256").hex()
    elif scheme == "adyen":  # base64 HMAC-SHA256 of eight fields joined by ':', hex key
        for wrapper in data["notificationItems"]:
            item = wrapper["NotificationRequestItem"]
            amount = item.get("amount", {})
            fields = (
                item.get("pspReference", ""),
                item.get("originalReference", ""),
                item.get("merchantAccountCode", ""),
                item.get("merchantReference", ""),
                amount.get("value", ""),
                amount.get("currency", ""),
                item.get("eventCode", ""),
                item.get("success", ""),
            )
            message = ":".join(str(field) for field in fields).encode()
            signature = _b64(_hmac(bytes.fromhex(secret), message, "sha256"))
            item.setdefault("additionalData", {})["hmacSignature"] = signature
    elif scheme == "microsoft-graph":  # the subscription's clientState in every notification
        for notification in data["value"]:
            notification["clientState"] = secret
    else:  # the in-body family, as its provider's options say
        return _sign_in_body(secret, data, options or {})
    return json.dumps(data).encode()


def _sign_in_body(secret: str, data: dict, options: Mapping[str, object]) -> bytes:
    listed = str(options.get("items") or "")
    wrapper = str(options.get("item_field") or "")
    items = [data] if not listed else data[listed]
    for entry in items:
        item = entry[wrapper] if wrapper else entry
        target = str(options.get("signature_field") or "signature")
        if options.get("mode") == "token":
            _put(item, target, secret)
            continue
        fields = [f.strip() for f in str(options.get("signed_fields", "")).split(",")]
        message = str(options.get("joiner") or "").join(_get(item, f) for f in fields).encode()
        digest = _hmac(secret.encode(), message, str(options.get("algorithm") or "sha256"))
        _put(item, target, _b64(digest) if options.get("encoding") == "base64" else digest.hex())
    return json.dumps(data).encode()


def _get(item: dict, path: str) -> str:
    for field in path.split("."):
        item = item.get(field, {}) if isinstance(item, dict) else {}
    return "" if item == {} else str(item)


def _put(item: dict, path: str, value: str) -> None:
    *parents, last = path.split(".")
    for field in parents:
        item = item.setdefault(field, {})
    item[last] = value


def shared_secret_schemes() -> tuple[str, ...]:
    """Every registered scheme but the public-key ones: those a provider needs only its secret
    for (the drill checks it can sign each; the bench's payloads have a secret for each)."""
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
    url: str = DEFAULT_URL,
) -> bytes:
    """The exact bytes the sender's HMAC covers in this request (headers as `sign` made them,
    names in any case): what a verifier has to hash at the least (nothing for a token)."""
    sent = {name.lower(): value for name, value in headers.items()}
    options = options or {}
    delivery_id = timestamp = ""
    if scheme == "mailgun":  # the signature object in the body
        proof = json.loads(body)["signature"]
        return (str(proof["timestamp"]) + str(proof["token"])).encode()
    if scheme in _SENDER_HEADERS:
        delivery_id = sent.get("svix-id") or sent.get("webhook-id", "")
        delivery_id = delivery_id or sent.get("twitch-eventsub-message-id", "")
        timestamp = sent.get("svix-timestamp") or sent.get("webhook-timestamp", "")
        if scheme in _TIMESTAMP_HEADERS:
            timestamp = sent[_TIMESTAMP_HEADERS[scheme].lower()]
        if scheme in ("calendly", "mux", "paddle"):  # the timestamp leads the signature list
            first = sent[_SENDER_HEADERS[scheme][0].lower()].split(
                "," if scheme != "paddle" else ";"
            )[0]
            timestamp = first.partition("=")[2]
        return _sender_message(scheme, body, delivery_id, timestamp, url)
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


def drillable(scheme: str) -> bool:
    """Whether the drill can send as this sender: its body is JSON (Twilio posts a form), the
    receiver keys it by the sender's own delivery id (the drill marks its poison deliveries in
    the id), its signature does not cover the URL (the drill signs without one), it is not
    inside the body (the drill adds its fields after signing), and the sender takes the 202
    the drill expects (not those that count only a 200 as delivered); and it signs with a
    secret (a public-key sender signs with the local stack's keys, `ops.pubkey_signing`)."""
    return scheme not in (*_CONTENT_ID, *_IN_BODY, *_ANSWERED_200, "square", *PUBLIC_KEY_SCHEMES)


def reads_options(scheme: str) -> bool:
    """Whether the sender signs according to its provider's options (header names, prefix,
    algorithm, template): only the generic HMAC and token senders do."""
    if scheme in PUBLIC_KEY_SCHEMES:
        return False  # ops.pubkey_signing: each signs its one documented way
    _check(scheme)
    return scheme in ("hmac", "token")


def signature_header(scheme: str, options: Mapping[str, object] | None = None) -> str:
    """The (lower-case) name of the header in which the sender sends its signature (empty for
    a sender that signs inside the body)."""
    if scheme == "hmac":
        return str((options or {}).get("signature_header") or _HMAC_SIGNATURE_HEADER).lower()
    _check(scheme)
    if scheme == "token":
        return str((options or {}).get("token_header") or "authorization").lower()
    if scheme in _SENDER_HEADERS:
        return _SENDER_HEADERS[scheme][0].lower()
    return _SIGNATURE_HEADERS[scheme]


def id_fields(scheme: str, delivery_id: str) -> dict[str, str]:
    """The top-level body fields that carry `delivery_id` for this sender (none when a header
    carries it): what a made-up body needs for the receiver to find the delivery id."""
    _check(scheme)
    return {_ID_FIELDS[scheme]: delivery_id} if scheme in _ID_FIELDS else {}


def body_fields(scheme: str, delivery_id: str, timestamp: int) -> dict[str, object]:
    """The top-level fields a made-up body needs for the receiver to find its delivery id and,
    for Mailgun, its signature (`sign_body` fills the signature in)."""
    if scheme == "mailgun":
        proof = {"token": delivery_id, "timestamp": str(timestamp), "signature": ""}
        return {"signature": proof}
    return dict(id_fields(scheme, delivery_id))


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
    if scheme in ("standard", *_SVIX, "openai"):
        return f"msg_{marker}{token.hex[:27]}"
    if scheme in ("github", "shopify", "hmac") or scheme in _SENDER_HEADERS:
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
      (`malformed_headers`): 401;
    - the other named senders: without the header carrying the signature or token: 401.
    """
    if scheme in _IN_BODY:  # a body the proof cannot be read from
        return Malformed(_NOT_JSON, _UNVERIFIABLE)
    if scheme in _SENDER_HEADERS:  # without its signature or token header
        return Malformed(body, _UNVERIFIABLE)
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
    if scheme in _IN_BODY:  # the defect is in the body
        pass
    elif scheme in _SENDER_HEADERS:
        del spoiled[named[signature_header(scheme, options)]]
    elif scheme == "github":
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
    """A realistic JSON (Twilio: form) body for `scheme`, carrying the sender's id field where
    it has one (Stripe `id`, Slack `event_id`); missing ids and event types are made up. For a
    sender whose requests carry no delivery id, the id is the body's SHA-256 (the receiver's).
    `size` pads the body with a `padding` field to exactly that many bytes (when larger than
    the bare body).
    For Slack, `event_type="url_verification"` gives the handshake body (challenge = the id).
    """
    _check(scheme)
    event_type = event_type or EVENT_TYPES[scheme][0]
    delivery_id = delivery_id or new_delivery_id(scheme)
    ts = int(time.time()) if timestamp is None else timestamp
    data = _sample_data(scheme, delivery_id, event_type, ts)
    encode = _form if scheme == "twilio" else _json
    body = encode(data)
    if size is not None and size > len(body):
        data["padding"] = ""
        filler = size - len(encode(data))
        data["padding"] = "x" * max(filler, 0)
        body = encode(data)
    if scheme in _CONTENT_ID:  # the receiver keys these by the body's SHA-256
        delivery_id = hashlib.sha256(body).hexdigest()
    return Sample(body, delivery_id, event_type)


def _json(data: dict[str, object]) -> bytes:
    return json.dumps(data).encode()


def _form(data: dict[str, object]) -> bytes:
    from urllib.parse import urlencode

    return urlencode({name: str(value) for name, value in data.items()}).encode()


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
    if scheme in ("standard", *_SVIX, "openai", "linear"):
        return {"type": event_type, "timestamp": ts, "data": {"id": delivery_id}}
    named = _named_sample(scheme, delivery_id, event_type, ts)
    if named is not None:
        return named
    if scheme == "square":
        return {"merchant_id": "MOPS", "type": event_type, "event_id": delivery_id, "data": {}}
    if scheme == "okta":
        return {"eventType": event_type, "eventId": delivery_id, "data": {"events": []}}
    if scheme == "postmark":
        return {"RecordType": event_type, "MessageID": delivery_id, "Recipient": "a@example.com"}
    if scheme == "jira":
        return {"webhookEvent": event_type, "timestamp": ts, "issue": {"id": delivery_id}}
    if scheme == "twilio":
        return {"MessageSid": "SM" + delivery_id.replace("-", "")[:32], "SmsStatus": "delivered"}
    if scheme == "hubspot":
        return {"eventId": delivery_id, "subscriptionType": "contact.creation", "occurredAt": ts}
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


def _named_sample(
    scheme: str, delivery_id: str, event_type: str, ts: int
) -> dict[str, object] | None:
    """The sample body of a named sender beyond the first fifteen, shaped as its documentation's
    examples (None for the others)."""
    samples: dict[str, dict[str, object]] = {
        "replicate": {"id": delivery_id, "status": "succeeded", "output": "hello"},
        "datadog": {"id": delivery_id, "event_type": "metric_alert_monitor", "date": ts},
        "calendly": {"event": event_type, "created_at": ts, "payload": {"uri": delivery_id}},
        "mux": {"type": event_type, "id": delivery_id, "data": {"status": "ready"}},
        "paddle": {
            "event_id": "evt_" + delivery_id[-12:],
            "event_type": event_type,
            "notification_id": delivery_id,
            "data": {},
        },
        "typeform": {"event_id": delivery_id, "event_type": event_type, "form_response": {}},
        "vercel": {"id": delivery_id, "type": event_type, "payload": {}},
        "woocommerce": {"id": 4750, "status": "completed", "ops_sample": delivery_id},
        "meta": {"object": event_type, "entry": [{"id": delivery_id, "changes": []}]},
        "dropbox": {"list_folder": {"accounts": ["dbid:" + delivery_id]}},
        "twitch": {
            "subscription": {"type": event_type, "version": "2"},
            "event": {"user_id": "1234", "ops_sample": delivery_id},
        },
        "zoom": {"event": event_type, "payload": {"object": {"id": delivery_id}}, "event_ts": ts},
        "sentry": {"action": "created", "data": {"issue": {"id": delivery_id}}},
        "xero": {
            "events": [],
            "firstEventSequence": 1,
            "lastEventSequence": 1,
            "entropy": delivery_id,
        },
        "docusign": {"event": event_type, "data": {"envelopeId": delivery_id}},
        "mailgun": {
            "signature": {"token": delivery_id, "timestamp": str(ts), "signature": ""},
            "event-data": {"event": event_type, "id": delivery_id},
        },
        "adyen": {
            "live": "false",
            "notificationItems": [
                {
                    "NotificationRequestItem": {
                        "amount": {"currency": "EUR", "value": 1130},
                        "eventCode": event_type,
                        "merchantAccountCode": "OpsMerchant",
                        "merchantReference": delivery_id,
                        "pspReference": "7914073381342284",
                        "success": "true",
                    }
                }
            ],
        },
        "microsoft-graph": {
            "value": [
                {
                    "id": delivery_id,
                    "subscriptionId": "ops",
                    "clientState": "",
                    "changeType": event_type,
                    "resource": "users/ops",
                }
            ]
        },
        "in-body": {"id": delivery_id, "type": event_type, "signature": ""},
        "circleci": {"id": delivery_id, "type": event_type, "happened_at": ts},
        "coinbase-commerce": {
            "id": delivery_id,
            "attempt_number": 1,
            "event": {"type": event_type, "data": {"code": "OPS"}},
        },
        "intercom": {"type": "notification_event", "id": delivery_id, "topic": event_type},
        "lemonsqueezy": {"meta": {"event_name": event_type}, "data": {"id": delivery_id}},
        "pagerduty": {"event": {"id": delivery_id, "event_type": event_type}},
    }
    return samples.get(scheme)


def keyed_by_content(scheme: str) -> bool:
    """Whether the receiver keys this sender's deliveries by the SHA-256 of the body as sent
    (no delivery id in its requests)."""
    if scheme in PUBLIC_KEY_SCHEMES:  # SendGrid's batch and Plaid's webhooks carry no id
        return scheme in ("sendgrid", "plaid")
    _check(scheme)
    return scheme in _CONTENT_ID


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


class HandshakeStep(NamedTuple):
    """One request of a sender's handshake and how the sender judges the answer: `check`
    takes (status, lower-case headers, body) and returns what is wrong, or None."""

    method: str
    query: str
    headers: dict[str, str]
    body: bytes
    check: Callable[[int, Mapping[str, str], bytes], str | None]


HANDSHAKES = (
    "meta",
    "dropbox",
    "okta",
    "zoom",
    "twitch",
    "microsoft-graph",
    "woocommerce",
    "intercom",
    "xero",
    "discord",
    "aws-sns",
)
"""The senders that make a handshake (or, Xero, an intent-to-receive check) before sending;
the public-key ones (Discord's PING, SNS's subscription confirmation) are signed by
`ops.pubkey_signing.handshake`."""


def handshake(
    scheme: str,
    secret: str,
    *,
    options: Mapping[str, object] | None = None,
    timestamp: int | None = None,
) -> list[HandshakeStep]:
    """The requests of the sender's handshake, each with the check the sender applies to the
    answer (from its documentation: docs/senders.md cites the pages). Raises `ValueError` for
    a sender without one."""
    options = options or {}
    ts = int(time.time()) if timestamp is None else timestamp
    challenge = uuid.uuid4().hex

    def status(expected: int) -> Callable[[int, Mapping[str, str], bytes], str | None]:
        def check(code: int, headers: Mapping[str, str], body: bytes) -> str | None:
            return None if code == expected else f"status {code}, expected {expected}"

        return check

    def echo(code: int, headers: Mapping[str, str], body: bytes) -> str | None:
        if code != 200 or body != challenge.encode():
            return f"status {code} body {body[:80]!r}, expected 200 and the challenge"
        return None

    if scheme == "meta":
        token = str(options.get("verify_token") or "")
        query = urlencode(
            {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": token}
        )
        return [HandshakeStep("GET", query, {}, b"", echo)]
    if scheme == "dropbox":

        def plain_echo(code: int, headers: Mapping[str, str], body: bytes) -> str | None:
            if headers.get("x-content-type-options") != "nosniff":
                return "no X-Content-Type-Options: nosniff"
            if not headers.get("content-type", "").startswith("text/plain"):
                return f"content type {headers.get('content-type')!r}, expected text/plain"
            return echo(code, headers, body)

        return [HandshakeStep("GET", urlencode({"challenge": challenge}), {}, b"", plain_echo)]
    if scheme == "okta":

        def verification(code: int, headers: Mapping[str, str], body: bytes) -> str | None:
            try:
                answered = json.loads(body).get("verification")
            except (ValueError, AttributeError):
                answered = None
            return None if code == 200 and answered == challenge else f"status {code} {body!r}"

        header = str(options.get("token_header") or "Authorization")
        sent = {"X-Okta-Verification-Challenge": challenge, header: secret}
        return [HandshakeStep("GET", "", sent, b"", verification)]
    if scheme == "zoom":
        body = json.dumps(
            {
                "payload": {"plainToken": challenge},
                "event_ts": ts * 1000,
                "event": "endpoint.url_validation",
            }
        ).encode()
        expected = _hmac(secret.encode(), challenge.encode(), "sha256").hex()

        def encrypted(code: int, headers: Mapping[str, str], answer: bytes) -> str | None:
            try:
                data = json.loads(answer)
            except ValueError:
                data = {}
            wanted = {"plainToken": challenge, "encryptedToken": expected}
            return None if code == 200 and data == wanted else f"status {code} {answer!r}"

        headers = sign("zoom", secret, body, delivery_id="", timestamp=ts)
        return [HandshakeStep("POST", "", headers, body, encrypted)]
    if scheme == "twitch":
        body = json.dumps(
            {"challenge": challenge, "subscription": {"type": "channel.follow", "version": "2"}}
        ).encode()
        headers = sign("twitch", secret, body, delivery_id=str(uuid.uuid4()), timestamp=ts)
        headers["Twitch-Eventsub-Message-Type"] = "webhook_callback_verification"
        return [HandshakeStep("POST", "", headers, body, echo)]
    if scheme == "microsoft-graph":
        token = f"Validation: Testing client application reachability {challenge}"

        def token_echo(code: int, headers: Mapping[str, str], body: bytes) -> str | None:
            if code != 200 or body != token.encode():
                return f"status {code} body {body[:80]!r}, expected 200 and the token"
            return None

        return [HandshakeStep("POST", urlencode({"validationToken": token}), {}, b"", token_echo)]
    if scheme == "woocommerce":
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return [HandshakeStep("POST", "", form, b"webhook_id=3", status(200))]
    if scheme == "intercom":
        return [HandshakeStep("HEAD", "", {}, b"", status(200))]
    if scheme in PUBLIC_KEY_SCHEMES:
        raise ValueError(f"{scheme!r} signs with its private key: ops.pubkey_signing.handshake")
    if scheme == "xero":  # intent to receive: 200 with no body when signed, 401 when not
        body = json.dumps(
            {"events": [], "lastEventSequence": 0, "firstEventSequence": 0, "entropy": challenge}
        ).encode()
        signed = sign("xero", secret, body, delivery_id="")
        forged = {**signed, "x-xero-signature": _b64(b"\0" * 32)}

        def empty_200(code: int, headers: Mapping[str, str], answer: bytes) -> str | None:
            return None if code == 200 and answer == b"" else f"status {code} body {answer!r}"

        return [
            HandshakeStep("POST", "", signed, body, empty_200),
            HandshakeStep("POST", "", forged, body, status(401)),
        ]
    raise ValueError(
        f"sender {scheme!r} makes no handshake; those that do: {', '.join(HANDSHAKES)}"
    )
