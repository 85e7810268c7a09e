"""Reading the HTTP API event: raw bytes as sent, headers case-insensitive."""

import base64

import pytest

from webhooks import request
from webhooks.request import BodyError, Request


def body(event: dict, max_bytes: int) -> bytes:
    return request.parse(event).body(max_bytes)


def test_header_names_are_lower_cased() -> None:
    event = {"headers": {"X-Hub-Signature-256": "sha256=ab", "Content-Type": "a", "x-n": 3}}
    assert request.parse(event).headers == {
        "x-hub-signature-256": "sha256=ab",
        "content-type": "a",
    }
    assert request.parse({"headers": None}).headers == {}


def test_text_body_is_the_utf8_bytes_sent() -> None:
    assert body({"body": '{"a":"\u00e9"}'}, 100) == b'{"a":"\xc3\xa9"}'
    assert body({}, 100) == b""


def test_base64_body_is_decoded_first() -> None:
    raw = b"\x00\xff binary"
    event = {"body": base64.b64encode(raw).decode(), "isBase64Encoded": True}
    assert body(event, 100) == raw
    parsed = request.parse(event)
    assert (parsed.raw_body, parsed.base64_encoded) == (event["body"], True)


def test_only_true_means_base64() -> None:
    encoded = base64.b64encode(b"x").decode()
    assert body({"body": encoded, "isBase64Encoded": "true"}, 100) == encoded.encode()


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
        body(event, 10)
    assert caught.value.status == status
    assert reason in caught.value.reason


def test_limit_is_inclusive() -> None:
    assert body({"body": "x" * 10}, 10) == b"x" * 10
    encoded = base64.b64encode(b"y" * 10).decode()
    assert body({"body": encoded, "isBase64Encoded": True}, 10) == b"y" * 10


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
    assert request.parse(event).provider == name


def test_request_context_fields() -> None:
    event = {
        "requestContext": {
            "http": {"method": "post", "sourceIp": "192.0.2.7"},
            "requestId": "req-9",
            "timeEpoch": 1_795_885_200_123,
        }
    }
    parsed = request.parse(event)
    assert isinstance(parsed, Request)
    assert parsed.method == "POST"
    assert parsed.source_ip == "192.0.2.7"
    assert parsed.request_id == "req-9"
    assert parsed.received_ms == 1_795_885_200_123
    empty = request.parse({})
    assert (empty.method, empty.source_ip, empty.request_id) == ("", "", "")
    assert empty.received_ms is None  # the receiver falls back to its clock
    assert request.parse({"requestContext": 1}).source_ip == ""


@pytest.mark.parametrize(
    "time_epoch",
    # not a request time in milliseconds (a fix: these used to be taken as they came)
    [5, -1, 999_999_999_999, 100_000_000_000_001, 1_795_885_200.5, "1795885200123", True, None],
)
def test_implausible_time_epoch_is_ignored(time_epoch: object) -> None:
    event = {"requestContext": {"timeEpoch": time_epoch}}
    assert request.parse(event).received_ms is None


@pytest.mark.parametrize("time_epoch", [1_000_000_000_000, 100_000_000_000_000])
def test_time_epoch_bounds_are_inclusive(time_epoch: int) -> None:
    assert request.parse({"requestContext": {"timeEpoch": time_epoch}}).received_ms == time_epoch
