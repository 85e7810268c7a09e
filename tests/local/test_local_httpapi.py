"""The HTTP API: payload-2.0 events as API Gateway builds them, and Lambda answers back to HTTP."""

import base64
import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest

from local.httpapi import HttpApi, Route, TokenBucket, build_event, http_response, is_text
from local.pool import FunctionPool, Invocation

# Top-level and requestContext fields of AWS's documented payload-2.0 example ("Working with AWS
# Lambda proxy integrations for HTTP APIs"), minus authorizer/authentication/stageVariables,
# which an unauthenticated route without stage variables does not send.
DOCUMENTED_FIELDS = {
    "version",
    "routeKey",
    "rawPath",
    "rawQueryString",
    "cookies",
    "headers",
    "queryStringParameters",
    "requestContext",
    "body",
    "pathParameters",
    "isBase64Encoded",
}
DOCUMENTED_CONTEXT = {
    "accountId",
    "apiId",
    "domainName",
    "domainPrefix",
    "http",
    "requestId",
    "routeKey",
    "stage",
    "time",
    "timeEpoch",
}


def event(**overrides: object) -> dict[str, Any]:
    arguments: dict[str, Any] = {  # `build_event`'s keyword arguments
        "method": "POST",
        "raw_path": "/webhooks/github",
        "raw_query": "a=1&a=2&b=",
        "headers": [
            ("Content-Type", "application/json"),
            ("X-Hub-Signature-256", "sha256=abc"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "c1=v1; c2=v2"),
            ("User-Agent", "GitHub-Hookshot/1"),
            ("Host", "127.0.0.1:8080"),
        ],
        "body": b'{"zen":"hi"}',
        "route_key": "POST /webhooks/{provider}",
        "path_parameters": {"provider": "github"},
        "source_ip": "192.0.2.1",
        "api_id": "abc123",
        "account_id": "123456789012",
        "now": 1583348638.390,
    }
    arguments.update(overrides)
    return build_event(**arguments)


def test_event_has_the_documented_payload_2_shape():
    built = event()
    assert set(built) == DOCUMENTED_FIELDS
    assert set(built["requestContext"]) == DOCUMENTED_CONTEXT
    assert built["version"] == "2.0"
    assert built["routeKey"] == built["requestContext"]["routeKey"] == "POST /webhooks/{provider}"
    assert built["rawPath"] == "/webhooks/github"
    assert built["rawQueryString"] == "a=1&a=2&b="
    assert built["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert built["pathParameters"] == {"provider": "github"}
    assert built["cookies"] == ["c1=v1", "c2=v2"]
    assert built["body"] == '{"zen":"hi"}' and built["isBase64Encoded"] is False
    context = built["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/webhooks/github",
        "protocol": "HTTP/1.1",
        "sourceIp": "192.0.2.1",
        "userAgent": "GitHub-Hookshot/1",
    }
    assert context["stage"] == "$default"
    assert context["time"] == "04/Mar/2020:19:03:58 +0000"
    assert context["timeEpoch"] == 1583348638390
    assert context["accountId"] == "123456789012" and context["apiId"] == "abc123"


def test_headers_are_lower_cased_and_duplicates_comma_joined_cookies_removed():
    headers = event()["headers"]
    assert headers["content-type"] == "application/json"
    assert headers["x-hub-signature-256"] == "sha256=abc"
    assert headers["x-multi"] == "one,two"
    assert "cookie" not in headers
    assert all(name == name.lower() for name in headers)
    assert headers["x-forwarded-for"] == "192.0.2.1"


def test_binary_bodies_are_base64_and_text_bodies_are_not():
    raw = bytes(range(256))
    binary = event(headers=[("content-type", "application/octet-stream")], body=raw)
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == raw
    no_type = event(headers=[], body=b"hello")
    assert no_type["isBase64Encoded"] is True
    form = event(headers=[("content-type", "application/x-www-form-urlencoded")], body=b"a=b")
    assert form["body"] == "a=b" and form["isBase64Encoded"] is False
    invalid_utf8 = event(headers=[("content-type", "text/plain")], body=b"\xff\xfe")
    assert invalid_utf8["isBase64Encoded"] is True


def test_empty_request_has_no_body_query_or_cookies():
    built = event(raw_query="", headers=[], body=b"", path_parameters={})
    for absent in ("body", "queryStringParameters", "cookies", "pathParameters"):
        assert absent not in built


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("application/cloudevents+json", True),
        ("text/plain", True),
        ("application/xml", True),
        ("application/octet-stream", False),
        ("image/png", False),
        (None, False),
    ],
)
def test_text_content_types(content_type, text):
    assert is_text(content_type) is text


def test_response_mapping_follows_payload_2_rules():
    assert http_response({"statusCode": 202, "headers": {"x": "1"}, "body": "ok"}) == (
        202,
        {"x": "1"},
        [],
        b"ok",
    )
    encoded = {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode()}
    assert http_response({**encoded, "isBase64Encoded": True})[3] == b"\x00\x01"
    assert http_response({"statusCode": 204})[3] == b""
    assert http_response({"statusCode": 200, "cookies": ["a=b"]})[2] == ["a=b"]
    # Without statusCode: 200, application/json, the string itself or the JSON of the value.
    assert http_response("hello") == (200, {"content-type": "application/json"}, [], b"hello")
    assert http_response({"a": 1})[3] == b'{"a": 1}'


def _found_route(api: HttpApi, method: str, path: str) -> Route:
    found = api.find(method, path)
    assert found is not None, f"no route found for {method} {path}"
    return found[0]


def test_route_matching_and_specificity():
    pool = cast(FunctionPool, object())  # never invoked: only the routes' matching is tested
    provider = Route("POST /webhooks/{provider}", pool)
    assert provider.match("POST", "/webhooks/github") == {"provider": "github"}
    assert provider.match("GET", "/webhooks/github") is None
    assert provider.match("POST", "/webhooks/github/extra") is None
    assert provider.match("POST", "/webhooks/") is None
    assert Route("ANY /x/{proxy+}", pool).match("PUT", "/x/a/b") == {"proxy": "a/b"}
    exact = Route("POST /webhooks/special", pool)
    api = HttpApi()
    try:
        api.set_routes([provider, Route("$default", pool), exact])
        assert _found_route(api, "POST", "/webhooks/special") is exact
        assert _found_route(api, "POST", "/webhooks/other") is provider
        assert _found_route(api, "GET", "/anything").route_key == "$default"
    finally:
        api.server_close()


class FakePool:
    """Answers like a function; remembers the events it got."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, event: dict[str, Any]) -> Invocation:
        self.events.append(event)
        if event.get("body") == "crash":
            return Invocation(ok=False, error={"errorType": "RuntimeError"})
        return Invocation(
            ok=True,
            result={
                "statusCode": 202,
                "headers": {"content-type": "application/json"},
                "body": json.dumps({"provider": event["pathParameters"]["provider"]}),
            },
        )


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[HttpApi, FakePool]]:
    pool = FakePool()
    api = HttpApi()
    # The fake stands in for the function's pool: the API only calls its `invoke`.
    api.set_routes([Route("POST /webhooks/{provider}", cast(FunctionPool, pool))])
    thread = threading.Thread(target=api.serve_forever, daemon=True)
    thread.start()
    yield api, pool
    api.shutdown()
    api.server_close()


def request(
    api: HttpApi,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", api.server_address[1], timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), payload


def test_round_trip(server):
    api, pool = server
    status, headers, body = request(
        api,
        "POST",
        "/webhooks/stripe?x=1",
        b'{"id":"evt_1"}',
        {"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=ab"},
    )
    assert status == 202 and json.loads(body) == {"provider": "stripe"}
    assert headers["content-type"] == "application/json"
    sent = pool.events[-1]
    assert sent["body"] == '{"id":"evt_1"}'
    assert sent["headers"]["stripe-signature"] == "t=1,v1=ab"
    assert sent["rawQueryString"] == "x=1"


def test_unmatched_route_and_wrong_method_are_404_as_api_gateway(server):
    api, _ = server
    assert request(api, "POST", "/nowhere")[0::2] == (404, b'{"message": "Not Found"}')
    assert request(api, "GET", "/webhooks/github")[0] == 404


def test_function_error_is_500(server):
    api, _ = server
    status, _, body = request(api, "POST", "/webhooks/x", b"crash", {"content-type": "text/plain"})
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


def test_payload_above_10_mb_is_413(server):
    api, pool = server
    before = len(pool.events)
    status, _, body = request(api, "POST", "/webhooks/x", b"x" * (10 * 1024 * 1024 + 1))
    assert status == 413 and json.loads(body) == {"message": "Request Entity Too Large"}
    assert len(pool.events) == before


def test_token_bucket_allows_the_burst_then_the_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one token back at 2 per second
    assert [bucket.take() for _ in range(2)] == [True, False]
    now[0] = 100.0  # never more than the burst
    assert sum(bucket.take() for _ in range(10)) == 3


def test_throttled_requests_are_429_and_reach_no_function(server):
    api, pool = server
    api.throttle = TokenBucket(rate=0.001, burst=1)
    try:
        before = len(pool.events)
        assert request(api, "POST", "/webhooks/a", b"{}")[0] == 202
        status, _, body = request(api, "POST", "/webhooks/a", b"{}")
        assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})
        assert len(pool.events) == before + 1
    finally:
        api.throttle = None
