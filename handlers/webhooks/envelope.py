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
from json.encoder import encode_basestring_ascii
from typing import NamedTuple

VERSION = 1
MAX_MESSAGE_BYTES = 256 * 1024  # don't depend on SQS's newer 1 MiB limit (DESIGN.md)

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
    global _last_second
    seconds, millis = divmod(epoch_ms, 1000)
    if _last_second[0] != seconds:  # requests arrive many per second: format each second once
        _last_second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{_last_second[1]}.{millis:03d}Z"


_last_second: tuple[int, str] = (-1, "")


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


def encode(message: dict[str, object]) -> str:
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
) -> str:
    """`encode(build(...))` in one step: the same text, without the dict and the JSON encoder.

    The ingest path sends one message per request; a fixed template of string escapes costs
    a third of a general encoder's pass over the message dict.
    """
    if body_s3_key is not None:
        payload = '"body_s3_key":' + json_string(body_s3_key)
    else:
        try:
            payload = '"body":' + _body_string(body)
        except UnicodeDecodeError:
            payload = f'"body":"{base64.b64encode(body).decode("ascii")}","body_base64":true'
    return (
        f'{{"v":{VERSION},"provider":{json_string(provider)},'
        f'"delivery_id":{json_string(delivery_id)},"event_type":{json_string(event_type)},'
        f'"received_at":{json_string(received_at)},"source_ip":{json_string(source_ip)},'
        f'"headers":{headers_json(headers)},{payload},'
        f'"body_sha256":{json_string(body_sha256)},"body_size":{len(body)}}}'
    )


def _body_string(body: bytes) -> str:
    """`json_string(body.decode())`: for printable ASCII only `\\` and `"` need escaping.

    Most bodies are such JSON text, and two C `replace` passes beat the escaper's pass over
    every character (a fifth of the message's cost). Raises `UnicodeDecodeError` as decode does.
    """
    if not body.translate(None, _PRINTABLE_ASCII):
        return '"' + body.decode("ascii").replace("\\", "\\\\").replace('"', '\\"') + '"'
    return json_string(body.decode())


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))  # the characters json_string keeps as they are


def headers_json(headers: dict[str, str]) -> str:
    """Compact ASCII JSON text of a string-to-string object, such as the envelope's headers.

    Joined from the C string escaper: for a handful of short headers that is half the time of
    a JSON encoder's per-call set-up.
    """
    return "{" + ",".join([json_string(k) + ":" + json_string(v) for k, v in headers.items()]) + "}"


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

    # JSON yields exact types (object keys are always str), so a set of `type`s is the check.
    get = data.get
    text = (
        get("provider"),
        get("delivery_id"),
        get("event_type"),
        get("received_at"),
        get("source_ip"),
        get("body_sha256"),
    )
    if set(map(type, text)) != _STR:
        field = next(f for f, v in zip(_TEXT_FIELDS, text, strict=True) if type(v) is not str)
        raise EnvelopeError(f"field {field!r} missing or not a string")
    provider, delivery_id, event_type, received_at, source_ip, body_sha256 = text
    if not provider or not delivery_id:
        raise EnvelopeError("fields 'provider' and 'delivery_id' must not be empty")

    headers = data.get("headers")
    if type(headers) is not dict or not _STR.issuperset(map(type, headers.values())):
        raise EnvelopeError("field 'headers' missing or not an object of strings")
    size = data.get("body_size")
    if type(size) is not int or size < 0:
        raise EnvelopeError("field 'body_size' missing or not a non-negative integer")

    has_body, has_key = "body" in data, "body_s3_key" in data
    if has_body == has_key:
        raise EnvelopeError("exactly one of 'body' and 'body_s3_key' must be present")
    fields = (provider, delivery_id, event_type, received_at, source_ip, headers, body_sha256, size)
    if has_key:
        key = data["body_s3_key"]
        if type(key) is not str or not key:
            raise EnvelopeError("field 'body_s3_key' is not a non-empty string")
        return Envelope(*fields, None, key)

    body = _inline_body(data)
    if len(body) != size:
        raise EnvelopeError(f"body is {len(body)} bytes, 'body_size' says {size}")
    if hashlib.sha256(body).hexdigest() != body_sha256:
        raise EnvelopeError("body does not match 'body_sha256'")
    return Envelope(*fields, body)


_TEXT_FIELDS = ("provider", "delivery_id", "event_type", "received_at", "source_ip", "body_sha256")
_STR = {str}


def _inline_body(data: dict) -> bytes:
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
