"""The table item of an envelope, and the way back to the sender's exact bytes (no AWS)."""

import base64
import hashlib
import json
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.handlers.messages import envelope_message
from webhooks import envelope, storage

NOW = 1_795_885_200.5  # 2026-11-28T17:00:00.500Z


def _parsed(body: bytes, **fields: object) -> envelope.Envelope:
    return envelope.parse(envelope.encode(envelope_message(body, **fields)))


def test_item_fields_follow_the_contract() -> None:
    env = _parsed(b'{"zen": "Keep it logically awesome."}', delivery_id="d-1")
    item = storage.to_item(env, stored_at="2026-11-28T17:00:01.000Z", expires_at=1_800_000_000)
    assert item["pk"] == {"S": "github#d-1"}
    assert item["provider"] == {"S": "github"}
    assert item["delivery_id"] == {"S": "d-1"}
    assert item["event_type"] == {"S": "push"}
    assert item["received_at"] == {"S": "2026-11-28T17:00:00.123Z"}
    assert item["source_ip"] == {"S": "192.0.2.1"}
    assert item["stored_at"] == {"S": "2026-11-28T17:00:01.000Z"}
    assert json.loads(item["headers"]["S"]) == env.headers
    assert item["body_sha256"] == {"S": env.body_sha256}
    assert item["body_size"] == {"N": "37"}
    assert item["expires_at"] == {"N": "1800000000"}
    assert "payload_s3_key" not in item
    assert set(item) == {
        "pk", "provider", "delivery_id", "event_type", "received_at", "source_ip",
        "stored_at", "headers", "body_sha256", "body_size", "payload", "expires_at",
    }  # fmt: skip


def test_inline_payload_is_zlib_of_the_raw_bytes() -> None:
    body = json.dumps({"items": ["same text again"] * 200}).encode()
    item = storage.to_item(_parsed(body), stored_at="t", expires_at=None)
    assert zlib.decompress(item["payload"]["B"]) == body
    assert len(item["payload"]["B"]) < len(body) // 10


def test_text_body_round_trips_to_the_original_bytes() -> None:
    body = '{"name": "caf\u00e9 \u2603", "emoji": "\U0001f680"}'.encode()
    item = storage.to_item(_parsed(body), stored_at="t", expires_at=None)
    assert storage.original_bytes(item) == body


def test_binary_body_travels_as_base64_and_round_trips() -> None:
    body = bytes(range(256)) * 3
    message = envelope_message(body)
    assert message["body_base64"] is True
    assert base64.b64decode(message["body"]) == body
    item = storage.to_item(envelope.parse(envelope.encode(message)), stored_at="t", expires_at=None)
    assert storage.original_bytes(item) == body


@given(st.binary(max_size=4096))
def test_any_body_round_trips(body: bytes) -> None:
    item = storage.to_item(_parsed(body), stored_at="t", expires_at=None)
    assert storage.original_bytes(item) == body


def test_archived_body_is_referenced_not_stored() -> None:
    body = b"x" * 300_000
    key = envelope.archive_key("github", "d-9")
    message = envelope_message(body, delivery_id="d-9", body_s3_key=key)
    item = storage.to_item(envelope.parse(envelope.encode(message)), stored_at="t", expires_at=None)
    assert item["payload_s3_key"] == {"S": key}
    assert "payload" not in item
    assert item["body_size"] == {"N": "300000"}
    fetched: list[str] = []

    def read_archived(s3_key: str) -> bytes:
        fetched.append(s3_key)
        return body

    assert storage.original_bytes(item, read_archived) == body
    assert fetched == [key]


def test_archived_body_needs_a_reader() -> None:
    message = envelope_message(b"abc", body_s3_key="bodies/github/k")
    item = storage.to_item(envelope.parse(envelope.encode(message)), stored_at="t", expires_at=None)
    with pytest.raises(ValueError, match="read_archived"):
        storage.original_bytes(item)


def test_reader_rejects_bytes_that_do_not_match_the_digest() -> None:
    item = storage.to_item(_parsed(b"original"), stored_at="t", expires_at=None)
    item["payload"] = {"B": zlib.compress(b"tampered")}
    with pytest.raises(ValueError, match="body_sha256"):
        storage.original_bytes(item)
    archived = dict(item)
    del archived["payload"]
    archived["payload_s3_key"] = {"S": "bodies/github/k"}
    with pytest.raises(ValueError, match="body_sha256"):
        storage.original_bytes(archived, lambda key: b"other bytes")


def test_reader_rejects_an_item_without_a_body() -> None:
    with pytest.raises(ValueError, match="neither"):
        storage.original_bytes({"body_sha256": {"S": hashlib.sha256(b"").hexdigest()}})


@given(st.dictionaries(st.text(max_size=64), st.text(max_size=2048), max_size=16))
def test_headers_are_compact_json_text(headers: dict[str, str]) -> None:
    parsed = envelope.parse(envelope.encode(envelope_message(b"{}", headers=headers)))
    text = storage.to_item(parsed, stored_at="2026-11-28T17:00:01.000Z", expires_at=None)[
        "headers"
    ]["S"]
    assert text == json.dumps(headers, separators=(",", ":"))
    assert json.loads(text) == headers


def test_ttl_counts_days_from_the_write() -> None:
    assert storage.expires_at(NOW, 30) == 1_795_885_200 + 30 * 86_400
    assert storage.expires_at(NOW, 1) == 1_795_885_200 + 86_400


def test_ttl_zero_means_no_expiry_attribute() -> None:
    assert storage.expires_at(NOW, 0) is None
    item = storage.to_item(_parsed(b"{}"), stored_at="t", expires_at=None)
    assert "expires_at" not in item


def test_stored_at_is_iso_utc_with_milliseconds() -> None:
    assert storage.stored_at(NOW) == "2026-11-28T17:00:00.500Z"


def test_same_delivery_always_has_the_same_key() -> None:
    first = storage.to_item(_parsed(b"a", delivery_id="x#1"), stored_at="t1", expires_at=None)
    again = storage.to_item(_parsed(b"a", delivery_id="x#1"), stored_at="t2", expires_at=None)
    other = storage.to_item(
        _parsed(b"a", provider="stripe", delivery_id="x#1"), stored_at="t", expires_at=None
    )
    assert first["pk"] == again["pk"] == {"S": "github#x#1"}
    assert other["pk"] == {"S": "stripe#x#1"}


_PROVIDERS = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=32)
_SHA256 = st.binary(max_size=64).map(lambda body: hashlib.sha256(body).hexdigest())


@given(
    provider=_PROVIDERS,
    other_provider=_PROVIDERS,
    delivery_id=st.text(min_size=1, max_size=256),
    event_type=st.text(max_size=256),
    body_sha256=_SHA256,
    conflict_id=st.text(min_size=1, max_size=256),
)
def test_no_delivery_id_spells_a_content_or_conflict_key(
    provider: str,
    other_provider: str,
    delivery_id: str,
    event_type: str,
    body_sha256: str,
    conflict_id: str,
) -> None:
    """The sender's namespace and the system's are disjoint, whatever the id spells: an
    arbitrary id, and ids copied from every system key (whole, or after the provider name and
    its separator, as finding 2's `content#<sha>` was)."""
    system = set()
    for owner in (provider, other_provider):  # the same provider's keys and another's
        content = storage.content_key(owner, event_type, body_sha256)
        system |= {
            content,
            storage.conflict_key(owner, content, body_sha256),
            storage.conflict_key(owner, storage.item_key(owner, conflict_id), body_sha256),
        }
    chosen = {delivery_id, f"content#{body_sha256}"}
    chosen |= system | {key[len(provider) + 1 :] for key in system}
    for candidate in chosen - {""}:
        assert storage.item_key(provider, candidate) not in system


@pytest.mark.parametrize("attack", ["content#{sha}", "!content!{sha}!push", "{key}", "{tail}"])
def test_an_id_chosen_as_a_content_key_lands_in_the_senders_namespace(attack: str) -> None:
    """Finding 2's id `content#<sha256 of F>`, and every other spelling of F's key."""
    sha = hashlib.sha256(b"F").hexdigest()
    key = storage.content_key("github", "push", sha)
    chosen = attack.format(sha=sha, key=key, tail=key.removeprefix("github"))
    assert storage.item_key("github", chosen) != key
    assert storage.item_key("github", chosen) != storage.conflict_key("github", key, sha)


def test_the_content_key_covers_the_event_type() -> None:
    sha = hashlib.sha256(b"{}").hexdigest()
    updated = _parsed(b"{}", event_type="orders/updated", dedupe="content")
    paid = _parsed(b"{}", event_type="orders/paid", dedupe="content")
    assert storage.event_key(updated) == f"github!content!{sha}!orders/updated"
    assert storage.event_key(paid) == f"github!content!{sha}!orders/paid"


@pytest.mark.parametrize("provider", ["", "git#hub", "git!hub"])
def test_a_provider_name_that_would_end_early_is_refused(provider: str) -> None:
    with pytest.raises(ValueError, match="provider name"):
        storage.item_key(provider, "d-1")
    with pytest.raises(ValueError, match="provider name"):
        storage.content_key(provider, "push", hashlib.sha256(b"").hexdigest())
