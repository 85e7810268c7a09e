"""A signature (or a shared token) carried inside the JSON body (scheme `in-body`, and the family
of Mailgun, Adyen and Microsoft Graph): the body is parsed before it is verified, since that is
where the proof is.

- `items`: the body field holding a list of items, each verified (`notificationItems`,
  `value`); empty: the body itself is the one item. `item_field` unwraps each item
  (`NotificationRequestItem`).
- `hmac` mode: the HMAC of the `signed_fields` (paths in the item, `a.b` for nested ones;
  absent ones are empty) joined by `joiner`, in `encoding`, equals the text at
  `signature_field` (Mailgun: `signature.timestamp` + `signature.token` against
  `signature.signature`; Adyen: eight notification fields joined by `:` against
  `additionalData.hmacSignature`).
- `token` mode: the text at `signature_field` equals a secret (Graph's `clientState`).

With `timestamp_field` and `tolerance_seconds`, the signed timestamp must be fresh. The delivery
id is `delivery_id_field` of the first item when set (a field the signature covers), else the
body's SHA-256; the event type likewise from `event_type_field`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Final

from .. import Record
from ..delivery import (
    COMMON_HEADERS,
    Delivery,
    UnreadableDelivery,
    delivery,
    json_object,
    object_field,
)
from ..envelope import DEDUPE_BY_CONTENT, DEDUPE_BY_DELIVERY_ID
from ..signatures import (
    INVALID_SIGNATURE,
    MALFORMED_SIGNATURE,
    MAX_SIGNATURES,
    MISSING_SIGNATURE,
    check_timestamp,
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
    hex_key,
    named_handshake,
)

OPTIONS = (
    Option("mode", "choice", default="hmac", choices=("hmac", "token")),
    Option("items", "prefix", default="", description="the body field listing the items"),
    Option("item_field", "prefix", default="", description="the field wrapping each item"),
    Option("signed_fields", "prefix", default="", description="comma-separated item paths"),
    Option("joiner", "prefix", default="", description="the text between signed fields"),
    Option("signature_field", "text", default="signature"),
    Option("algorithm", "choice", default="sha256", choices=("sha256", "sha512", "sha1")),
    Option("encoding", "choice", default="hex", choices=("hex", "base64")),
    Option("timestamp_field", "text", description="the item's signed unix timestamp"),
    Option(
        "tolerance_seconds",
        "integer",
        default=0,
        low=0,
        high=MAX_TOLERANCE_SECONDS,
        description="maximum age of the signed timestamp in seconds; 0 turns the check off",
    ),
    Option("delivery_id_field", "text", description="the first item's field holding the id"),
    Option("event_type_field", "text", description="the first item's field holding the type"),
    Option("handshake", "choice", default="none", choices=("none", "microsoft-graph")),
    ACCEPTED_OPTION,
    dedupe_option(None),
)


class InBodyOptions(Record):
    __slots__ = (
        "accepted",
        "algorithm",
        "delivery_id_field",
        "encoding",
        "event_type_field",
        "handshake",
        "item_field",
        "items",
        "joiner",
        "signature_field",
        "signed_fields",
        "timestamp_field",
        "token",
        "tolerance_seconds",
    )

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.token: Final = values["mode"] == "token"
        self.items: Final[str] = values["items"]
        self.item_field: Final[str] = values["item_field"]
        fields: str = values["signed_fields"]
        self.signed_fields: Final = tuple(f.strip() for f in fields.split(",") if f.strip())
        self.joiner: Final[str] = values["joiner"]
        self.signature_field: Final[str] = values["signature_field"]
        self.algorithm: Final[str] = values["algorithm"]
        self.encoding: Final[str] = values["encoding"]
        self.timestamp_field: Final[str | None] = values["timestamp_field"]
        self.tolerance_seconds: Final[int] = values["tolerance_seconds"]
        self.delivery_id_field: Final[str | None] = values["delivery_id_field"]
        self.event_type_field: Final[str | None] = values["event_type_field"]
        self.handshake: Final[str] = values["handshake"]
        self.accepted: Final[str] = values["accepted"]


def check(values: Mapping[str, Any], spell: Callable[[str], str]) -> None:
    """HMAC mode signs some fields; a freshness check reads a signed timestamp."""
    fields = [f.strip() for f in values["signed_fields"].split(",") if f.strip()]
    if values["mode"] == "hmac" and not fields:
        raise OptionError(spell("signed_fields"), values["signed_fields"], "at least one path")
    if values["tolerance_seconds"] and values["timestamp_field"] not in fields:
        raise OptionError(
            spell("tolerance_seconds"),
            values["tolerance_seconds"],
            f"0 unless {spell('timestamp_field')} is one of the signed fields",
        )


def automatic_dedupe(values: Mapping[str, Any]) -> str:
    """By delivery id when the id is a signed field; else by content."""
    fields = [f.strip() for f in values["signed_fields"].split(",")]
    signed = values["mode"] == "hmac" and values["delivery_id_field"] in fields
    return DEDUPE_BY_DELIVERY_ID if signed else DEDUPE_BY_CONTENT


def _path(item: Mapping[str, object], path: str) -> object:
    """The value at `path` (`a.b`), None when absent; a key given twice on the way is a 400."""
    *parents, last = path.split(".")
    current: Mapping[str, object] | None = item
    for field in parents:
        current = object_field(current, field) if current is not None else None
    if current is None:
        return None
    if last in getattr(current, "duplicates", ()):
        raise UnreadableDelivery(f"body has the {last!r} key more than once")
    return current.get(last)


def _text(value: object) -> str:
    """A signed field as the sender writes it into the signed string (JSON scalars as text)."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value) if type(value) is int else ""


def items(options: InBodyOptions, body: bytes) -> list[Mapping[str, object]]:
    """The items the body's proof is in; raises `UnreadableDelivery` when there are none."""
    event = json_object(body)
    if not options.items:
        found: list[object] = [event]
    else:
        listed = _path(event, options.items)
        if not isinstance(listed, list) or not listed:
            raise UnreadableDelivery(f"body has no {options.items!r} list")
        found = listed
    if len(found) > MAX_SIGNATURES * 64:
        raise UnreadableDelivery("too many items")
    out: list[Mapping[str, object]] = []
    for item in found:
        inner = (
            item.get(options.item_field) if options.item_field and isinstance(item, dict) else item
        )
        if not isinstance(inner, dict):
            raise UnreadableDelivery("an item is not a JSON object")
        out.append(inner)
    return out


def verify(
    options: InBodyOptions, headers: Headers, body: bytes, keys: Keys, now: int
) -> str | None:
    try:
        found = items(options, body)
    except UnreadableDelivery:
        return MALFORMED_SIGNATURE
    for item in found:
        try:
            given = _path(item, options.signature_field)
        except UnreadableDelivery:
            return MALFORMED_SIGNATURE
        if not isinstance(given, str) or not given:
            return MISSING_SIGNATURE
        if not given.isascii() and not options.token:
            return MALFORMED_SIGNATURE
        if options.token:
            digest = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
            if not any([hmac.compare_digest(digest, hashlib.sha256(key).digest()) for key in keys]):
                return INVALID_SIGNATURE
            continue
        try:
            values = [_text(_path(item, field)) for field in options.signed_fields]
            stamp = _text(_path(item, options.timestamp_field)) if options.timestamp_field else ""
        except UnreadableDelivery:
            return MALFORMED_SIGNATURE
        if options.tolerance_seconds:
            reason = check_timestamp(stamp, now, options.tolerance_seconds)
            if reason:
                return reason
        message = options.joiner.join(values).encode("utf-8", "surrogatepass")
        if not _matches(options, keys, message, given):
            return INVALID_SIGNATURE
    return None


def _matches(options: InBodyOptions, keys: Keys, message: bytes, given: str) -> bool:
    matched = False
    for key in keys:
        digest = hmac.digest(key, message, options.algorithm)
        expected = digest.hex() if options.encoding == "hex" else base64.b64encode(digest).decode()
        candidate = given.lower() if options.encoding == "hex" else given
        matched |= hmac.compare_digest(expected, candidate)
    return matched


def describe(options: InBodyOptions, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    first = items(options, body)[0]
    delivery_id = body_sha256
    if options.delivery_id_field:
        delivery_id = _text(_path(first, options.delivery_id_field))
        if not delivery_id:
            raise UnreadableDelivery(f"body has no {options.delivery_id_field!r} string")
    event_type = _text(_path(first, options.event_type_field)) if options.event_type_field else ""
    return delivery(delivery_id, event_type, headers, COMMON_HEADERS)


def handshake(options: InBodyOptions) -> Handshake | None:
    return named_handshake(options.handshake, partial(verify, options))


SCHEME: Scheme[InBodyOptions] = Scheme(
    "in-body",
    InBodyOptions,
    verify,
    describe,
    options=OPTIONS,
    check=check,
    automatic_dedupe=automatic_dedupe,
    handshake=handshake,
    accepted=lambda options: options.accepted,
)

FAMILY = "in-body"

PRESETS: dict[str, dict[str, Any]] = {
    "adyen": {
        "about": About(
            FAMILY,
            "each notification item's pspReference:originalReference:merchantAccountCode:"
            "merchantReference:value:currency:eventCode:success: "
            "`additionalData.hmacSignature` = base64 HMAC-SHA256, key in hex",
            "https://docs.adyen.com/development-resources/webhooks/secure-webhooks/"
            "verify-hmac-signatures",
            "Adyen 16.0.0 (util.is_valid_hmac_notification) on the documentation's example",
        ),
        "fixed": {
            "items": "notificationItems",
            "item_field": "NotificationRequestItem",
            "signed_fields": "pspReference,originalReference,merchantAccountCode,"
            "merchantReference,amount.value,amount.currency,eventCode,success",
            "joiner": ":",
            "signature_field": "additionalData.hmacSignature",
            "encoding": "base64",
            "event_type_field": "eventCode",
            "accepted": "[accepted]",
        },
        "signing_key": hex_key,
        "development_secret": lambda entropy: entropy.hex().upper(),
    },
    "mailgun": {
        "about": About(
            FAMILY,
            "`signature.timestamp` + `signature.token` (the event data is not signed): "
            "`signature.signature` = hex HMAC-SHA256",
            "https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks",
            "mailgun 1.10.0 (SecurityGuard.verify_webhook)",
        ),
        "fixed": {
            "signed_fields": "signature.timestamp,signature.token",
            "signature_field": "signature.signature",
            "timestamp_field": "signature.timestamp",
            "tolerance_seconds": 900,
            "delivery_id_field": "signature.token",
            "event_type_field": "event-data.event",
        },
        "settable": ("tolerance_seconds",),
    },
    "microsoft-graph": {
        "about": About(
            FAMILY,
            "nothing: every notification's `clientState` equals the secret",
            "https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks",
            "the documentation's example notification",
            "POST `?validationToken=` echoed as text/plain",
        ),
        "fixed": {
            "mode": "token",
            "items": "value",
            "signature_field": "clientState",
            "event_type_field": "changeType",
            "handshake": "microsoft-graph",
        },
    },
}
"""The named senders of this family: their option values (`schemes.base.preset`)."""
