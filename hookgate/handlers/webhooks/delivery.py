"""What a verified request says about its delivery, and the readers every scheme shares.

Each scheme module reads its own sender's fields (`schemes/<scheme>.py`); this module holds the
result type and the small, exact readers they are built from. Called only after the signature is
verified, so the JSON parsing some senders need costs nothing for forged requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from . import Record
from .envelope import MAX_DELIVERY_ID_LENGTH, MAX_EVENT_TYPE_LENGTH

# Integers longer than this stay text: Python refuses to parse more than 4,300 digits, and no
# field we read is a number, so an authentic body with a huge number is still valid JSON.
_MAX_INTEGER_DIGITS = 4000
COMMON_HEADERS = ("user-agent", "content-type")
"""Headers kept for every sender (besides each scheme's own)."""


class UnreadableDelivery(ValueError):
    """An authentic request whose delivery id can't be found (answered 400 with this reason)."""


class Delivery(Record):
    """A delivery's identity; `challenge` is set for a handshake answered at once (Slack)."""

    __slots__ = ("challenge", "delivery_id", "event_type", "headers")

    def __init__(
        self,
        delivery_id: str,
        event_type: str,
        headers: dict[str, str],
        challenge: str | None = None,
    ) -> None:
        self.delivery_id: Final = delivery_id
        self.event_type: Final = event_type
        self.headers: Final = headers
        self.challenge: Final = challenge


class Answer(Record):
    """What a handshake is answered: given at once, never stored as an event."""

    __slots__ = ("body", "content_type", "status")

    def __init__(self, status: int, content_type: str, body: str) -> None:
        self.status: Final = status
        self.content_type: Final = content_type
        self.body: Final = body


def delivery(
    delivery_id: str, event_type: str, headers: Mapping[str, str], kept: Iterable[str]
) -> Delivery:
    """A `Delivery` with the `kept` headers that are present; checks the id's length."""
    if len(delivery_id) > MAX_DELIVERY_ID_LENGTH:
        raise UnreadableDelivery(f"delivery id longer than {MAX_DELIVERY_ID_LENGTH} characters")
    if len(event_type) > MAX_EVENT_TYPE_LENGTH:
        raise UnreadableDelivery(f"event type longer than {MAX_EVENT_TYPE_LENGTH} characters")
    return Delivery(delivery_id, event_type, {n: headers[n] for n in kept if n in headers})


def required_header(headers: Mapping[str, str], name: str) -> str:
    """The header's value; raises `UnreadableDelivery` when it is missing or empty."""
    value = headers.get(name)
    if not value:
        raise UnreadableDelivery(f"missing {name} header")
    return value


class JsonObject(dict[str, Any]):
    """A parsed JSON object that remembers which of its keys appeared more than once."""

    duplicates: frozenset[str] = frozenset()


def _pairs(pairs: list[tuple[str, Any]]) -> JsonObject:
    result = JsonObject(pairs)
    if len(result) != len(pairs):
        counts: dict[str, int] = {}
        for key, _ in pairs:
            counts[key] = counts.get(key, 0) + 1
        result.duplicates = frozenset(key for key, count in counts.items() if count > 1)
    return result


def _integer(digits: str) -> int | str:
    return int(digits) if len(digits) <= _MAX_INTEGER_DIGITS else digits


def json_object(body: bytes) -> dict[str, Any]:
    """The body parsed as a JSON object; raises `UnreadableDelivery` otherwise.

    Leading and trailing JSON whitespace is allowed (and a UTF-8 byte order mark, as
    `json.loads` allows on bytes); a key given twice is remembered, so reading it is a 400
    instead of silently taking the last copy; huge integers stay text (`_MAX_INTEGER_DIGITS`).
    """
    try:
        data = json.loads(body, object_pairs_hook=_pairs, parse_int=_integer)
    except (ValueError, RecursionError):
        raise UnreadableDelivery("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise UnreadableDelivery("body is not a JSON object")
    return data


def _unique(event: Mapping[str, object], field: str) -> None:
    if field in getattr(event, "duplicates", ()):
        raise UnreadableDelivery(f"body has the {field!r} key more than once")


def body_text(event: Mapping[str, object], field: str) -> str:
    """A required, non-empty string field of the body."""
    _unique(event, field)
    value = event.get(field)
    if not isinstance(value, str) or not value:
        raise UnreadableDelivery(f"body has no {field!r} string")
    return value


def optional_text(event: Mapping[str, object], field: str) -> str:
    """A string field of the body, empty when absent or not a string."""
    _unique(event, field)
    value = event.get(field)
    return value if isinstance(value, str) else ""


def object_field(event: Mapping[str, object], field: str) -> Mapping[str, object] | None:
    """A field of the body that is itself a JSON object; None when absent or not an object."""
    _unique(event, field)
    value = event.get(field)
    return value if isinstance(value, dict) else None


def json_path_text(event: Mapping[str, object], path: str) -> str:
    """The string at `path` (`a.b`: field `b` of the object in field `a`), empty when absent or
    not a string; a key given twice on the way is a 400."""
    *parents, last = path.split(".")
    current: Mapping[str, object] | None = event
    for field in parents:
        current = object_field(current, field) if current is not None else None
    return optional_text(current, last) if current is not None else ""


def identify(
    headers: Mapping[str, str],
    body: bytes,
    body_sha256: str,
    sources: tuple[str | None, str | None, str | None, str | None],
) -> Delivery:
    """The delivery as a family's options place it: `sources` is (id header, id body field,
    event type header, event type body field), each None when unused. The id is the body's
    SHA-256 when neither names it; the body is parsed only when a field is read."""
    id_header, id_field, type_header, type_field = sources
    event: Mapping[str, object] = {}
    if id_field or type_field:
        event = json_object(body)
    if id_header:
        delivery_id = required_header(headers, id_header)
    elif id_field:
        delivery_id = json_path_text(event, id_field)
        if not delivery_id:
            raise UnreadableDelivery(f"body has no {id_field!r} string")
    else:
        delivery_id = body_sha256
    if type_header:
        event_type = headers.get(type_header, "")
    elif type_field:
        event_type = json_path_text(event, type_field)
    else:
        event_type = ""
    kept = [name for name in (id_header, type_header) if name]
    return delivery(delivery_id, event_type, headers, (*COMMON_HEADERS, *kept))
