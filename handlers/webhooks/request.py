"""Reading an API Gateway HTTP API (payload format 2.0) event into plain values.

The body is returned as the raw bytes the sender signed: a base64-encoded body is decoded first
and a text body is encoded back to UTF-8, never parsed and re-serialised. Header names are
lower-cased once, so every later lookup is case-insensitive.
"""

import base64
import binascii
from collections.abc import Mapping


class BodyError(ValueError):
    """The body cannot be read (400) or is too large (413); `status` says which."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def http_method(event: Mapping) -> str:
    """The request method, e.g. `POST` (empty when the event has none)."""
    http = _mapping(_mapping(event.get("requestContext")).get("http"))
    method = http.get("method")
    return method.upper() if isinstance(method, str) else ""


def provider_name(event: Mapping) -> str | None:
    """The route's `{provider}` path parameter (or the path's last segment after `/webhooks/`)."""
    name = _mapping(event.get("pathParameters")).get("provider")
    if isinstance(name, str):
        return name
    path = event.get("rawPath")
    if isinstance(path, str):
        head, _, tail = path.rstrip("/").rpartition("/")
        if head.endswith("/webhooks") and tail:
            return tail
    return None


def headers(event: Mapping) -> dict[str, str]:
    """The request headers with lower-case names (API Gateway joins repeated ones with commas)."""
    raw = event.get("headers")
    if not isinstance(raw, dict):
        return {}
    return {name.lower(): value for name, value in raw.items() if isinstance(value, str)}


def source_ip(event: Mapping) -> str:
    """`requestContext.http.sourceIp`, empty when absent."""
    http = _mapping(_mapping(event.get("requestContext")).get("http"))
    value = http.get("sourceIp")
    return value if isinstance(value, str) else ""


def received_ms(event: Mapping, fallback_ms: int) -> int:
    """`requestContext.timeEpoch` (when API Gateway received the request), else `fallback_ms`."""
    value = _mapping(event.get("requestContext")).get("timeEpoch")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return fallback_ms


def raw_body(event: Mapping, max_bytes: int) -> bytes:
    """The body bytes exactly as sent; raises `BodyError` (413 over `max_bytes`, 400 unreadable)."""
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BodyError(400, "body is not a string")
    if event.get("isBase64Encoded") is True:
        if len(body) > (max_bytes + 2) // 3 * 4 + 4:  # cheaper than decoding what we reject
            raise BodyError(413, "body too large")
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BodyError(400, "body is not valid base64") from None
    else:
        if len(body) > max_bytes:  # UTF-8 never has fewer bytes than characters
            raise BodyError(413, "body too large")
        try:
            data = body.encode()
        except UnicodeEncodeError:
            raise BodyError(400, "body is not valid UTF-8 text") from None
    if len(data) > max_bytes:
        raise BodyError(413, "body too large")
    return data


def _mapping(value: object) -> Mapping:
    return value if isinstance(value, dict) else {}
