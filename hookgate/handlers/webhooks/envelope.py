"""The v1 queue envelope: the one message shape between ingest and process (docs/contract.md).

`text` (`encode(build(...))` in one step) runs on the ingest path, `parse` on the process path;
both sides import this module so the format lives in one place. `parse` rejects anything it
cannot fully trust with an `EnvelopeError`, so the process side can fail the record and let it
go to the DLQ.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import Any, Final

from . import Record

VERSION = 1
MAX_MESSAGE_BYTES = 256 * 1024  # not SQS's newer 1 MiB limit (docs/design.md, "AWS limits")
DEDUPE_BY_DELIVERY_ID, DEDUPE_BY_CONTENT = "deliveryId", "content"
"""The envelope's `dedupe` values (`schemes.base.dedupe_option`); absent means by delivery id."""

# Every text field is bounded, so a message is bounded even when its body is archived.
MAX_PROVIDER_LENGTH = 32
MAX_DELIVERY_ID_LENGTH = 256  # well inside DynamoDB's 2048-byte partition key
MAX_EVENT_TYPE_LENGTH = 256
# Above PutEvents' `DetailType` limit: the publisher owns that bound and how a longer type is
# published (`publish.MAX_DETAIL_TYPE_LENGTH`, `publish.detail_type`), the full type in detail.
MAX_HEADERS = 16
MAX_HEADER_NAME_LENGTH = 64
MAX_HEADER_VALUE_LENGTH = 2048
LIMITS = {
    "provider": MAX_PROVIDER_LENGTH,
    "delivery_id": MAX_DELIVERY_ID_LENGTH,
    "event_type": MAX_EVENT_TYPE_LENGTH,
    "received_at": 32,
    "source_ip": 64,
    "body_sha256": 64,
    "body_s3_key": 1024,
}
"""Maximum length in characters of each text field."""

# JSON string literal of a str, ASCII-only (the C escaper json.dumps uses): SQS rejects some valid
# Unicode (U+FFFE, U+FFFF), and with ASCII every character counts one byte, so a message's `len`
# is its size without re-encoding.
json_string = encode_basestring_ascii
_encoder = json.JSONEncoder(separators=(",", ":"))  # ensure_ascii, as json_string


class EnvelopeError(ValueError):
    """A queue message that is not a valid v1 envelope; retrying it can never succeed."""


class Envelope(Record):
    """A parsed envelope; `body` holds the raw bytes when inline, else `body_s3_key` is set."""

    __slots__ = (
        "body",
        "body_s3_key",
        "body_sha256",
        "body_size",
        "dedupe",
        "delivery_id",
        "event_type",
        "headers",
        "provider",
        "received_at",
        "source_ip",
    )

    def __init__(
        self,
        provider: str,
        delivery_id: str,
        event_type: str,
        received_at: str,
        source_ip: str,
        headers: dict[str, str],
        body_sha256: str,
        body_size: int,
        body: bytes | None = None,
        body_s3_key: str | None = None,
        dedupe: str = DEDUPE_BY_DELIVERY_ID,
    ) -> None:
        self.provider: Final = provider
        self.delivery_id: Final = delivery_id
        self.event_type: Final = event_type
        self.received_at: Final = received_at
        self.source_ip: Final = source_ip
        self.headers: Final = headers
        self.body_sha256: Final = body_sha256
        self.body_size: Final = body_size
        self.body: Final = body
        self.body_s3_key: Final = body_s3_key
        self.dedupe: Final = dedupe


def format_received_at(epoch_ms: int) -> str:
    """ISO-8601 UTC with milliseconds and `Z`, e.g. `2026-11-28T17:00:00.123Z`."""
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{millis:03d}Z"


def archive_key(provider: str, body_sha256: str) -> str:
    """S3 key of an archived body: named by its content, so the object under a key only ever
    holds those bytes. A retry or a replay writes the same bytes again; no delivery can replace
    another's body, whatever id it claims."""
    return f"bodies/{provider}/{body_sha256}"


def archive_object(provider: str, body: bytes, body_sha256: str) -> dict[str, Any]:
    """S3 `PutObject`'s arguments but the bucket, for every writer of the archive (ingest and
    the publisher): the key and `ChecksumSHA256` both come from `body_sha256`, so S3 stores
    the bytes only when they are the ones the key names (else `BadDigest`) and no id a
    delivery claims can reach another body's key."""
    return {
        "Key": archive_key(provider, body_sha256),
        "Body": body,
        "ChecksumSHA256": base64.b64encode(bytes.fromhex(body_sha256)).decode(),
    }


def field_problem(
    fields: Mapping[str, object], headers: Mapping[str, str] | None = None
) -> str | None:
    """Why these envelope fields are out of bounds (a 400 or an `EnvelopeError`), else None.

    Only the given fields are checked (names without a limit are skipped), so the ingest path
    passes just the ones no earlier step has bounded."""
    for name, value in fields.items():
        limit = LIMITS.get(name)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            return f"{name.replace('_', ' ')} longer than {limit} characters"
    if headers is not None:
        if len(headers) > MAX_HEADERS:
            return f"more than {MAX_HEADERS} kept headers"
        for name, value in headers.items():
            if len(name) > MAX_HEADER_NAME_LENGTH or len(value) > MAX_HEADER_VALUE_LENGTH:
                shown = name[:MAX_HEADER_NAME_LENGTH]
                return f"header {shown} longer than {MAX_HEADER_VALUE_LENGTH} characters"
    return None


def build(
    *,
    provider: str,
    delivery_id: str,
    event_type: str,
    received_at: str,
    source_ip: str,
    headers: dict[str, str],
    body: bytes,
    body_sha256: str,
    body_s3_key: str | None = None,
    dedupe: str = DEDUPE_BY_DELIVERY_ID,
) -> dict[str, object]:
    """The message fields; the body travels inline unless `body_s3_key` is given.

    `body_sha256` is passed in because the caller has usually computed it already. `dedupe` is
    written only when it is by content, so a delivery-id message is what it always was.
    """
    message: dict[str, object] = {
        "v": VERSION,
        "provider": provider,
        "delivery_id": delivery_id,
        "event_type": event_type,
        "received_at": received_at,
        "source_ip": source_ip,
        "headers": headers,
    }
    if body_s3_key is not None:
        message["body_s3_key"] = body_s3_key
    else:
        try:
            message["body"] = body.decode()
        except UnicodeDecodeError:
            message["body"] = base64.b64encode(body).decode("ascii")
            message["body_base64"] = True
    message["body_sha256"] = body_sha256
    message["body_size"] = len(body)
    if dedupe != DEDUPE_BY_DELIVERY_ID:
        message["dedupe"] = dedupe
    return message


def encode(message: Mapping[str, object]) -> str:
    """Compact ASCII JSON text for `SendMessage`'s `MessageBody`; its `len` is its size in bytes."""
    return _encoder.encode(message)


def text(
    *,
    provider: str,
    delivery_id: str,
    event_type: str,
    received_at: str,
    source_ip: str,
    headers: dict[str, str],
    body: bytes,
    body_sha256: str,
    body_s3_key: str | None = None,
    dedupe: str = DEDUPE_BY_DELIVERY_ID,
) -> str:
    """`encode(build(...))` in one step, for the ingest path's one message per request.

    Joined from the C string escaper instead of a dict through the JSON encoder, whose per-call
    set-up and nested headers object cost more than the escaping: about 8 µs less per request
    (measured side by side beside `make bench`, "Handlers, whole path"). `build` stays the
    reference; a property test holds the two equal. Every text field and header is a `str`, as
    the receiver passes them (`build` would also encode other JSON values).
    """
    if body_s3_key is not None:
        payload = '"body_s3_key":' + json_string(body_s3_key)
    else:
        try:
            payload = '"body":' + json_string(body.decode())
        except UnicodeDecodeError:
            payload = f'"body":"{base64.b64encode(body).decode("ascii")}","body_base64":true'
    members = ",".join(
        [json_string(name) + ":" + json_string(value) for name, value in headers.items()]
    )
    tail = "" if dedupe == DEDUPE_BY_DELIVERY_ID else ',"dedupe":' + json_string(dedupe)
    return (
        f'{{"v":{VERSION},"provider":{json_string(provider)},'
        f'"delivery_id":{json_string(delivery_id)},"event_type":{json_string(event_type)},'
        f'"received_at":{json_string(received_at)},"source_ip":{json_string(source_ip)},'
        f'"headers":{{{members}}},{payload},'
        f'"body_sha256":{json_string(body_sha256)},"body_size":{len(body)}{tail}}}'
    )


def parse(message_body: str | bytes) -> Envelope:
    """Validate one `MessageBody` and return it; raise `EnvelopeError` saying what is wrong."""
    try:
        data = json.loads(message_body)
    except (ValueError, TypeError) as error:
        raise EnvelopeError(f"message body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise EnvelopeError("message body is not a JSON object")
    version = data.get("v")
    if version != VERSION or isinstance(version, bool):
        raise EnvelopeError(f"unknown envelope version {version!r}, expected {VERSION}")

    provider, delivery_id, event_type, received_at, source_ip, body_sha256 = (
        _text(data, name) for name in _TEXT_FIELDS
    )
    if not provider or not delivery_id:
        raise EnvelopeError("fields 'provider' and 'delivery_id' must not be empty")
    dedupe = data.get("dedupe", DEDUPE_BY_DELIVERY_ID)
    if dedupe not in (DEDUPE_BY_DELIVERY_ID, DEDUPE_BY_CONTENT):
        raise EnvelopeError(f"field 'dedupe' is {dedupe!r}, expected 'content' or 'deliveryId'")

    headers = data.get("headers")
    # JSON yields exact types (object keys are always str)
    if type(headers) is not dict or not all(type(v) is str for v in headers.values()):
        raise EnvelopeError("field 'headers' missing or not an object of strings")
    problem = field_problem(data, headers)
    if problem:
        raise EnvelopeError(problem)
    if len(body_sha256) != 64 or body_sha256.strip("0123456789abcdef"):
        raise EnvelopeError("field 'body_sha256' is not a lower-case hex SHA-256")
    size = data.get("body_size")
    if type(size) is not int or size < 0:
        raise EnvelopeError("field 'body_size' missing or not a non-negative integer")

    has_body, has_key = "body" in data, "body_s3_key" in data
    if has_body == has_key:
        raise EnvelopeError("exactly one of 'body' and 'body_s3_key' must be present")
    if has_key:
        key = data["body_s3_key"]
        if type(key) is not str or not key:
            raise EnvelopeError("field 'body_s3_key' is not a non-empty string")
        body, archived = None, key
    else:
        body, archived = _inline_body(data), None
        if len(body) != size:
            raise EnvelopeError(f"body is {len(body)} bytes, 'body_size' says {size}")
        if hashlib.sha256(body).hexdigest() != body_sha256:
            raise EnvelopeError("body does not match 'body_sha256'")
    return Envelope(
        provider,
        delivery_id,
        event_type,
        received_at,
        source_ip,
        headers,
        body_sha256,
        size,
        body,
        archived,
        dedupe,
    )


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if type(value) is not str:
        raise EnvelopeError(f"field {name!r} missing or not a string")
    return value


_TEXT_FIELDS = ("provider", "delivery_id", "event_type", "received_at", "source_ip", "body_sha256")


def _inline_body(data: dict[str, Any]) -> bytes:
    body = data["body"]
    if type(body) is not str:
        raise EnvelopeError("field 'body' is not a string")
    is_base64 = data.get("body_base64", False)
    if is_base64 is False:
        try:
            return body.encode()
        except UnicodeEncodeError:
            raise EnvelopeError("field 'body' is not valid UTF-8 text") from None
    if is_base64 is not True:
        raise EnvelopeError("field 'body_base64' is not a boolean")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError("field 'body' is not valid base64") from None
