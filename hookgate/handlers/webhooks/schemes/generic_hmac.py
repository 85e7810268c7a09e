"""HMAC over a composed message (scheme `hmac`, and the family of the named senders that sign
that way): an HMAC, in one or more headers, of a template over the request.

`signed_content` says what is signed: by default `{body}` (the raw body alone). Its
placeholders are `{body}` (the raw bytes, at most once), `{id}` and `{timestamp}` (the
configured headers' values, or the timestamp from a `key=value` signature list), `{method}`,
`{url}` (the URL as the sender called it, query included: `request.url`) and `{form}` (a form
body's parameters sorted by name, each name followed by its value, as Twilio signs them).

The signature header holds one signature (after `signature_prefix`), or with `signature_list`
a list of `key=value` items split at that delimiter (`t=..,v1=..`, `ts=..;h1=..`): the
signatures are the `signature_key` items, the timestamp the `timestamp_key` item. A header
name with `{n}` is numbered: `x-docusign-signature-{n}` reads `-1`, `-2`, ... (one per key).

The delivery id comes from a configured header or a field of a JSON body (`a.b` for a nested
one), else it is the body's SHA-256; the event type likewise. The timestamp is checked for
freshness (`tolerance_seconds` > 0) only when it is signed. Dedupe is by delivery id when the
signature covers the id (a signed header, or a field of the signed body), else by content.
A named sender's handshake (`handshake`) is answered by `schemes/handshakes.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Final

from .. import Record
from ..delivery import Delivery, identify
from ..envelope import DEDUPE_BY_CONTENT, DEDUPE_BY_DELIVERY_ID
from ..request import call_of
from ..signatures import (
    MALFORMED_SIGNATURE,
    MAX_SIGNATURES,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
    check_timestamp,
    match_base64,
    match_hex,
)
from .base import (
    ACCEPTED_OPTION,
    MAX_TOLERANCE_SECONDS,
    About,
    Handshake,
    Headers,
    Keys,
    Option,
    OptionError,
    Scheme,
    dedupe_option,
    named_handshake,
)

ALGORITHMS = ("sha256", "sha512", "sha1")
ENCODINGS = ("hex", "base64")
HANDSHAKES = ("none", "meta", "dropbox", "zoom", "twitch", "woocommerce", "intercom")
ID, TIMESTAMP, BODY = "{id}", "{timestamp}", "{body}"
METHOD, URL, FORM = "{method}", "{url}", "{form}"
PLACEHOLDERS = (ID, TIMESTAMP, BODY, METHOD, URL, FORM)
NUMBERED = "{n}"
_TEMPLATE_RULE = (
    "a template of text and the placeholders {id}, {timestamp}, {body}, {method}, {url} and "
    "{form}, with {body} at most once and no other braces"
)

OPTIONS = (
    Option(
        "tolerance_seconds",
        "integer",
        default=0,
        low=0,
        high=MAX_TOLERANCE_SECONDS,
        description="maximum age of the timestamp header in seconds; 0 turns the check off",
    ),
    Option("signature_header", "text", default="x-signature", lower=True),
    Option("signature_prefix", "prefix", default="", description="text before the signature"),
    Option(
        "signature_list",
        "prefix",
        default="",
        description="the delimiter of a key=value signature list (e.g. ','); empty: one value",
    ),
    Option("signature_key", "text", default="v1", description="a signature's key in the list"),
    Option("timestamp_key", "text", default="t", description="the timestamp's key in the list"),
    Option("algorithm", "choice", default="sha256", choices=ALGORITHMS),
    Option("encoding", "choice", default="hex", choices=ENCODINGS),
    Option("timestamp_header", "text", lower=True),
    Option("delivery_id_header", "text", lower=True),
    Option("delivery_id_field", "text", description="the JSON body's field holding the id"),
    Option("event_type_header", "text", lower=True),
    Option("event_type_field", "text", description="the JSON body's field holding the type"),
    Option(
        "signed_content",
        "text",
        default=BODY,
        description="what the HMAC covers: a template over the request (see the scheme)",
    ),
    Option(
        "url_unescape",
        "prefix",
        default="",
        description="percent-escapes decoded in {url} before signing, e.g. '%3A%2F' (HubSpot)",
    ),
    Option("handshake", "choice", default="none", choices=HANDSHAKES),
    Option("verify_token", "text", description="the verify token a Meta app's setup sends"),
    ACCEPTED_OPTION,
    dedupe_option(None),
)


class HmacOptions(Record):
    __slots__ = (
        "accepted",
        "algorithm",
        "delivery_id_field",
        "delivery_id_header",
        "encoding",
        "event_type_field",
        "event_type_header",
        "handshake",
        "numbered",
        "parts",
        "reads_call",
        "signature_header",
        "signature_key",
        "signature_list",
        "signature_prefix",
        "signs_id",
        "signs_timestamp",
        "sources",
        "timestamp_header",
        "timestamp_key",
        "tolerance_seconds",
        "url_unescape",
        "verify_token",
    )

    def __init__(self, values: Mapping[str, Any]) -> None:
        """The typed options of validated `values` (`signed_content` split into parts)."""
        self.tolerance_seconds: Final[int] = values["tolerance_seconds"]
        self.signature_header: Final[str] = values["signature_header"]
        self.numbered: Final = NUMBERED in self.signature_header
        self.signature_prefix: Final[str] = values["signature_prefix"]
        self.signature_list: Final[str] = values["signature_list"]
        self.signature_key: Final[str] = values["signature_key"]
        self.timestamp_key: Final[str] = values["timestamp_key"]
        self.algorithm: Final[str] = values["algorithm"]
        self.encoding: Final[str] = values["encoding"]
        self.timestamp_header: Final[str | None] = values["timestamp_header"]
        self.delivery_id_header: Final[str | None] = values["delivery_id_header"]
        self.delivery_id_field: Final[str | None] = values["delivery_id_field"]
        self.event_type_header: Final[str | None] = values["event_type_header"]
        self.event_type_field: Final[str | None] = values["event_type_field"]
        self.sources: Final = (
            self.delivery_id_header,
            self.delivery_id_field,
            self.event_type_header,
            self.event_type_field,
        )
        """Where the delivery id and the event type are (`delivery.identify`)."""
        self.handshake: Final[str] = values["handshake"]
        self.verify_token: Final[str | None] = values["verify_token"]
        self.accepted: Final[str] = values["accepted"]
        escapes: str = values["url_unescape"]
        self.url_unescape: Final = tuple(escapes[i : i + 3] for i in range(0, len(escapes), 3))
        """The percent-escapes decoded in `{url}` (HubSpot's list)."""
        template: str = values["signed_content"]
        self.parts: Final = tuple(_split(template))
        """The template as literal texts and placeholders, in order (empty: the body alone)."""
        self.signs_id: Final = ID in template
        self.signs_timestamp: Final = TIMESTAMP in template
        self.reads_call: Final = METHOD in template or URL in template
        """Whether the message needs the request's method or URL (`request.Call`)."""


def _split(template: str) -> list[str]:
    """`template` as literal texts and placeholders; `[]` when it is the body alone."""
    if template == BODY:
        return []
    parts = []
    head, *pieces = template.split("{")
    if head:
        parts.append(head)
    for piece in pieces:
        name, _, tail = piece.partition("}")
        parts.append("{" + name + "}")
        if tail:
            parts.append(tail)
    return parts


def placeholders(template: str) -> list[str]:
    """The placeholders of a `signed_content` template; ValueError unless it is one.

    Split at each `{` rather than matched with a regular expression: compiling one at import
    cost about 65 µs of the ingest function's cold start (timed after `import boto3`)."""
    head, *pieces = template.split("{")
    if "}" in head:
        raise ValueError(_TEMPLATE_RULE)
    found = []
    for piece in pieces:
        name, closed, tail = piece.partition("}")
        if not closed or "}" in tail:
            raise ValueError(_TEMPLATE_RULE)
        found.append("{" + name + "}")
    if not found or any(p not in PLACEHOLDERS for p in found) or found.count(BODY) > 1:
        raise ValueError(_TEMPLATE_RULE)
    return found


def check(values: Mapping[str, Any], spell: Callable[[str], str]) -> None:
    """The template is well formed, names only configured sources, a freshness check reads a
    timestamp the signature covers, and a handshake has what it needs."""
    template_key = spell("signed_content")
    try:
        found = placeholders(values["signed_content"])
    except ValueError as error:
        raise OptionError(template_key, values["signed_content"], str(error)) from None
    if ID in found and values["delivery_id_header"] is None:
        raise OptionError(
            spell("delivery_id_header"),
            None,
            f"required with scheme hmac when {template_key} signs {ID}",
        )
    if TIMESTAMP in found and values["timestamp_header"] is None and not values["signature_list"]:
        raise OptionError(
            spell("timestamp_header"),
            None,
            f"required with scheme hmac when {template_key} signs {TIMESTAMP} "
            f"and {spell('signature_list')} is empty",
        )
    if values["tolerance_seconds"] > 0 and TIMESTAMP not in found:
        raise OptionError(
            spell("tolerance_seconds"),
            values["tolerance_seconds"],
            f"0 unless {template_key} signs {TIMESTAMP} (an unsigned timestamp proves nothing; "
            f"{template_key} is {values['signed_content']!r})",
        )
    escapes = values["url_unescape"]
    if len(escapes) % 3 or any(
        escapes[i] != "%" or not _is_hex(escapes[i + 1 : i + 3]) for i in range(0, len(escapes), 3)
    ):
        raise OptionError(spell("url_unescape"), escapes, "percent-escapes such as '%3A%2F'")
    if values["handshake"] == "meta" and values["verify_token"] is None:
        raise OptionError(spell("verify_token"), None, "required with the meta handshake")


def _is_hex(text: str) -> bool:
    return len(text) == 2 and all(c in "0123456789abcdefABCDEF" for c in text)


def automatic_dedupe(values: Mapping[str, Any]) -> str:
    """By delivery id only when the signature covers the id; else by content."""
    template = values["signed_content"]
    signed_field = values["delivery_id_field"] is not None and BODY in template
    return DEDUPE_BY_DELIVERY_ID if ID in template or signed_field else DEDUPE_BY_CONTENT


def form_text(body: bytes) -> str:
    """A form body's parameters sorted by name and then value, a repeated pair once, each name
    followed by its value, decoded as the sender encoded them (Twilio's signed string: its
    library sorts `set(params)` and each name's `set(values)`)."""
    from urllib.parse import parse_qsl  # only the senders that sign a form pay for it

    pairs = parse_qsl(body.decode("utf-8", "surrogateescape"), keep_blank_values=True)
    return "".join(name + value for name, value in sorted(set(pairs)))


def signed_message(
    options: HmacOptions, headers: Headers, body: bytes, delivery_id: str, timestamp: str
) -> bytes:
    """The bytes the HMAC covers: the template filled in from the request, each placeholder
    replaced once (a value that itself reads `{timestamp}` stays as sent)."""
    if not options.parts:
        return body
    values = {ID: delivery_id, TIMESTAMP: timestamp}
    if options.reads_call:
        call = call_of(headers)
        url = call.url
        for escape in options.url_unescape:
            decoded = chr(int(escape[1:], 16))
            url = url.replace(escape, decoded).replace(escape.lower(), decoded)
        values[METHOD], values[URL] = call.method, url
    if FORM in options.parts:
        values[FORM] = form_text(body)
    return b"".join(
        [
            body if part == BODY else values.get(part, part).encode("utf-8", "surrogatepass")
            for part in options.parts
        ]
    )


def _signatures(options: HmacOptions, headers: Headers) -> tuple[list[str], str, str | None]:
    """(signatures, timestamp from the list, the 401 reason) of the signature header(s)."""
    if options.numbered:
        values = []
        for number in range(1, MAX_SIGNATURES + 1):
            value = headers.get(options.signature_header.replace(NUMBERED, str(number)))
            if value is None:
                break
            values.append(value)
        if not values:
            return [], "", MISSING_SIGNATURE
    else:
        header = headers.get(options.signature_header)
        if not header:
            return [], "", MISSING_SIGNATURE
        values = [header]
    prefix = options.signature_prefix
    for value in values:
        if not value.isascii() or not value.startswith(prefix):
            return [], "", MALFORMED_SIGNATURE
    if not options.signature_list:
        return [value[len(prefix) :].strip() for value in values], "", None
    timestamp = None
    signatures = []
    for item in values[0][len(prefix) :].split(options.signature_list):
        key, _, value = item.strip().partition("=")
        if key == options.timestamp_key and timestamp is None:
            timestamp = value
        elif key == options.signature_key and value:
            signatures.append(value)
    if not signatures or len(signatures) > MAX_SIGNATURES:
        return [], "", MALFORMED_SIGNATURE
    return signatures, timestamp or "", None


def verify(options: HmacOptions, headers: Headers, body: bytes, keys: Keys, now: int) -> str | None:
    if options.parts or options.numbered or options.signature_list:
        return _verify_composed(options, headers, body, keys, now)
    # The body alone under one header (GitHub-like senders): no message to compose.
    header = headers.get(options.signature_header)
    if not header:
        return MISSING_SIGNATURE
    prefix = options.signature_prefix
    if not header.isascii() or not header.startswith(prefix):
        return MALFORMED_SIGNATURE
    provided = header[len(prefix) :].strip()
    if options.encoding == "hex":
        return match_hex(keys, body, options.algorithm, (provided.lower(),))
    return match_base64(keys, body, options.algorithm, (provided,))


def _verify_composed(
    options: HmacOptions, headers: Headers, body: bytes, keys: Keys, now: int
) -> str | None:
    signatures, timestamp, reason = _signatures(options, headers)
    if reason:
        return reason
    delivery_id = ""
    if options.signs_timestamp:
        if options.timestamp_header:
            timestamp = headers.get(options.timestamp_header, "")
        if not timestamp:
            return MISSING_TIMESTAMP
        if options.tolerance_seconds:
            reason = check_timestamp(timestamp, now, options.tolerance_seconds)
            if reason:
                return reason
    if options.signs_id:
        delivery_id = headers.get(options.delivery_id_header or "", "")
        if not delivery_id:
            return MALFORMED_SIGNATURE  # the signed id is part of the signature's input
    message = signed_message(options, headers, body, delivery_id, timestamp)
    if options.encoding == "hex":
        return match_hex(keys, message, options.algorithm, [s.lower() for s in signatures])
    return match_base64(keys, message, options.algorithm, signatures)


def describe(options: HmacOptions, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    return identify(headers, body, body_sha256, options.sources)


def handshake(options: HmacOptions) -> Handshake | None:
    """The named sender's handshake (`schemes/handshakes.py`, imported only by those)."""
    return named_handshake(options.handshake, partial(verify, options), options.verify_token)


SCHEME: Scheme[HmacOptions] = Scheme(
    "hmac",
    HmacOptions,
    verify,
    describe,
    options=OPTIONS,
    check=check,
    automatic_dedupe=automatic_dedupe,
    handshake=handshake,
    accepted=lambda options: options.accepted,
)

FAMILY = "hmac"

PRESETS: dict[str, dict[str, Any]] = {
    "bitbucket": {
        "about": About(
            FAMILY,
            "the raw body: `X-Hub-Signature: sha256=<hex HMAC-SHA256>`",
            "https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/",
            "computed from the documented composition (no official library)",
        ),
        "fixed": {
            "signature_header": "x-hub-signature",
            "signature_prefix": "sha256=",
            "delivery_id_header": "x-request-uuid",
            "event_type_header": "x-event-key",
        },
    },
    "hubspot": {
        "about": About(
            FAMILY,
            "method + URL (partly decoded) + body + `X-HubSpot-Request-Timestamp`: "
            "`X-HubSpot-Signature-v3: <base64 HMAC-SHA256>`",
            "https://developers.hubspot.com/docs/apps/developer-platform/build-apps/"
            "authentication/request-validation",
            "hubspot-api-client 12.0.0 (Signature.get_signature)",
        ),
        "fixed": {
            "signature_header": "x-hubspot-signature-v3",
            "encoding": "base64",
            "timestamp_header": "x-hubspot-request-timestamp",
            "signed_content": "{method}{url}{body}{timestamp}",
            "url_unescape": "%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B",
        },
    },
    "intercom": {
        "about": About(
            FAMILY,
            "the raw body: `X-Hub-Signature: sha1=<hex HMAC-SHA1>`",
            "https://developers.intercom.com/intercom-api-reference/v1.0/reference/"
            "signed-notifications",
            "computed from the documented composition (no official library)",
            "HEAD when the endpoint is saved, answered 200",
        ),
        "fixed": {
            "signature_header": "x-hub-signature",
            "signature_prefix": "sha1=",
            "algorithm": "sha1",
            "delivery_id_field": "id",
            "event_type_field": "topic",
            "handshake": "intercom",
        },
    },
    "jira": {
        "about": About(
            FAMILY,
            "the raw body: `X-Hub-Signature: sha256=<hex HMAC-SHA256>` (admin webhooks)",
            "https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks",
            "the documentation's worked example",
        ),
        "fixed": {
            "signature_header": "x-hub-signature",
            "signature_prefix": "sha256=",
            "event_type_field": "webhookEvent",
        },
    },
    "lemonsqueezy": {
        "about": About(
            FAMILY,
            "the raw body: `X-Signature: <hex HMAC-SHA256>`",
            "https://docs.lemonsqueezy.com/help/webhooks/signing-requests",
            "computed from the documented composition (no official library)",
        ),
        "fixed": {
            "signature_header": "x-signature",
            "event_type_field": "meta.event_name",
            "accepted": "json-200",
        },
    },
    "linear": {
        "about": About(
            FAMILY,
            "the raw body: `Linear-Signature: <hex HMAC-SHA256>`",
            "https://linear.app/developers/webhooks#securing-webhooks",
            "computed from the composition in Linear's SDK source (no PyPI library)",
        ),
        "fixed": {"signature_header": "linear-signature", "event_type_field": "type"},
    },
    "square": {
        "about": About(
            FAMILY,
            "the notification URL + the body: "
            "`x-square-hmacsha256-signature: <base64 HMAC-SHA256>`",
            "https://developer.squareup.com/docs/webhooks/step3validate",
            "squareup 46.0.0.20260916 (webhooks_helper.verify_signature)",
        ),
        "fixed": {
            "signature_header": "x-square-hmacsha256-signature",
            "encoding": "base64",
            "signed_content": "{url}{body}",
            "delivery_id_field": "event_id",
            "event_type_field": "type",
        },
    },
    "calendly": {
        "about": About(
            FAMILY,
            "`{t}.{body}`: `Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256>`",
            "https://developer.calendly.com/docs/webhooks/overview",
            "computed from the documented composition (no official library)",
        ),
        "fixed": {
            "signature_header": "calendly-webhook-signature",
            "signature_list": ",",
            "signed_content": "{timestamp}.{body}",
            "tolerance_seconds": 300,
            "event_type_field": "event",
        },
        "settable": ("tolerance_seconds",),
    },
    "circleci": {
        "about": About(
            FAMILY,
            "the raw body: `circleci-signature: v1=<hex HMAC-SHA256>[,...]`",
            "https://circleci.com/docs/outbound-webhooks",
            "the documentation's worked example and verify_signature",
        ),
        "fixed": {
            "signature_header": "circleci-signature",
            "signature_list": ",",
            "delivery_id_field": "id",
            "event_type_field": "type",
        },
    },
    "coinbase-commerce": {
        "about": About(
            FAMILY,
            "the raw body: `X-CC-Webhook-Signature: <hex HMAC-SHA256>`",
            "https://docs.cdp.coinbase.com/commerce/api-arcitecture/webhooks-security",
            "coinbase-commerce 1.0.1 (WebhookSignature.verify_sig_header)",
        ),
        "fixed": {
            "signature_header": "x-cc-webhook-signature",
            "delivery_id_field": "id",
            "event_type_field": "event.type",
            "accepted": "json-200",
        },
    },
    "docusign": {
        "about": About(
            FAMILY,
            "the raw body: `X-DocuSign-Signature-1..N: <base64 HMAC-SHA256>`, one per key",
            "https://developers.docusign.com/platform/webhooks/connect/validate",
            "computed from the documented composition (no official library)",
        ),
        "fixed": {
            "signature_header": "x-docusign-signature-{n}",
            "encoding": "base64",
            "event_type_field": "event",
        },
    },
    "dropbox": {
        "about": About(
            FAMILY,
            "the raw body: `X-Dropbox-Signature: <hex HMAC-SHA256>`",
            "https://www.dropbox.com/developers/reference/webhooks",
            "computed from the documented composition; a third-party test vector",
            "GET `?challenge=` echoed as text/plain with nosniff",
        ),
        "fixed": {
            "signature_header": "x-dropbox-signature",
            "handshake": "dropbox",
            "accepted": "json-200",
        },
    },
    "meta": {
        "about": About(
            FAMILY,
            "the raw body: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256>` (App Secret)",
            "https://developers.facebook.com/docs/graph-api/webhooks/getting-started",
            "computed from the documented composition (no official PyPI library)",
            "GET `hub.mode=subscribe`, `hub.verify_token` checked, `hub.challenge` echoed",
        ),
        "fixed": {
            "signature_header": "x-hub-signature-256",
            "signature_prefix": "sha256=",
            "event_type_field": "object",
            "handshake": "meta",
        },
        "required": ("verify_token",),
    },
    "mux": {
        "about": About(
            FAMILY,
            "`{t}.{body}`: `Mux-Signature: t=<unix>,v1=<hex HMAC-SHA256>`",
            "https://www.mux.com/docs/core/verify-webhook-signatures",
            "computed from the documented composition (no PyPI verifier)",
        ),
        "fixed": {
            "signature_header": "mux-signature",
            "signature_list": ",",
            "signed_content": "{timestamp}.{body}",
            "tolerance_seconds": 300,
            "delivery_id_field": "id",
            "event_type_field": "type",
        },
        "settable": ("tolerance_seconds",),
    },
    "pagerduty": {
        "about": About(
            FAMILY,
            "the raw body: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256>[,v1=...]`",
            "https://github.com/PagerDuty/developer-docs/blob/main/docs/webhooks/04-Signatures.md",
            "the documentation's PagerDutyVerifier, run verbatim",
        ),
        "fixed": {
            "signature_header": "x-pagerduty-signature",
            "signature_list": ",",
            "delivery_id_field": "event.id",
            "event_type_field": "event.event_type",
        },
    },
    "paddle": {
        "about": About(
            FAMILY,
            "`{ts}:{body}`: `Paddle-Signature: ts=<unix>;h1=<hex HMAC-SHA256>`",
            "https://developer.paddle.com/webhooks/about/signature-verification",
            "paddle-python-sdk 1.16.1 (Verifier)",
        ),
        "fixed": {
            "signature_header": "paddle-signature",
            "signature_list": ";",
            "signature_key": "h1",
            "timestamp_key": "ts",
            "signed_content": "{timestamp}:{body}",
            "tolerance_seconds": 5,
            "delivery_id_field": "notification_id",
            "event_type_field": "event_type",
        },
        "settable": ("tolerance_seconds",),
    },
    "sentry": {
        "about": About(
            FAMILY,
            "the raw body: `Sentry-Hook-Signature: <hex HMAC-SHA256>`",
            "https://docs.sentry.io/integrations/integration-platform/webhooks/",
            "computed with Sentry's own build_signature (no verifier library)",
        ),
        "fixed": {
            "signature_header": "sentry-hook-signature",
            "delivery_id_header": "request-id",
            "event_type_header": "sentry-hook-resource",
        },
    },
    "twitch": {
        "about": About(
            FAMILY,
            "message id + timestamp + body: "
            "`Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256>`",
            "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/",
            "Twitch's own sample verifySignature, run under node",
            "POST `webhook_callback_verification`, verified, `challenge` echoed as text",
        ),
        "fixed": {
            "signature_header": "twitch-eventsub-message-signature",
            "signature_prefix": "sha256=",
            "delivery_id_header": "twitch-eventsub-message-id",
            "timestamp_header": "twitch-eventsub-message-timestamp",
            "signed_content": "{id}{timestamp}{body}",
            "event_type_field": "subscription.type",
            "handshake": "twitch",
        },
    },
    "typeform": {
        "about": About(
            FAMILY,
            "the raw body: `Typeform-Signature: sha256=<base64 HMAC-SHA256>`",
            "https://www.typeform.com/developers/webhooks/secure-your-webhooks/",
            "computed from the documented composition (no official library)",
        ),
        "fixed": {
            "signature_header": "typeform-signature",
            "signature_prefix": "sha256=",
            "encoding": "base64",
            "delivery_id_field": "event_id",
            "event_type_field": "event_type",
        },
    },
    "twilio": {
        "about": About(
            FAMILY,
            "the URL + the form's parameters sorted, each name then value: "
            "`X-Twilio-Signature: <base64 HMAC-SHA1>` (form bodies)",
            "https://www.twilio.com/docs/usage/webhooks/webhooks-security",
            "twilio 9.13.0 (RequestValidator) and the documentation's worked example",
        ),
        "fixed": {
            "signature_header": "x-twilio-signature",
            "algorithm": "sha1",
            "encoding": "base64",
            "signed_content": "{url}{form}",
        },
    },
    "vercel": {
        "about": About(
            FAMILY,
            "the raw body: `x-vercel-signature: <hex HMAC-SHA1>`",
            "https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks",
            "computed from the documented composition (no official library)",
        ),
        "fixed": {
            "signature_header": "x-vercel-signature",
            "algorithm": "sha1",
            "delivery_id_field": "id",
            "event_type_field": "type",
        },
    },
    "woocommerce": {
        "about": About(
            FAMILY,
            "the raw body: `X-WC-Webhook-Signature: <base64 HMAC-SHA256>`",
            "https://developer.woocommerce.com/docs/apis/rest-api/v3/webhooks/",
            "WooCommerce's own signing expression, run in PHP 8.2",
            "POST ping `webhook_id=<n>` (unsigned) answered 200",
        ),
        "fixed": {
            "signature_header": "x-wc-webhook-signature",
            "encoding": "base64",
            "delivery_id_header": "x-wc-webhook-delivery-id",
            "event_type_header": "x-wc-webhook-topic",
            "handshake": "woocommerce",
        },
    },
    "zoom": {
        "about": About(
            FAMILY,
            "`v0:{x-zm-request-timestamp}:{body}`: `x-zm-signature: v0=<hex HMAC-SHA256>`",
            "https://developers.zoom.us/docs/api/webhooks",
            "Zoom Rivet's verifier, run under node",
            "POST `endpoint.url_validation`, verified, answered with the token's HMAC",
        ),
        "fixed": {
            "signature_header": "x-zm-signature",
            "signature_prefix": "v0=",
            "timestamp_header": "x-zm-request-timestamp",
            "signed_content": "v0:{timestamp}:{body}",
            "tolerance_seconds": 300,
            "event_type_field": "event",
            "handshake": "zoom",
        },
        "settable": ("tolerance_seconds",),
    },
    "xero": {
        "about": About(
            FAMILY,
            "the raw body: `x-xero-signature: <base64 HMAC-SHA256>`; 200 with no body, 401 "
            "for a wrong signature (intent to receive)",
            "https://developer.xero.com/documentation/webhooks/configuring-your-server",
            "computed from the documented composition (no official library)",
            "status contract: 200 empty when signed, 401 when not",
        ),
        "fixed": {
            "signature_header": "x-xero-signature",
            "encoding": "base64",
            "accepted": "empty",
        },
    },
}
"""The named senders of this family: their option values (`schemes.base.preset`)."""
