"""The declared HTTP API on 127.0.0.1: routes, payload-2.0 events, Lambda proxy responses.

Each request that matches a declared route becomes the event API Gateway's HTTP API sends with
payload format 2.0 (AWS docs, "Working with AWS Lambda proxy integrations for HTTP APIs"), and
the function's answer becomes the HTTP response by the same document's rules. What API Gateway
answers itself is answered here the same way: 404 `{"message":"Not Found"}` for no matching
route (a route key includes the method, so a wrong method is a 404 too), 413 above 10 MB,
500 `{"message":"Internal Server Error"}` on a function error, and, when throttling is on, 429
`{"message":"Too Many Requests"}` beyond the stage's rate and burst limits.
"""

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.pool import FunctionPool

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024  # bigger bodies are not read before answering 413
TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|.*\+json|xml|.*\+xml|javascript|x-www-form-urlencoded"
    r"|graphql|x-ndjson))$"
)


class TokenBucket:
    """API Gateway's stage throttling: `burst` requests at once, refilled at `rate` per second."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


@dataclass(frozen=True)
class Route:
    """A declared route key, e.g. `POST /webhooks/{provider}`, bound to a function."""

    route_key: str
    pool: FunctionPool

    @property
    def method(self) -> str:
        return "*" if self.route_key == "$default" else self.route_key.split(" ", 1)[0]

    @property
    def template(self) -> str:
        return "" if self.route_key == "$default" else self.route_key.split(" ", 1)[1]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when the request matches this route, else None."""
        if self.route_key == "$default":
            return {}
        if self.method not in ("ANY", method):
            return None
        pattern = ""
        for segment in self.template.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                pattern += f"/(?P<{segment[1:-2]}>.+)"
            elif segment.startswith("{") and segment.endswith("}"):
                pattern += f"/(?P<{segment[1:-1]}>[^/]+)"
            elif segment:
                pattern += "/" + re.escape(segment)
        found = re.fullmatch(pattern or "/", path)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}

    def specificity(self) -> tuple[int, int, int]:
        """API Gateway prefers exact methods, then more literal segments, then greedy last."""
        segments = self.template.strip("/").split("/") if self.template else []
        literal = sum(1 for s in segments if not s.startswith("{"))
        greedy = sum(1 for s in segments if s.endswith("+}"))
        return (self.route_key != "$default", literal - greedy, self.method != "ANY")


def is_text(content_type: str | None) -> bool:
    """Whether API Gateway passes a body of this content type as text (else base64)."""
    if not content_type:
        return False
    return bool(TEXT_TYPES.match(content_type.split(";", 1)[0].strip().lower()))


def build_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    route_key: str,
    path_parameters: dict[str, str],
    source_ip: str,
    api_id: str,
    account_id: str,
    stage: str = "$default",
    protocol: str = "HTTP/1.1",
    now: float | None = None,
) -> dict[str, Any]:
    """The payload-2.0 event of one request."""
    now = time.time() if now is None else now
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")
    joined.setdefault("x-forwarded-for", source_ip)
    joined.setdefault("x-forwarded-proto", "http")
    joined.setdefault("x-amzn-trace-id", f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}")
    host = joined.get("host", "127.0.0.1")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": protocol,
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        params: dict[str, str] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            params[name] = f"{params[name]},{value}" if name in params else value
        event["queryStringParameters"] = params
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        text = None
        if is_text(joined.get("content-type")):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
    return event


def http_response(result: Any) -> tuple[int, dict[str, str], list[str], bytes]:
    """(status, headers, cookies, body) for a function's payload-2.0 answer."""
    if isinstance(result, dict) and "statusCode" in result:
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        body = result.get("body")
        if body is None:
            raw = b""
        elif result.get("isBase64Encoded"):
            raw = base64.b64decode(body)
        else:
            raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return int(result["statusCode"]), headers, list(result.get("cookies") or []), raw
    body = result if isinstance(result, str) else json.dumps(result)
    return 200, {"content-type": "application/json"}, [], body.encode()


class HttpApi(ThreadingHTTPServer):
    """A ThreadingHTTPServer bound first (so its URL is known), serving routes set later."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.routes: list[Route] = []
        self.api_id = "local"
        self.account_id = "123456789012"
        self.stage = "$default"
        self.throttle: TokenBucket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def set_routes(self, routes: list[Route]) -> None:
        self.routes = sorted(routes, key=Route.specificity, reverse=True)

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "local-http-api"  # no Python version in a `Server` header
    sys_version = ""
    server: HttpApi

    def log_message(self, format: str, *args: Any) -> None:
        """Access logs stay quiet; the functions' logs say what happened."""

    def _answer(
        self, status: int, headers: dict[str, str], body: bytes, cookies: Sequence[str] = ()
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        for cookie in cookies:
            self.send_header("set-cookie", cookie)
        self.send_header("apigw-requestid", uuid.uuid4().hex[:16])
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _message(self, status: int, message: str) -> None:
        body = json.dumps({"message": message}).encode()
        self._answer(status, {"content-type": "application/json"}, body)

    def _read_body(self) -> bytes | None:
        """The body, or None when above the limit (read and dropped, so the client gets a 413)."""
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return None if total > MAX_PAYLOAD_BYTES else b"".join(chunks)
                total += size
                chunk = self.rfile.read(size)
                if total <= MAX_PAYLOAD_BYTES:
                    chunks.append(chunk)
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        if length <= MAX_PAYLOAD_BYTES:
            return self.rfile.read(length) if length else b""
        if length <= DRAIN_LIMIT_BYTES:
            while length > 0:
                chunk = self.rfile.read(min(length, 1 << 20))
                if not chunk:
                    break
                length -= len(chunk)
        return None

    def _handle(self) -> None:
        raw_path, _, raw_query = self.path.partition("?")
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._message(413, "Request Entity Too Large")
            return
        found = self.server.find(self.command, raw_path)
        if found is None:
            self._message(404, "Not Found")
            return
        if self.server.throttle is not None and not self.server.throttle.take():
            self._message(429, "Too Many Requests")
            return
        route, params = found
        event = build_event(
            method=self.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=list(self.headers.items()),
            body=body,
            route_key=route.route_key,
            path_parameters=params,
            source_ip=self.client_address[0],
            api_id=self.server.api_id,
            account_id=self.server.account_id,
            stage=self.server.stage,
            protocol=self.request_version,
        )
        invocation = route.pool.invoke(event)
        if not invocation.ok:
            self._message(500, "Internal Server Error")
            return
        try:
            status, headers, cookies, payload = http_response(invocation.result)
        except (TypeError, ValueError):
            self._message(500, "Internal Server Error")
            return
        self._answer(status, headers, payload, cookies)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle
