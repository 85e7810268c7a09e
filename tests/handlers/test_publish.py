"""The publish step over fake clients: item → entry (each body case), batching, failures."""

import base64
import hashlib
import json
from typing import Any

import pytest

from webhooks import envelope, storage
from webhooks.batch import FAILED
from webhooks.environ import SettingsError
from webhooks.publish import (
    ALWAYS_INLINE_BYTES,
    DEFERRED,
    MAX_ENTRIES,
    MAX_FIELDS_BYTES,
    MAX_MATCH_BYTES,
    MAX_MATCH_PATH_BYTES,
    MAX_REQUEST_BYTES,
    MAX_UNMATCHED_BYTES,
    PUBLISHED,
    SKIPPED,
    PoisonedBatch,
    Publisher,
    PublishError,
    batches,
    entry_size,
    match_values,
    publish_records,
)
from webhooks.publish_settings import PublishHandlerSettings

BUS = "webhooks-test"


def item(
    body: bytes = b'{"repository": {"full_name": "acme/api"}}',
    *,
    delivery_id: str = "d-1",
    provider: str = "github",
    event_type: str = "push",
    archived: bool = False,
) -> storage.Item:
    message = envelope.build(
        provider=provider,
        delivery_id=delivery_id,
        event_type=event_type,
        received_at="2026-11-28T17:00:00.000Z",
        source_ip="192.0.2.7",
        headers={},
        body=body,
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_s3_key=envelope.archive_key(provider, delivery_id) if archived else None,
    )
    parsed = envelope.parse(envelope.encode(message))
    return storage.to_item(parsed, stored_at="2026-11-28T17:00:01.000Z", expires_at=None)


def stream_record(image: dict[str, Any], sequence: str, event_name: str = "INSERT") -> dict:
    # Lambda's stream events carry binary attributes base64-encoded.
    wire = {
        k: ({"B": base64.b64encode(v["B"]).decode()} if "B" in v else v) for k, v in image.items()
    }
    return {
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {"SequenceNumber": sequence, "NewImage": wire, "StreamViewType": "NEW_IMAGE"},
    }


class FakeBus:
    def __init__(self, fail: frozenset[str] = frozenset(), raise_calls: int = 0) -> None:
        self.calls: list[list[dict]] = []
        self.fail = fail
        self.raise_calls = raise_calls

    def put_events(self, Entries: list[dict]) -> dict:
        self.calls.append(Entries)
        if self.raise_calls:
            self.raise_calls -= 1
            raise RuntimeError("endpoint unreachable")
        results = []
        for entry in Entries:
            delivery = json.loads(entry["Detail"])["delivery_id"]
            if delivery in self.fail:
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "injected"})
            else:
                results.append({"EventId": f"e-{delivery}"})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def test_json_body_is_published_as_payload_with_every_field() -> None:
    entry = Publisher(BUS).entry(item())
    assert entry["Source"] == "webhooks.github"
    assert entry["DetailType"] == "push"
    assert entry["EventBusName"] == BUS
    detail = json.loads(entry["Detail"])
    raw = b'{"repository": {"full_name": "acme/api"}}'
    assert detail == {
        "provider": "github",
        "delivery_id": "d-1",
        "event_type": "push",
        "received_at": "2026-11-28T17:00:00.000Z",
        "stored_at": "2026-11-28T17:00:01.000Z",
        "body_sha256": hashlib.sha256(raw).hexdigest(),
        "body_size": len(raw),
        "replayed": False,
        "payload": {"repository": {"full_name": "acme/api"}},
    }


def test_text_and_binary_bodies_and_unknown_type() -> None:
    text = json.loads(Publisher(BUS).entry(item(b"a=1&b=2", event_type=""))["Detail"])
    assert text["body"] == "a=1&b=2"
    assert "body_base64" not in text and "payload" not in text
    assert Publisher(BUS).entry(item(b"x", event_type=""))["DetailType"] == "unknown"
    binary = json.loads(Publisher(BUS).entry(item(b"\xff\xfe\x00"))["Detail"])
    assert binary["body_base64"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\xfe\x00"
    scalar = json.loads(Publisher(BUS).entry(item(b"42"))["Detail"])
    assert scalar["body"] == "42"  # a JSON scalar is no object or array: text


def test_archived_body_is_a_claim_check_and_routes_like_inline() -> None:
    raw = json.dumps({"repository": {"full_name": "acme/api"}, "pad": "x" * 100}).encode()
    reads: list[str] = []

    def read(key: str) -> bytes:
        reads.append(key)
        return raw

    publisher = Publisher(
        BUS, match_paths=("repository.full_name",), archive_bucket="arch", read_archived=read
    )
    claim = json.loads(publisher.entry(item(raw, archived=True))["Detail"])
    inline = json.loads(publisher.entry(item(raw))["Detail"])
    assert claim["body_s3_bucket"] == "arch"
    assert claim["body_s3_key"] == envelope.archive_key("github", "d-1")
    assert "payload" not in claim and "body" not in claim
    assert claim["match"] == inline["match"] == {"repository": {"full_name": "acme/api"}}
    assert reads == [envelope.archive_key("github", "d-1")]


def test_no_match_paths_no_archive_read() -> None:
    publisher = Publisher(BUS, archive_bucket="arch")
    detail = json.loads(publisher.entry(item(b"{}", archived=True))["Detail"])
    assert "match" not in detail and detail["body_s3_key"]


def test_oversize_inline_body_is_archived_first() -> None:
    raw = json.dumps({"text": "\x01" * 60_000}).encode()  # escapes to 6 bytes each
    written: dict[str, bytes] = {}
    publisher = Publisher(
        BUS,
        archive_bucket="arch",
        write_archived=lambda request: written.update({request["Key"]: request["Body"]}),
    )
    entry = publisher.entry(item(raw))
    detail = json.loads(entry["Detail"])
    key = envelope.archive_key("github", hashlib.sha256(raw).hexdigest())
    assert written == {key: raw}
    assert detail["body_s3_key"] == key
    assert entry_size(entry) <= MAX_REQUEST_BYTES
    with pytest.raises(PublishError):
        Publisher(BUS).entry(item(raw))


def test_match_values_take_scalars_and_scalar_lists_only() -> None:
    data = {"a": {"b": "x", "c": {"d": 1}, "e": [1, "y"], "f": [{"g": 1}]}, "n": None}
    paths = ("a.b", "a.c", "a.c.d", "a.e", "a.f", "n", "missing.path")
    assert match_values(data, paths) == ({"a": {"b": "x", "c": {"d": 1}, "e": [1, "y"]}}, [])
    assert match_values(["not", "an", "object"], ("a",)) == ({}, [])
    assert match_values(None, ("a",)) == ({}, [])


def test_batches_respect_count_and_size() -> None:
    small = {"Source": "s", "DetailType": "t", "Detail": "x" * 100}
    assert [len(b) for b in batches([small] * 25)] == [10, 10, 5]
    big = {"Source": "s", "DetailType": "t", "Detail": "x" * 100_000}
    groups = batches([big, big, big, small])
    assert groups == [[0, 1], [2, 3]]
    for group in batches([big, small] * 7):
        assert len(group) <= MAX_ENTRIES
        assert sum(entry_size([big, small][i % 2]) for i in group) <= MAX_REQUEST_BYTES


def test_a_refused_entry_is_retried_and_later_calls_wait_for_it() -> None:
    """The mapping retries from the lowest reported record, so what comes after a refused
    entry's call is not sent now: it would be published twice. The first entry goes alone."""
    records = [stream_record(item(delivery_id=f"d-{n}"), f"{100 + n}") for n in range(12)]
    bus = FakeBus(fail=frozenset({"d-3", "d-11"}))
    result = publish_records(records, Publisher(BUS), bus.put_events)
    assert [len(c) for c in bus.calls] == [1, 10]
    assert result.failed == ["103", "111"]
    assert result.outcomes[PUBLISHED] == 10
    assert result.outcomes[FAILED] == 1 and result.outcomes[DEFERRED] == 1
    assert result.response() == {
        "batchItemFailures": [{"itemIdentifier": "103"}, {"itemIdentifier": "111"}]
    }


def test_a_refused_first_entry_sends_nothing_else_and_fails_the_invocation() -> None:
    """A record the mapping retries comes first: refused again, the batch is bisected."""
    records = [stream_record(item(delivery_id=f"d-{n}"), str(n)) for n in range(15)]
    bus = FakeBus(raise_calls=1)
    with pytest.raises(PoisonedBatch) as raised:
        publish_records(records, Publisher(BUS), bus.put_events)
    assert len(bus.calls) == 1 and len(bus.calls[0]) == 1
    result = raised.value.result
    assert result.failed == [str(n) for n in range(15)]
    assert result.outcomes[FAILED] == 1 and result.outcomes[DEFERRED] == 14


def test_non_event_items_and_modifications_are_skipped() -> None:
    lookup = {"pk": {"S": "lookup#x"}, "value": {"S": "y"}}
    records = [
        stream_record(lookup, "1"),
        stream_record(item(), "2", event_name="MODIFY"),
        stream_record(item(), "3"),
    ]
    bus = FakeBus()
    result = publish_records(records, Publisher(BUS), bus.put_events)
    assert result.outcomes[SKIPPED] == 2 and result.outcomes[PUBLISHED] == 1
    assert len(bus.calls) == 1 and len(bus.calls[0]) == 1


def test_a_corrupt_item_publishes_nothing_of_its_batch() -> None:
    """Finding 4: its batch-mates were published once per retry. Now nothing is sent and the
    invocation fails, so the mapping bisects down to the corrupt item alone."""
    bad = item()
    bad["body_sha256"] = {"S": "0" * 64}
    records = [stream_record(item(delivery_id="ok"), "1"), stream_record(bad, "2")]
    bus = FakeBus()
    with pytest.raises(PoisonedBatch) as raised:
        publish_records(records, Publisher(BUS), bus.put_events)
    assert bus.calls == []
    assert raised.value.result.failed == ["2"]
    assert raised.value.result.outcomes[FAILED] == 1


def test_replayed_flag() -> None:
    assert json.loads(Publisher(BUS).entry(item(), replayed=True)["Detail"])["replayed"] is True


def test_settings_round_trip_and_errors() -> None:
    settings = PublishHandlerSettings(
        event_bus_name=BUS, environment="dev", archive_bucket="b", match_paths=("a.b", "c")
    )
    assert PublishHandlerSettings.from_environ(settings.to_environ()) == settings
    bare = PublishHandlerSettings(event_bus_name=BUS, environment="dev")
    assert PublishHandlerSettings.from_environ(bare.to_environ()) == bare
    with pytest.raises(SettingsError, match="EVENT_BUS_NAME"):
        PublishHandlerSettings.from_environ({"ENVIRONMENT": "dev"})
    with pytest.raises(SettingsError, match="MATCH_PATHS"):
        PublishHandlerSettings.from_environ(
            {"EVENT_BUS_NAME": BUS, "ENVIRONMENT": "dev", "MATCH_PATHS": "a..b"}
        )


def test_a_body_within_always_inline_fits_an_entry_with_the_longest_fields() -> None:
    """hookgate/components/publisher.py grants no archive write up to `ALWAYS_INLINE_BYTES`: the
    worst
    such body (every byte escaped to six) with the longest fields fits without the archive."""
    long_item = item(
        b"\x01" * ALWAYS_INLINE_BYTES,
        delivery_id="\x01" * envelope.MAX_DELIVERY_ID_LENGTH,
        event_type="\x02" * envelope.MAX_EVENT_TYPE_LENGTH,
    )
    entry = Publisher(BUS).entry(long_item)  # no archive: raises when it does not fit
    assert "body" in json.loads(entry["Detail"])
    fields = entry_size(entry) - 6 * ALWAYS_INLINE_BYTES
    assert fields <= MAX_FIELDS_BYTES
    assert entry_size(entry) + MAX_MATCH_BYTES + MAX_UNMATCHED_BYTES <= MAX_REQUEST_BYTES


def test_detail_match_stays_within_its_bounds() -> None:
    paths = tuple(f"p{n:02}" for n in range(12))
    data = {path: [f"{path}-{i}-" + "v" * 200 for i in range(15)] for path in paths}
    match, unmatched = match_values(data, paths)
    assert len(json.dumps(match, separators=(",", ":")).encode()) <= MAX_MATCH_BYTES
    assert all(len(json.dumps(v).encode()) <= MAX_MATCH_PATH_BYTES for v in match.values())
    assert unmatched == [p for p in paths if p not in match] and match and unmatched
