"""Ed25519 over the sender's composed message: `discord` and `telnyx` (presets of one family).

Each sender signs `<timestamp><separator><raw body>` with its private key and sends the
signature and the timestamp in two headers; the receiver holds only the public key (the
`publicKey` option, several separated by commas during a rotation). Nothing here is secret, so
the provider's secret is not read by the verifier (any placeholder value; `describe_secret`).

`cryptography` is imported on first use only (when a provider of this family is configured), so
a function without one imports nothing more (docs/design.md, "Public-key senders").
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from .. import Record
from ..delivery import (
    COMMON_HEADERS,
    Answer,
    Delivery,
    UnreadableDelivery,
    body_text,
    delivery,
    json_object,
    object_field,
    optional_text,
)
from ..envelope import json_string
from ..signatures import (
    INVALID_SIGNATURE,
    MALFORMED_SIGNATURE,
    MISSING_SIGNATURE,
    MISSING_TIMESTAMP,
    check_timestamp,
)
from .base import (
    TOLERANCE,
    About,
    Handshake,
    Headers,
    Keys,
    Option,
    OptionError,
    Scheme,
    dedupe_option,
)
from .publickeys import PUBLIC_KEY_LIMIT, split_keys

ED25519_KEY_BYTES = 32
ED25519_SIGNATURE_BYTES = 64


class Sender(Record):
    """A sender of this family as data: its headers, how it encodes keys and signatures, what
    it puts between the timestamp and the body, where its delivery id and event type are, and
    the documentation that says so."""

    __slots__ = (
        "about",
        "encoding",
        "id_path",
        "separator",
        "signature_header",
        "timestamp_header",
        "type_path",
    )

    def __init__(
        self,
        signature_header: str,
        timestamp_header: str,
        separator: bytes,
        encoding: str,
        id_path: tuple[str, ...],
        type_path: tuple[str, ...],
        about: About,
    ) -> None:
        self.signature_header: Final = signature_header
        self.timestamp_header: Final = timestamp_header
        self.separator: Final = separator
        self.encoding: Final = encoding
        """`hex` or `base64`: how the key option and the signature header are written."""
        self.id_path: Final = id_path
        self.type_path: Final = type_path
        self.about: Final = about
        """Its catalogue entry, with the documentation page that says all of the above."""


SENDERS: dict[str, Sender] = {
    # https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers
    # hex public key and signature over timestamp + body; the PING (type 1) is answered PONG.
    "discord": Sender(
        "x-signature-ed25519",
        "x-signature-timestamp",
        b"",
        "hex",
        ("id",),
        ("type",),
        About(
            "ed25519",
            "`X-Signature-Timestamp` + body, Ed25519 (hex `X-Signature-Ed25519`) with the"
            " `publicKey` the application shows; timestamp within 300 s",
            "https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers",
            "`discord-interactions` `verify_key`; vectors signed by PyNaCl"
            " (tests/handlers/test_pubkey_signatures.py)",
            'PING (type 1), verified, answered `{"type": 1}` (PONG)',
        ),
    ),
    # https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks : base64 public
    # key (Mission Control) and signature over "{timestamp}|{body}"; the event is `data`.
    "telnyx": Sender(
        "telnyx-signature-ed25519",
        "telnyx-timestamp",
        b"|",
        "base64",
        ("data", "id"),
        ("data", "event_type"),
        About(
            "ed25519",
            "`telnyx-timestamp`, a vertical bar, then the body, Ed25519 (base64"
            " `telnyx-signature-ed25519`) with the `publicKey` Mission Control shows; timestamp"
            " within 300 s",
            "https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks",
            "PyNaCl `VerifyKey`, as Telnyx's Python SDK verifies"
            " (tests/handlers/test_pubkey_signatures.py)",
        ),
    ),
}
"""Each sender of this family (the scheme name) → its data."""

PUBLIC_KEY = Option(
    "public_key",
    "text",
    default=None,
    description="the sender's Ed25519 public key(s), comma-separated during a rotation",
)


class Ed25519Options(Record):
    """A configured provider: its sender's data, its public keys and its timestamp bound."""

    __slots__ = ("keys", "sender", "tolerance_seconds")

    def __init__(self, sender: Sender, keys: tuple[Any, ...], tolerance_seconds: int) -> None:
        self.sender: Final = sender
        self.keys: Final = keys
        """`cryptography` Ed25519 public keys, loaded once per container."""
        self.tolerance_seconds: Final = tolerance_seconds


def _decode(text: str, encoding: str) -> bytes:
    """Bytes of hex or base64 text; `ValueError` when it is neither."""
    try:
        if encoding == "hex":
            return bytes.fromhex(text)
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError(f"not {encoding} text") from None


def _raw_keys(sender: Sender, text: str) -> list[bytes]:
    keys = []
    for part in split_keys(text):
        raw = _decode(part, sender.encoding)
        if len(raw) != ED25519_KEY_BYTES:
            raise ValueError(f"an Ed25519 public key is {ED25519_KEY_BYTES} bytes")
        keys.append(raw)
    return keys


def _family(name: str) -> Scheme[Ed25519Options]:
    sender = SENDERS[name]
    allowed = (
        f"{sender.encoding} text of a {ED25519_KEY_BYTES}-byte Ed25519 public key, at most"
        f" {PUBLIC_KEY_LIMIT} separated by commas"
    )

    def check(values: Mapping[str, Any], spell: Any) -> None:
        text = values.get("public_key")
        if text is None:
            raise OptionError(spell("public_key"), None, f"required with scheme {name}: {allowed}")
        try:
            _raw_keys(sender, text)
        except ValueError as error:
            raise OptionError(spell("public_key"), text, f"{allowed} ({error})") from None

    def configure(values: Mapping[str, Any]) -> Ed25519Options:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        keys = tuple(
            Ed25519PublicKey.from_public_bytes(raw)
            for raw in _raw_keys(sender, values["public_key"])
        )
        return Ed25519Options(sender, keys, values["tolerance_seconds"])

    return Scheme(
        name,
        configure,
        verify,
        describe,
        options=(PUBLIC_KEY, TOLERANCE, dedupe_option("deliveryId")),
        check=check,
        check_secret=_no_secret,
        handshake=HANDSHAKES.get(name),
        about=sender.about,
    )


def _no_secret(secret: str) -> None:
    """Nothing of these senders is secret: the provider's secret is not read."""


def verify(
    options: Ed25519Options, headers: Headers, body: bytes, keys: Keys, now: int
) -> str | None:
    from cryptography.exceptions import InvalidSignature

    sender = options.sender
    signature_text = headers.get(sender.signature_header)
    if not signature_text:
        return MISSING_SIGNATURE
    timestamp = headers.get(sender.timestamp_header)
    if not timestamp:
        return MISSING_TIMESTAMP
    reason = check_timestamp(timestamp, now, options.tolerance_seconds)
    if reason:
        return reason
    try:
        signature = _decode(signature_text, sender.encoding)
    except ValueError:
        return MALFORMED_SIGNATURE
    if len(signature) != ED25519_SIGNATURE_BYTES:
        return MALFORMED_SIGNATURE
    message = timestamp.encode() + sender.separator + body
    for key in options.keys:
        try:
            key.verify(signature, message)
        except InvalidSignature:
            continue
        return None
    return INVALID_SIGNATURE


def _text_at(event: Mapping[str, object], path: tuple[str, ...], required: bool) -> str:
    current: Mapping[str, object] | None = event
    for field in path[:-1]:
        current = object_field(current, field) if current is not None else None
    if current is None:
        current = {}
    last = path[-1]
    value = current.get(last)
    if type(value) is int:  # Discord's interaction type is a number
        return str(value)
    if required:
        return body_text(current, last)
    return optional_text(current, last)


def describe(options: Ed25519Options, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    event = json_object(body)
    sender = options.sender
    return delivery(
        _text_at(event, sender.id_path, True),
        _text_at(event, sender.type_path, False),
        headers,
        COMMON_HEADERS,
    )


DISCORD_PING = 1
"""An interaction of type 1 is Discord's PING; the answer is `{"type": 1}` (PONG)."""


def discord_ping(options: Ed25519Options) -> Handshake:
    """Discord's PING, answered PONG only once its signature verifies (Discord sends unsigned
    and wrongly signed PINGs to check that the endpoint refuses them); never stored."""

    def answer(headers: Headers, body: bytes, keys: Keys, now: int) -> Answer | None:
        if b'"type"' not in body:
            return None
        try:
            event = json_object(body)
        except UnreadableDelivery:
            return None  # not a PING: verify and describe say what is wrong with it
        if event.get("type") != DISCORD_PING or "type" in getattr(event, "duplicates", ()):
            return None
        reason = verify(options, headers, body, keys, now)
        if reason:
            return Answer(401, "application/json", f'{{"error": {json_string(reason)}}}')
        return Answer(200, "application/json", '{"type": 1}')

    return Handshake("discord", "POST", answer)


HANDSHAKES = {"discord": discord_ping}
"""The senders of this family with a handshake (scheme name → its builder)."""


REQUIRES = ("cryptography",)
"""Imported on first use only; the functions' package carries it (components/packages.py)."""

SCHEMES: dict[str, Scheme[Any]] = {name: _family(name) for name in SENDERS}
