"""Generic HMAC (scheme `hmac`): an HMAC of the raw body in a configured header.

Header, prefix, algorithm and encoding are options. The delivery id comes from a configured
header, else it is the body's SHA-256; an optional timestamp header is checked for freshness
(`tolerance_seconds` > 0), but neither header is covered by the signature.
"""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ..delivery import COMMON_HEADERS, Delivery, delivery, required_header
from ..signatures import (
    MALFORMED_SIGNATURE,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
    check_timestamp,
    match_base64,
    match_hex,
)
from .base import Headers, Keys, Option, OptionError, Scheme
from .timestamped import MAX_TOLERANCE_SECONDS

ALGORITHMS = ("sha256", "sha512", "sha1")
ENCODINGS = ("hex", "base64")

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
)


class HmacOptions(NamedTuple):
    tolerance_seconds: int
    signature_header: str
    signature_prefix: str
    algorithm: str
    encoding: str
    timestamp_header: str | None
    delivery_id_header: str | None
    event_type_header: str | None


def check(values: Mapping[str, Any], spell: Callable[[str], str]) -> None:
    """A freshness check needs the header it reads."""
    if values["tolerance_seconds"] > 0 and values["timestamp_header"] is None:
        raise OptionError(
            spell("timestamp_header"),
            None,
            f"required with scheme hmac when {spell('tolerance_seconds')} > 0",
        )


def configure(values: Mapping[str, Any]) -> HmacOptions:
    return HmacOptions(**{name: values[name] for name in HmacOptions._fields})


def verify(options: HmacOptions, headers: Headers, body: bytes, keys: Keys, now: int) -> str | None:
    header = headers.get(options.signature_header)
    if not header:
        return MISSING_SIGNATURE
    if not header.startswith(options.signature_prefix) or not header.isascii():
        return MALFORMED_SIGNATURE
    if options.tolerance_seconds:
        timestamp = headers.get(options.timestamp_header or "")
        if not timestamp:
            return MISSING_TIMESTAMP
        reason = check_timestamp(timestamp, now, options.tolerance_seconds)
        if reason:
            return reason
    provided = header[len(options.signature_prefix) :].strip()
    if options.encoding == "hex":
        return match_hex(keys, body, options.algorithm, (provided.lower(),))
    return match_base64(keys, body, options.algorithm, (provided,))


def describe(options: HmacOptions, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    configured = options.delivery_id_header
    delivery_id = required_header(headers, configured) if configured else body_sha256
    event_type = headers.get(options.event_type_header, "") if options.event_type_header else ""
    kept = [name for name in (configured, options.event_type_header) if name]
    return delivery(delivery_id, event_type, headers, (*COMMON_HEADERS, *kept))


SCHEME: Scheme[HmacOptions] = Scheme(
    "hmac", configure, verify, describe, options=OPTIONS, check=check
)
