"""Generic HMAC (scheme `hmac`): an HMAC, in a configured header, of the raw body or of a
template over the delivery id, the timestamp and the body.

Header, prefix, algorithm and encoding are options. `signed_content` says what is signed: by
default `{body}` (the raw body alone); `{id}.{timestamp}.{body}` for a sender that signs its
delivery id and timestamp headers too. The delivery id comes from a configured header, else it
is the body's SHA-256. The timestamp is checked for freshness (`tolerance_seconds` > 0) only
when it is signed: an unsigned timestamp can be set to "now" by anyone replaying a request.
Dedupe is by delivery id when the id is signed, else by content (`schemes.base.dedupe_option`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .. import Record
from ..delivery import COMMON_HEADERS, Delivery, delivery, required_header
from ..envelope import DEDUPE_BY_CONTENT, DEDUPE_BY_DELIVERY_ID
from ..signatures import (
    MALFORMED_SIGNATURE,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
    check_timestamp,
    match_base64,
    match_hex,
)
from .base import (
    MAX_TOLERANCE_SECONDS,
    Headers,
    Keys,
    Option,
    OptionError,
    Scheme,
    dedupe_option,
)

ALGORITHMS = ("sha256", "sha512", "sha1")
ENCODINGS = ("hex", "base64")
ID, TIMESTAMP, BODY = "{id}", "{timestamp}", "{body}"
PLACEHOLDERS = (ID, TIMESTAMP, BODY)
_TEMPLATE_RULE = (
    "a template of text and the placeholders {id}, {timestamp} and {body}, "
    "with {body} exactly once and no other braces"
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
    Option("algorithm", "choice", default="sha256", choices=ALGORITHMS),
    Option("encoding", "choice", default="hex", choices=ENCODINGS),
    Option("timestamp_header", "text", lower=True),
    Option("delivery_id_header", "text", lower=True),
    Option("event_type_header", "text", lower=True),
    Option(
        "signed_content",
        "text",
        default=BODY,
        description="what the HMAC covers: a template over {id}, {timestamp} and {body}",
    ),
    dedupe_option(None),
)


class HmacOptions(Record):
    __slots__ = (
        "algorithm",
        "delivery_id_header",
        "encoding",
        "event_type_header",
        "signature_header",
        "signature_prefix",
        "signed_after",
        "signed_before",
        "signs_id",
        "signs_timestamp",
        "timestamp_header",
        "tolerance_seconds",
    )

    def __init__(self, values: Mapping[str, Any]) -> None:
        """The typed options of validated `values` (`signed_content` split at `{body}`)."""
        self.tolerance_seconds: Final[int] = values["tolerance_seconds"]
        self.signature_header: Final[str] = values["signature_header"]
        self.signature_prefix: Final[str] = values["signature_prefix"]
        self.algorithm: Final[str] = values["algorithm"]
        self.encoding: Final[str] = values["encoding"]
        self.timestamp_header: Final[str | None] = values["timestamp_header"]
        self.delivery_id_header: Final[str | None] = values["delivery_id_header"]
        self.event_type_header: Final[str | None] = values["event_type_header"]
        template: str = values["signed_content"]
        before, _, after = template.partition(BODY)
        self.signed_before: Final = before
        """The template before `{body}` (placeholders `{id}`, `{timestamp}` still in it)."""
        self.signed_after: Final = after
        """The template after `{body}`."""
        self.signs_id: Final = ID in template
        self.signs_timestamp: Final = TIMESTAMP in template


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
    if any(p not in PLACEHOLDERS for p in found) or found.count(BODY) != 1:
        raise ValueError(_TEMPLATE_RULE)
    return found


def check(values: Mapping[str, Any], spell: Callable[[str], str]) -> None:
    """The template is well formed, names only configured headers, and a freshness check reads
    a timestamp the signature covers."""
    template_key = spell("signed_content")
    try:
        found = placeholders(values["signed_content"])
    except ValueError as error:
        raise OptionError(template_key, values["signed_content"], str(error)) from None
    for placeholder, header in ((ID, "delivery_id_header"), (TIMESTAMP, "timestamp_header")):
        if placeholder in found and values[header] is None:
            raise OptionError(
                spell(header),
                None,
                f"required with scheme hmac when {template_key} signs {placeholder}",
            )
    if values["tolerance_seconds"] > 0 and TIMESTAMP not in found:
        raise OptionError(
            spell("tolerance_seconds"),
            values["tolerance_seconds"],
            f"0 unless {template_key} signs {TIMESTAMP} (an unsigned timestamp proves nothing; "
            f"{template_key} is {values['signed_content']!r})",
        )


def automatic_dedupe(values: Mapping[str, Any]) -> str:
    """By delivery id only when the signature covers the id; else by content."""
    return DEDUPE_BY_DELIVERY_ID if ID in values["signed_content"] else DEDUPE_BY_CONTENT


def signed_message(options: HmacOptions, body: bytes, delivery_id: str, timestamp: str) -> bytes:
    """The bytes the HMAC covers: the template with the headers' values and the raw body."""

    def fill(part: str) -> bytes:
        text = part.replace(ID, delivery_id).replace(TIMESTAMP, timestamp)
        return text.encode("utf-8", "surrogatepass")

    if not options.signed_before and not options.signed_after:
        return body
    return fill(options.signed_before) + body + fill(options.signed_after)


def verify(options: HmacOptions, headers: Headers, body: bytes, keys: Keys, now: int) -> str | None:
    header = headers.get(options.signature_header)
    if not header:
        return MISSING_SIGNATURE
    if not header.startswith(options.signature_prefix) or not header.isascii():
        return MALFORMED_SIGNATURE
    timestamp = delivery_id = ""
    if options.signs_timestamp:
        timestamp = headers.get(options.timestamp_header or "", "")
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
    message = signed_message(options, body, delivery_id, timestamp)
    provided = header[len(options.signature_prefix) :].strip()
    if options.encoding == "hex":
        return match_hex(keys, message, options.algorithm, (provided.lower(),))
    return match_base64(keys, message, options.algorithm, (provided,))


def describe(options: HmacOptions, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    configured = options.delivery_id_header
    delivery_id = required_header(headers, configured) if configured else body_sha256
    event_type = headers.get(options.event_type_header, "") if options.event_type_header else ""
    kept = [name for name in (configured, options.event_type_header) if name]
    return delivery(delivery_id, event_type, headers, (*COMMON_HEADERS, *kept))


SCHEME: Scheme[HmacOptions] = Scheme(
    "hmac",
    HmacOptions,
    verify,
    describe,
    options=OPTIONS,
    check=check,
    automatic_dedupe=automatic_dedupe,
)
