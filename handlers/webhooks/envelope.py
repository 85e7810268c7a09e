"""The v1 queue envelope: the one message shape between ingest and process (docs/contract.md).

`build` and `encode` run on the ingest path, `parse` on the process path; both sides import this
module so the format lives in one place. `parse` rejects anything it cannot fully trust with an
`EnvelopeError`, so the process side can fail the record and let it go to the DLQ.
"""

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii
from typing import Any, NamedTuple

VERSION = 1
MAX_MESSAGE_BYTES = 256 * 1024  # not SQS's newer 1 MiB limit (docs/design.md, "AWS limits")

# JSON string literal of a str, ASCII-only (the C escaper json.dumps uses): SQS rejects some valid
# Unicode (U+FFFE, U+FFFF), and with ASCII every character counts one byte, so a message's `len`
# is its size without re-encoding.
json_string = encode_basestring_ascii
_encoder = json.JSONEncoder(separators=(",", ":"))  # ensure_ascii, as json_string


class EnvelopeError(ValueError):
    """A queue message that is not a valid v1 envelope; retrying it can never succeed."""


class Envelope(NamedTuple):
    """A parsed envelope; `body` holds the raw bytes when inline, else `body_s3_key` is set."""

    provider: str
    delivery_id: str
    event_type: str
    received_at: str
    source_ip: str
    headers: dict[str, str]
    body_sha256: str
    body_size: int
    body: bytes | None = None
    body_s3_key: str | None = None


def format_received_at(epoch_ms: int) -> str:
    """ISO-8601 UTC with milliseconds and `Z`, e.g. `2026-11-28T17:00:00.123Z`."""
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{millis:03d}Z"


def archive_key(provider: str, delivery_id: str) -> str:
    """Deterministic S3 key of an archived body, so a retried delivery overwrites one object."""
    digest = hashlib.sha256(delivery_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"bodies/{provider}/{digest}"


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
) -> dict[str, object]:
    """The message fields; the body travels inline unless `body_s3_key` is given.

    `body_sha256` is passed in because the caller has usually computed it already.
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
    return message


def encode(message: Mapping[str, object]) -> str:
    """Compact ASCII JSON text for `SendMessage`'s `MessageBody`; its `len` is its size in bytes."""
    return _encoder.encode(message)


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

    headers = data.get("headers")
    # JSON yields exact types (object keys are always str)
    if type(headers) is not dict or not all(type(v) is str for v in headers.values()):
        raise EnvelopeError("field 'headers' missing or not an object of strings")
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
