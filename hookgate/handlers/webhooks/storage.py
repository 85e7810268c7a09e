"""The table item of one event (docs/contract.md "Table item") and the way back to its bytes.

Items are in the low-level DynamoDB attribute-value shape (`{"S": ...}`, `{"B": ...}`), the
shape `boto3.client("dynamodb")` writes and returns, so neither side needs the resource layer.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from .envelope import DEDUPE_BY_CONTENT, Envelope, encode, format_received_at

Item = dict[str, dict[str, Any]]
"""A low-level item: attribute name → attribute value (`{"S": ...}`, `{"N": ...}`, `{"B": ...}`)."""

# A second copy of a delivery fails this condition: that is the "stored once" guarantee.
CONDITION = "attribute_not_exists(pk)"

_SECONDS_PER_DAY = 86_400

# zlib level 1: webhook JSON compresses within about 12% of the default level 6 at a third of
# its CPU time for a 32 KiB body (150 against 490 us on the bench machine).
_LEVEL = 1


# Two namespaces per provider, told apart by the character after the provider's name, which a
# provider name never contains (`providers.NAME_RULE`: letters, digits, '-'):
# `<provider>#<delivery id>` is the sender's (any id lands there, whatever it spells) and
# `<provider>!<kind>!...` the system's (content and conflict keys). The first '#' or '!' of a
# key ends the provider's name, so no id can spell a system key (docs/contract.md "Table item").
SENDER_SEPARATOR, SYSTEM_SEPARATOR = "#", "!"


def item_key(provider: str, delivery_id: str) -> str:
    """The `pk` of an event deduplicated by delivery id: every copy of a delivery lands on it."""
    return f"{_name(provider)}{SENDER_SEPARATOR}{delivery_id}"


def content_key(provider: str, event_type: str, body_sha256: str) -> str:
    """The `pk` of an event deduplicated by content: the same bytes under the same event type
    land on one key; under another type they are another event (docs/design.md, "What “exactly
    once” means")."""
    return _system_key(provider, "content", body_sha256, event_type)


def conflict_key(provider: str, pk: str, body_sha256: str) -> str:
    """The `pk` of an event whose key `pk` already held other bytes: kept beside, never instead."""
    return _system_key(provider, "conflict", body_sha256, pk)


def _system_key(provider: str, kind: str, body_sha256: str, rest: str) -> str:
    # The digest has a fixed length (64 hex characters, checked by `envelope.parse`), so `rest`
    # (any text) cannot shift the parts: one key per (provider, kind, digest, rest).
    separator = SYSTEM_SEPARATOR
    return f"{_name(provider)}{separator}{kind}{separator}{body_sha256}{separator}{rest}"


def _name(provider: str) -> str:
    """The provider's name, refused when it could end early (the namespaces rest on it)."""
    if not provider or SENDER_SEPARATOR in provider or SYSTEM_SEPARATOR in provider:
        raise ValueError(f"provider name {provider[:32]!r} is empty or holds '#' or '!'")
    return provider


def event_key(envelope: Envelope) -> str:
    """The `pk` an envelope's event is stored under, by its provider's dedupe mode."""
    if envelope.dedupe == DEDUPE_BY_CONTENT:
        return content_key(envelope.provider, envelope.event_type, envelope.body_sha256)
    return item_key(envelope.provider, envelope.delivery_id)


def is_event(item: Mapping[str, object]) -> bool:
    """Events carry `body_sha256`; the alias items earlier versions wrote never do."""
    return "body_sha256" in item


def stored_at(now: float) -> str:
    """`stored_at` for a write at `now` (epoch seconds), in the envelope's timestamp format."""
    return format_received_at(int(now * 1000))


def expires_at(now: float, ttl_days: int) -> int | None:
    """Epoch seconds at which the TTL removes an item written at `now`; None when `ttl_days` is 0.

    Counted from the write, not from `received_at`, so an event replayed from the DLQ late is
    not stored already expired.
    """
    if ttl_days == 0:
        return None
    return int(now) + ttl_days * _SECONDS_PER_DAY


def compress(raw: bytes) -> bytes:
    """The `payload` attribute: zlib stream of the raw body."""
    return zlib.compress(raw, _LEVEL)


def to_item(
    envelope: Envelope,
    *,
    stored_at: str,
    expires_at: int | None,
    pk: str | None = None,
    conflict_of: str | None = None,
) -> Item:
    """The item for one envelope: inline body compressed into `payload`, else `payload_s3_key`.

    `pk` defaults to `event_key(envelope)`; `conflict_of` names the event whose key this one's
    delivery collided with. An event deduplicated by content lists its `delivery_ids`.
    """
    item: Item = {
        "pk": {"S": pk or event_key(envelope)},
        "provider": {"S": envelope.provider},
        "delivery_id": {"S": envelope.delivery_id},
        "event_type": {"S": envelope.event_type},
        "received_at": {"S": envelope.received_at},
        "source_ip": {"S": envelope.source_ip},
        "stored_at": {"S": stored_at},
        "headers": {"S": encode(envelope.headers)},
        "body_sha256": {"S": envelope.body_sha256},
        "body_size": {"N": str(envelope.body_size)},
    }
    if envelope.body is not None:
        item["payload"] = {"B": compress(envelope.body)}
    else:
        item["payload_s3_key"] = {"S": envelope.body_s3_key}
    if expires_at is not None:
        item["expires_at"] = {"N": str(expires_at)}
    if envelope.dedupe == DEDUPE_BY_CONTENT:
        item["delivery_ids"] = {"SS": [envelope.delivery_id]}
    if conflict_of is not None:
        item["conflict_of"] = {"S": conflict_of}
    return item


def original_bytes(
    item: Mapping[str, Mapping[str, Any]],
    read_archived: Callable[[str], bytes] | None = None,
) -> bytes:
    """The raw body exactly as the sender sent it, checked against the item's `body_sha256`.

    `item` is a low-level item (e.g. `GetItem`'s `Item`). An archived body is read with
    `read_archived(payload_s3_key)`, e.g. a function over S3 `GetObject` on `ARCHIVE_BUCKET`.
    Raises ValueError when the item holds no body or the bytes don't match their digest.
    """
    if "payload" in item:
        raw = zlib.decompress(item["payload"]["B"])
    elif "payload_s3_key" in item:
        if read_archived is None:
            raise ValueError("the body is archived: pass read_archived to fetch payload_s3_key")
        raw = read_archived(item["payload_s3_key"]["S"])
    else:
        raise ValueError("item has neither 'payload' nor 'payload_s3_key'")
    if hashlib.sha256(raw).hexdigest() != item["body_sha256"]["S"]:
        raise ValueError("body does not match the item's body_sha256")
    return raw
