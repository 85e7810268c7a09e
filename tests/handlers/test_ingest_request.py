"""Reading the HTTP API event: raw bytes as sent, headers case-insensitive."""

import base64

import pytest
from webhooks import request
from webhooks.request import BodyError


def test_header_names_are_lower_cased() -> None:
    event = {"headers": {"X-Hub-Signature-256": "sha256=ab", "Content-Type": "a", "x-n": 3}}
    assert request.headers(event) == {"x-hub-signature-256": "sha256=ab", "content-type": "a"}
    assert request.headers({"headers": None}) == {}


def test_text_body_is_the_utf8_bytes_sent() -> None:
    assert request.raw_body({"body": '{"a":"\u00e9"}'}, 100) == b'{"a":"\xc3\xa9"}'
    assert request.raw_body({}, 100) == b""


def test_base64_body_is_decoded_first() -> None:
    raw = b"\x00\xff binary"
    event = {"body": base64.b64encode(raw).decode(), "isBase64Encoded": True}
    assert request.raw_body(event, 100) == raw


@pytest.mark.parametrize(
    ("event", "status", "reason"),
    [
        ({"body": "abc", "isBase64Encoded": True}, 400, "body is not valid base64"),
        ({"body": "ab\ncd==", "isBase64Encoded": True}, 400, "body is not valid base64"),
        ({"body": "\ud800"}, 400, "body is not valid UTF-8 text"),
        ({"body": 42}, 400, "body is not a string"),
        ({"body": "x" * 11}, 413, "body too large"),
        ({"body": "\u00e9" * 6}, 413, "body too large"),  # 6 characters, 12 bytes
        ({"body": base64.b64encode(b"x" * 11).decode(), "isBase64Encoded": True}, 413, "too large"),
        ({"body": "A" * 400, "isBase64Encoded": True}, 413, "body too large"),
    ],
)
def test_unreadable_or_large_bodies(event: dict, status: int, reason: str) -> None:
    with pytest.raises(BodyError, match=reason) as caught:
        request.raw_body(event, 10)
    assert caught.value.status == status


def test_limit_is_inclusive() -> None:
    assert request.raw_body({"body": "x" * 10}, 10) == b"x" * 10
    encoded = base64.b64encode(b"y" * 10).decode()
    assert request.raw_body({"body": encoded, "isBase64Encoded": True}, 10) == b"y" * 10


@pytest.mark.parametrize(
    ("event", "name"),
    [
        ({"pathParameters": {"provider": "github"}}, "github"),
        ({"rawPath": "/webhooks/stripe"}, "stripe"),
        ({"rawPath": "/prod/webhooks/stripe/"}, "stripe"),
        ({"rawPath": "/other/stripe"}, None),
        ({"rawPath": "/webhooks/"}, None),
        ({}, None),
    ],
)
def test_provider_name(event: dict, name: str | None) -> None:
    assert request.provider_name(event) == name


def test_request_context_fields() -> None:
    event = {
        "requestContext": {"http": {"method": "post", "sourceIp": "192.0.2.7"}, "timeEpoch": 5}
    }
    assert request.http_method(event) == "POST"
    assert request.source_ip(event) == "192.0.2.7"
    assert request.received_ms(event, 99) == 5
    assert request.received_ms({}, 99) == 99
    assert (request.http_method({}), request.source_ip({"requestContext": 1})) == ("", "")
