"""One HTTP API (payload format 2.0) event, read once into a typed `Request`.

The body is kept as the event carries it and decoded on demand into the raw bytes the sender
signed: a base64-encoded body is decoded, a text body is encoded back to UTF-8, never parsed and
re-serialised. Header names are lower-cased once, so every later lookup is case-insensitive.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from . import Record

# requestContext.timeEpoch is milliseconds; outside these bounds it is not a real request time
_EARLIEST_MS = 1_000_000_000_000  # 2001-09-09
_LATEST_MS = 100_000_000_000_000  # 5138-11-16


class BodyError(ValueError):
    """The body cannot be read (400) or is too large (413); `status` says which."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Call(dict[str, str]):
    """The request's headers (lower-case names), and the rest of the call a scheme may sign or
    answer: the method, the URL as the sender called it and its raw query string.

    A dict of headers first, so every scheme that reads only headers takes it as a plain
    mapping; the families that sign the URL or answer a handshake read the attributes
    (`call_of` gives a plain mapping empty ones).
    """

    method: str = "POST"
    url: str = ""
    """`https://<host><path>[?<query>]` as called (`request.url`)."""
    query: str = ""
    """The raw query string, percent-encoded as sent, without `?`."""


def call_of(headers: Mapping[str, str]) -> Call:
    """`headers` as a `Call`: itself when it is one, else with no method, URL or query."""
    if isinstance(headers, Call):
        return headers
    call = Call(headers)
    call.method = ""
    return call


class Request(Record):
    """What the ingest path reads of one request."""

    __slots__ = (
        "base64_encoded",
        "headers",
        "method",
        "provider",
        "raw_body",
        "received_ms",
        "request_id",
        "source_ip",
    )

    def __init__(
        self,
        method: str,
        provider: str | None,
        headers: Call,
        source_ip: str,
        request_id: str,
        received_ms: int | None,
        raw_body: object,
        base64_encoded: bool,
    ) -> None:
        self.method: Final = method
        """Upper-case, e.g. `POST`; empty when the event has none."""
        self.provider: Final = provider
        """The route's `{provider}` path parameter (or the path's last segment after
        `/webhooks/`)."""
        self.headers: Final = headers
        """Lower-case names (API Gateway joins repeated ones with commas), with the method, the
        URL and the query string (`Call`)."""
        self.source_ip: Final = source_ip
        self.request_id: Final = request_id
        self.received_ms: Final = received_ms
        """`requestContext.timeEpoch` (when API Gateway received the request), if plausible."""
        self.raw_body: Final = raw_body
        """The event's `body` as sent: text, base64 text, or None."""
        self.base64_encoded: Final = base64_encoded

    def body(self, max_bytes: int) -> bytes:
        """The body bytes exactly as sent; raises `BodyError` (413 over `max_bytes`, else 400)."""
        body = self.raw_body
        if body is None:
            return b""
        if not isinstance(body, str):
            raise BodyError(400, "body is not a string")
        if self.base64_encoded:
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


def parse(event: Mapping[str, Any]) -> Request:
    """The request of one event; absent or mistyped fields read as empty, never raise."""
    context = _mapping(event.get("requestContext"))
    http = _mapping(context.get("http"))
    method = http.get("method")
    raw_headers = event.get("headers")
    time_epoch = context.get("timeEpoch")
    headers = Call(
        {name.lower(): value for name, value in raw_headers.items() if isinstance(value, str)}
        if isinstance(raw_headers, dict)
        else {}
    )
    headers.method = method.upper() if isinstance(method, str) else ""
    headers.query = _text(event.get("rawQueryString"))
    headers.url = url(headers, context, _text(event.get("rawPath")), headers.query)
    return Request(
        headers.method,
        _provider(event),
        headers,
        _text(http.get("sourceIp")),
        _text(context.get("requestId")),
        (
            time_epoch
            if type(time_epoch) is int and _EARLIEST_MS <= time_epoch <= _LATEST_MS
            else None
        ),
        event.get("body"),
        event.get("isBase64Encoded") is True,
    )


def url(headers: Mapping[str, str], context: Mapping[str, Any], path: str, query: str) -> str:
    """The URL the sender called: scheme, host, path and query.

    The host is `requestContext.domainName`: the custom domain behind one, the API's or the
    function URL's own domain otherwise (the Host header when the event has none). The domain's
    API mapping is at the root (components/domain.py), so `rawPath` is the whole path (payload
    2.0 leaves a mapping key out of it:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
    Both front doors are HTTPS only; `x-forwarded-proto` says `http` only on the local stack.
    """
    host = _text(context.get("domainName")) or headers.get("host", "")
    scheme = "http" if headers.get("x-forwarded-proto") == "http" else "https"
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


def _provider(event: Mapping[str, Any]) -> str | None:
    name = _mapping(event.get("pathParameters")).get("provider")
    if isinstance(name, str):
        return name
    path = event.get("rawPath")
    if isinstance(path, str):
        head, _, tail = path.rstrip("/").rpartition("/")
        if head.endswith("/webhooks") and tail:
            return tail
    return None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
