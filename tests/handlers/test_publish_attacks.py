"""Issue 19, the publishing side, written as the attacks (each failed on the code before it):

1. an unsigned delivery id equal to another body's SHA-256 made the publisher overwrite it;
3. one huge filtered list made the event unpublishable for every subscriber;
4. a lone surrogate or deep nesting failed every publish attempt, and the poison item's batch-
   mates were published once per retry;
5. `1e400`, `NaN`, integers beyond int64 and 129-256 character event types went out as
   entries EventBridge refuses.
"""

import base64
import hashlib
import json
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hookgate.components.subscribers import read_subscribers
from ops import signing
from tests.handlers.putevents import assert_accepted, matches
from tests.handlers.test_publish import BUS, FakeBus, item, stream_record
from webhooks import envelope
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.publish import (
    MAX_DETAIL_TYPE_LENGTH,
    MAX_REQUEST_BYTES,
    PoisonedBatch,
    Publisher,
    entry_size,
    publish_records,
)
from webhooks.receiver import Receiver
from webhooks.secrets import SecretsCache

SECRET = "github-attack-secret"
NOW = 1_795_885_200


class ChecksummedBucket:
    """S3 as it treats `ChecksumSHA256`: bytes that do not match it are refused (`BadDigest`),
    a write without one is stored as sent (moto stores both)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **extra: Any) -> dict:
        checksum = extra.pop("ChecksumSHA256", None)
        assert not extra, extra
        if (
            checksum is not None
            and checksum != base64.b64encode(hashlib.sha256(Body).digest()).decode()
        ):
            raise ClientError({"Error": {"Code": "BadDigest"}}, "PutObject")
        self.objects[Key] = Body
        return {}

    def read(self, key: str) -> bytes:
        return self.objects[key]

    def assert_content_keyed(self) -> None:
        """Every object sits at the key of its own bytes."""
        for key, body in self.objects.items():
            provider = key.split("/")[1]
            assert key == envelope.archive_key(provider, hashlib.sha256(body).hexdigest()), key


class Secrets:
    def get_secret_value(self, *, SecretId: str) -> dict:
        return {"SecretString": json.dumps({"secrets": [SECRET]})}


class Queue:
    def send_message(self, *, QueueUrl: str, MessageBody: str) -> dict:
        return {"MessageId": "m"}


def ingest_writer(bucket: ChecksummedBucket):
    """Ingest's archive write: a signed GitHub delivery whose body is above the inline limit."""
    environ = {
        "QUEUE_URL": "https://queue",
        "ARCHIVE_BUCKET": "archive",
        "PROVIDERS": json.dumps({"github": {"scheme": "github", "secret_arn": "arn:github"}}),
        "ENVIRONMENT": "test",
        "INLINE_BODY_LIMIT": "64",
    }
    receiver = Receiver(
        IngestHandlerSettings.from_environ(environ),
        sqs=Queue,
        s3=lambda: bucket,
        secrets=SecretsCache(Secrets, 300),
        clock=lambda: NOW,
    )

    def write(delivery_id: str, body: bytes) -> None:
        headers = signing.sign(
            "github", SECRET, body, delivery_id=delivery_id, event_type="push", timestamp=NOW
        )
        event = {
            "version": "2.0",
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"http": {"method": "POST", "sourceIp": "192.0.2.1"}},
            "pathParameters": {"provider": "github"},
            "body": body.decode(),
            "isBase64Encoded": False,
        }
        assert receiver.handle(event)["statusCode"] == 202

    return write


def publish_writer(bucket: ChecksummedBucket):
    """The publisher's archive write: an inline body too large for an entry."""

    def put(request: Any) -> None:
        bucket.put_object(Bucket="archive", **request)

    publisher = Publisher(BUS, archive_bucket="archive", write_archived=put)

    def write(delivery_id: str, body: bytes) -> None:
        publisher.entry(item(body, delivery_id=delivery_id))

    return write


def oversize(tag: str) -> bytes:
    """A body no entry holds inline (each control character escapes to six bytes)."""
    return json.dumps({"tag": tag}).encode()[:-1] + b"," + b'"x":"' + b"\x01" * 45_000 + b'"}'


def test_no_writer_can_put_other_bytes_under_a_key_it_did_not_derive_from_them() -> None:
    """Finding 1: every writer, against every key already in the archive, with the delivery id
    an attacker chooses (the key's hash, the key itself), writes only at its own bytes' key."""
    bucket = ChecksummedBucket()
    writers = {"ingest": ingest_writer(bucket), "publish": publish_writer(bucket)}
    for name, write in writers.items():
        write(f"legit-{name}", oversize(f"legit-{name}"))
    originals = dict(bucket.objects)
    assert len(originals) == 2
    for key in originals:
        digest = key.rsplit("/", 1)[1]
        for name, write in writers.items():
            for claimed in (digest, key, f"content#{digest}", "../" + digest):
                write(claimed, oversize(f"attack-{name}-{claimed}"))
                bucket.assert_content_keyed()
                assert {k: bucket.objects[k] for k in originals} == originals


def test_a_key_and_other_bytes_are_refused_by_the_checksum() -> None:
    """The key and the checksum come from one digest: bytes that are not it cannot land."""
    bucket = ChecksummedBucket()
    victim = b"victim body"
    request = envelope.archive_object("github", b"other bytes", hashlib.sha256(victim).hexdigest())
    with pytest.raises(ClientError, match="BadDigest"):
        bucket.put_object(Bucket="archive", **request)
    assert bucket.objects == {}


SUBSCRIBERS = {
    "modified": {"payload": {"head_commit.modified": ["src/app.py"]}},
    "everything": {},
    "ci": {"providers": ["github"], "eventTypes": ["push"]},
}


def routed(entry: dict[str, Any]) -> set[str]:
    event = assert_accepted(entry)
    settings = read_subscribers({"subscribers": SUBSCRIBERS}, ("github",))
    return {s.name for s in settings if matches(s.event_pattern(), event)}


def push(modified: list[str]) -> bytes:
    return json.dumps({"ref": "refs/heads/main", "head_commit": {"modified": modified}}).encode()


def test_a_huge_filtered_list_still_reaches_every_subscriber_not_filtering_on_it() -> None:
    """Finding 3: 9,000 modified files (~350 KB) under a filtered path."""
    body = push([f"src/module_{n:05}/with/a/rather/long/path/file.py" for n in range(9000)])
    assert len(body) > 350_000
    bucket = ChecksummedBucket()
    key = envelope.archive_key("github", hashlib.sha256(body).hexdigest())
    bucket.objects[key] = body
    publisher = Publisher(
        BUS,
        match_paths=("head_commit.modified",),
        archive_bucket="archive",
        read_archived=bucket.read,
    )
    archived = item(body, archived=True)
    archived["payload_s3_key"] = {"S": key}
    entry = publisher.entry(archived)
    assert entry_size(entry) <= MAX_REQUEST_BYTES
    assert routed(entry) == {"everything", "ci"}
    assert json.loads(entry["Detail"])["unmatched"] == ["head_commit.modified"]


def test_a_long_list_of_repeats_and_overlong_values_stays_matchable() -> None:
    """What the generated patterns can still match is kept: each distinct value once, values
    no allowed value can equal left out (and the path listed as not carried in full)."""
    body = push(["src/app.py"] * 5000 + ["x" * 300] * 10)
    entry = Publisher(BUS, match_paths=("head_commit.modified",)).entry(item(body))
    assert routed(entry) == {"modified", "everything", "ci"}
    detail = json.loads(entry["Detail"])
    assert detail["match"] == {"head_commit": {"modified": ["src/app.py"]}}
    assert detail["unmatched"] == ["head_commit.modified"]


@pytest.mark.parametrize(
    ("body", "kept_as"),
    [
        (b'{"name": "\\ud800", "tier": "gold"}', "body"),  # a lone surrogate, escaped
        (b'{"\\udfff": 1}', "body"),  # in a key
        (b"[" * 5000 + b"]" * 5000, "body"),  # deeper than anyone parses
        (b'{"a": ' * 990 + b"1" + b"}" * 990, "body"),  # within Python, past EventBridge
        (b'{"a": 1e400}', "body"),  # valid JSON, infinite as a double
        (b'{"a": NaN}', "body"),  # not JSON at all
        (b'{"a": 9223372036854775808}', "body"),  # one past int64
        (b'{"a": -9223372036854775809}', "body"),
        (b'{"a": 9223372036854775807, "b": -1.5e300}', "payload"),  # the edges themselves
        (b'{"a": "\\ud83d\\ude00"}', "payload"),  # a surrogate pair is one character
    ],
)
def test_every_stored_body_becomes_an_entry_eventbridge_accepts(body: bytes, kept_as: str) -> None:
    """Findings 4 and 5: each of these failed every attempt or went out as an entry AWS
    refuses; the body is kept byte for byte (payload only when EventBridge takes it)."""
    entry = Publisher(BUS, match_paths=("tier",)).entry(item(body))
    detail = assert_accepted(entry)["detail"]
    assert kept_as in detail
    if kept_as == "body":
        assert detail["body"].encode() == body
    else:
        assert detail["payload"] == json.loads(body)


def test_an_event_type_beyond_128_characters_is_truncated_and_kept_in_full() -> None:
    """Finding 5: ingest takes up to 256 characters; PutEvents' DetailType takes 128."""
    long_type = "order." + "x" * 200
    entry = Publisher(BUS).entry(item(event_type=long_type))
    event = assert_accepted(entry)
    assert len(entry["DetailType"]) == MAX_DETAIL_TYPE_LENGTH
    assert event["detail"]["event_type"] == long_type
    subscribers = {"orders": {"eventTypes": ["order.*"]}, "exact": {"eventTypes": ["order.x"]}}
    settings = read_subscribers({"subscribers": subscribers}, ("github",))
    assert {s.name for s in settings if matches(s.event_pattern(), event)} == {"orders"}
    exact_128 = long_type[:MAX_DETAIL_TYPE_LENGTH]  # a type no exact pattern may confuse
    assert entry["DetailType"] != exact_128


class StreamMapping:
    """A DynamoDB stream mapping as AWS documents it for `ReportBatchItemFailures` with
    `BisectBatchOnFunctionError`: a partial failure retries from the lowest reported record,
    a function error splits the batch in two (no retry consumed), `retries` per batch, then the
    batch's range goes to the on-failure destination."""

    def __init__(self, publisher: Publisher, bus: FakeBus, retries: int = 10) -> None:
        self.publisher = publisher
        self.bus = bus
        self.retries = retries
        self.destination: list[list[str]] = []

    def run(self, batch: list[dict[str, Any]]) -> None:
        attempts = 0
        while batch:
            try:
                result = publish_records(batch, self.publisher, self.bus.put_events)
            except PoisonedBatch:
                if len(batch) > 1:
                    half = len(batch) // 2
                    self.run(batch[:half])
                    self.run(batch[half:])
                    return
            else:
                if not result.failed:
                    return
                sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
                batch = batch[min(sequences.index(s) for s in result.failed) :]
            if attempts == self.retries:
                self.destination.append([r["dynamodb"]["SequenceNumber"] for r in batch])
                return
            attempts += 1


def test_a_poison_item_is_retried_alone_and_its_batch_mates_are_published_once() -> None:
    """Finding 4: an item that cannot become an entry (here a corrupt one) used to fail its
    position only, and the mapping republished every record after it on each of 10 retries."""
    records = [stream_record(item(delivery_id=f"d-{n}"), f"{100 + n}") for n in range(10)]
    records[3]["dynamodb"]["NewImage"]["body_sha256"] = {"S": "0" * 64}
    bus = FakeBus()
    mapping = StreamMapping(Publisher(BUS), bus)
    mapping.run(records)
    published = Counter(
        json.loads(entry["Detail"])["delivery_id"] for call in bus.calls for entry in call
    )
    assert published == {f"d-{n}": 1 for n in range(10) if n != 3}
    assert mapping.destination == [["103"]]


def test_a_transient_refusal_publishes_every_record_once() -> None:
    """The first entry of an invocation goes alone: refused, nothing else is sent."""
    records = [stream_record(item(delivery_id=f"d-{n}"), f"{100 + n}") for n in range(25)]

    class FlakyOnce(FakeBus):
        def put_events(self, Entries: list[dict]) -> dict:
            if not self.calls:
                self.calls.append([])  # refused: nothing published
                return {"Entries": [{"ErrorCode": "InternalFailure"}] * len(Entries)}
            return super().put_events(Entries)

    bus = FlakyOnce()
    StreamMapping(Publisher(BUS), bus).run(records)
    assert published(bus) == {f"d-{n}": 1 for n in range(25)}


def test_an_entry_refused_for_good_ends_alone_and_its_batch_mates_arrive_at_most_twice() -> None:
    """An entry EventBridge keeps refusing: the records sharing its call are published again
    once (when it comes first and is bisected off), none is held back with it."""
    records = [stream_record(item(delivery_id=f"d-{n}"), f"{100 + n}") for n in range(10)]
    bus = FakeBus(fail=frozenset({"d-3"}))
    mapping = StreamMapping(Publisher(BUS), bus)
    mapping.run(records)
    copies = published(bus)
    assert mapping.destination == [["103"]]
    assert set(copies) == {f"d-{n}" for n in range(10) if n != 3}
    assert max(copies.values()) == 2 and copies["d-0"] == copies["d-1"] == 1


def published(bus: FakeBus) -> Counter[str]:
    """Delivery id → how many times PutEvents took it."""
    refused = bus.fail
    return Counter(
        detail["delivery_id"]
        for call in bus.calls
        for detail in (json.loads(entry["Detail"]) for entry in call)
        if detail["delivery_id"] not in refused
    )
