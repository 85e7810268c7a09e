"""The v1 envelope: what ingest builds, process parses back to the same bytes."""

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhooks import envelope
from webhooks.envelope import EnvelopeError


def _build(body: bytes, **overrides: object) -> dict[str, object]:
    fields: dict[str, Any] = {  # `envelope.build`'s keyword arguments
        "provider": "github",
        "delivery_id": "d-1",
        "event_type": "push",
        "received_at": "2026-11-28T17:00:00.123Z",
        "source_ip": "192.0.2.1",
        "headers": {"x-github-event": "push"},
        "body": body,
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    fields.update(overrides)
    return envelope.build(**fields)


def test_text_body_travels_as_text() -> None:
    message = _build(b'{"a": "\xc3\xa9"}')
    assert message["body"] == '{"a": "\u00e9"}'
    assert "body_base64" not in message
    assert message["v"] == 1
    assert message["body_size"] == 11


def test_binary_body_travels_as_base64() -> None:
    message = _build(b"\xff\x00\xfe")
    assert message["body_base64"] is True
    assert envelope.parse(envelope.encode(message)).body == b"\xff\x00\xfe"


def test_archived_body_carries_only_the_key() -> None:
    key = envelope.archive_key("github", "d-1")
    message = _build(b"x" * 10, body_s3_key=key)
    assert "body" not in message
    parsed = envelope.parse(envelope.encode(message))
    assert parsed.body is None
    assert parsed.body_s3_key == key
    assert parsed.body_size == 10


def test_archive_key_is_the_bodys_content_hash() -> None:
    """The key names the bytes, not the delivery: no id can point a write at another body."""
    digest = hashlib.sha256(b"body").hexdigest()
    assert envelope.archive_key("stripe", digest) == f"bodies/stripe/{digest}"
    assert envelope.archive_key("stripe", digest) != envelope.archive_key("github", digest)


def test_encoded_message_is_ascii_so_len_is_its_size() -> None:
    text = envelope.encode(_build("\ufffe\u00e9".encode()))
    assert text.isascii()


def test_received_at_format() -> None:
    assert envelope.format_received_at(1_795_885_200_123) == "2026-11-28T17:00:00.123Z"
    assert envelope.format_received_at(5) == "1970-01-01T00:00:00.005Z"


@given(
    body=st.binary(max_size=300),
    delivery_id=st.text(min_size=1, max_size=40),
    headers=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
)
def test_round_trip_keeps_bytes_and_fields(
    body: bytes, delivery_id: str, headers: dict[str, str]
) -> None:
    parsed = envelope.parse(envelope.encode(_build(body, delivery_id=delivery_id, headers=headers)))
    assert parsed.body == body
    assert parsed.delivery_id == delivery_id
    assert parsed.headers == headers
    assert parsed.body_sha256 == hashlib.sha256(body).hexdigest()


def _valid() -> dict[str, object]:
    return _build(b"hello")


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        (json.dumps({**_valid(), "v": 2}), "unknown envelope version 2"),
        (json.dumps({**_valid(), "v": True}), "unknown envelope version"),
        (json.dumps({k: v for k, v in _valid().items() if k != "v"}), "unknown envelope version"),
        (json.dumps({**_valid(), "delivery_id": ""}), "must not be empty"),
        (json.dumps({**_valid(), "provider": 3}), "'provider'"),
        (json.dumps({**_valid(), "headers": {"a": 1}}), "'headers'"),
        (json.dumps({**_valid(), "body_size": -1}), "'body_size'"),
        (json.dumps({**_valid(), "body_s3_key": "k"}), "exactly one"),
        (json.dumps({k: v for k, v in _valid().items() if k != "body"}), "exactly one"),
        (json.dumps({**_valid(), "body": "hellO"}), "does not match 'body_sha256'"),
        (json.dumps({**_valid(), "body_size": 4}), "'body_size' says 4"),
        (json.dumps({**_valid(), "body_base64": True, "body": "!!"}), "not valid base64"),
        (json.dumps({**_valid(), "body": "\ud800"}), "not valid UTF-8"),
        (json.dumps({**_valid(), "delivery_id": "d" * 257}), "delivery id longer than 256"),
        (json.dumps({**_valid(), "source_ip": "1" * 65}), "source ip longer than 64"),
        (json.dumps({**_valid(), "provider": "p" * 33}), "provider longer than 32"),
    ],
)
def test_parse_rejects_with_a_reason(message: str, reason: str) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        envelope.parse(message)


@given(
    body=st.binary(max_size=64)
    | st.text(max_size=64).map(str.encode)
    | st.text(st.characters(min_codepoint=0x1E, max_codepoint=0x80), max_size=64).map(str.encode),
    delivery_id=st.text(min_size=1, max_size=16),
    headers=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    archived=st.booleans(),
)
def test_an_encoded_message_is_ascii_and_parses_back(
    body: bytes, delivery_id: str, headers: dict[str, str], archived: bool
) -> None:
    fields: dict[str, Any] = {  # `envelope.build`'s keyword arguments
        "provider": "github",
        "delivery_id": delivery_id,
        "event_type": "push\u00e9",
        "received_at": "2026-11-28T17:00:00.123Z",
        "source_ip": "192.0.2.1",
        "headers": headers,
        "body": body,
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    if archived:
        fields["body_s3_key"] = envelope.archive_key("github", delivery_id)
    text = envelope.encode(envelope.build(**fields))
    assert text.isascii()  # so its length is its size in bytes
    parsed = envelope.parse(text)
    assert (parsed.delivery_id, parsed.event_type, parsed.headers) == (
        delivery_id,
        "push\u00e9",
        headers,
    )
    if archived:
        assert (parsed.body, parsed.body_s3_key) == (None, fields["body_s3_key"])
    else:
        assert (parsed.body, parsed.body_size) == (body, len(body))


_TEXTS = st.text(max_size=12) | st.text(st.characters(min_codepoint=0x1E, max_codepoint=0x80))


@given(
    body=st.binary(max_size=64) | _TEXTS.map(str.encode),
    fields=st.fixed_dictionaries(
        {
            "provider": _TEXTS,
            "delivery_id": _TEXTS,
            "event_type": _TEXTS,
            "received_at": _TEXTS,
            "source_ip": _TEXTS,
            "headers": st.dictionaries(_TEXTS, _TEXTS, max_size=4),
        },
        optional={
            "body_s3_key": _TEXTS,
            "dedupe": st.sampled_from([envelope.DEDUPE_BY_DELIVERY_ID, envelope.DEDUPE_BY_CONTENT]),
        },
    ),
)
def test_text_is_the_built_message_encoded(body: bytes, fields: dict[str, Any]) -> None:
    """The ingest path's one-step `text` writes exactly what `encode(build(...))` writes."""
    fields |= {"body": body, "body_sha256": hashlib.sha256(body).hexdigest()}
    assert envelope.text(**fields) == envelope.encode(envelope.build(**fields))


def test_received_at_formats_each_second_it_is_given() -> None:
    """Each call formats its own second, earlier or later than the one before."""
    seconds = [1_795_885_200, 1_795_885_201, 1_795_885_200, 0, 1_795_885_201]
    expected = [
        "2026-11-28T17:00:00.999Z",
        "2026-11-28T17:00:01.999Z",
        "2026-11-28T17:00:00.999Z",
        "1970-01-01T00:00:00.999Z",
        "2026-11-28T17:00:01.999Z",
    ]
    assert [envelope.format_received_at(s * 1000 + 999) for s in seconds] == expected
