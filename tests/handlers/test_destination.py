"""The deliver function against a real local HTTP receiver (moto for AWS): the signature checked
with the `standardwebhooks` library, byte-exact bodies, retries, Retry-After, the DLQ, rotation,
the rate limit measured at the receiver, the breaker, and two destinations kept apart."""

import base64
import hashlib
import itertools
import json
import os
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from standardwebhooks import Webhook

from local.poller import sqs_record
from local.receiver import Answer, Received, Receiver
from tests.contract import EVENTS_TABLE
from tests.handlers.conftest import ARCHIVE_BUCKET, REGION, TABLE_NAME
from tests.handlers.test_rate_limiter import Counted
from webhooks import storage
from webhooks.destination import (
    ATTEMPT_ATTRIBUTE,
    BREAKER_RETURN_SPREAD_SECONDS,
    BREAKER_THRESHOLD,
    DEFERRED,
    DELIVERED,
    RETRY,
    START_TOLERANCE_SECONDS,
    Destination,
    backoff,
    message_id,
    most_arrivals,
)
from webhooks.destination_settings import DestinationSettings

SECRET = "whsec_" + base64.b64encode(b"destination-key-0123456789abcdef").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the-previous-key-0123456789abcde").decode()
HIGHEST = max  # the jitter picks the top of its range in these tests


@dataclass
class World:
    sqs: Any
    dynamodb: Any
    queue_url: str
    dlq_url: str
    secret_arn: str


@pytest.fixture
def world(aws: None) -> World:
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(TableName=TABLE_NAME, **EVENTS_TABLE)
    boto3.client("s3").create_bucket(
        Bucket=ARCHIVE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    sqs = boto3.client("sqs")
    secret = boto3.client("secretsmanager").create_secret(
        Name="webhooks/test/destinations/orders",
        SecretString=json.dumps({"secrets": [SECRET]}),
    )
    return World(
        sqs=sqs,
        dynamodb=dynamodb,
        queue_url=sqs.create_queue(QueueName="sub-orders")["QueueUrl"],
        dlq_url=sqs.create_queue(QueueName="sub-orders-dlq")["QueueUrl"],
        secret_arn=secret["ARN"],
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def state_table(world: World, name: str) -> str:
    world.dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    )
    return name


def destination(
    world: World,
    url: str,
    *,
    name: str = "orders",
    pause: float = 30,
    rng: Any = HIGHEST,
    **settings: Any,
) -> Destination:
    values: dict[str, Any] = {
        "destination": name,
        "url": url,
        "secret_arn": world.secret_arn,
        "state_table": state_table(world, f"state-{name}"),
        "events_table": TABLE_NAME,
        "archive_bucket": ARCHIVE_BUCKET,
        "queue_url": world.queue_url,
        "dlq_url": world.dlq_url,
        "environment": "test",
        "rate_per_second": 100,
        "timeout_seconds": 2,
    }
    values.update(settings)
    return Destination(
        DestinationSettings(**values),
        sqs=world.sqs,
        dynamodb=world.dynamodb,
        s3=lambda: boto3.client("s3"),
        secrets=lambda: boto3.client("secretsmanager"),
        rng=rng,
        breaker_pause=pause,
    )


def store(
    world: World,
    body: bytes,
    *,
    archived: bool = False,
    content_type: str = "application/json",
    by_content: bool = False,
) -> dict[str, Any]:
    """An event item as the processor stores it (under its delivery id, or with `by_content`
    under its bytes' key, as a provider deduplicated by content); returns the published
    event's detail."""
    digest = hashlib.sha256(body).hexdigest()
    delivery_id = "evt-" + digest[:12]
    pk = (
        storage.content_key("stripe", "invoice.paid", digest)
        if by_content
        else storage.item_key("stripe", delivery_id)
    )
    item: dict[str, Any] = {
        "pk": {"S": pk},
        "provider": {"S": "stripe"},
        "delivery_id": {"S": delivery_id},
        "event_type": {"S": "invoice.paid"},
        "received_at": {"S": "2026-12-06T03:00:00.000Z"},
        "body_sha256": {"S": digest},
        "body_size": {"N": str(len(body))},
        "headers": {"S": json.dumps({"content-type": content_type})},
    }
    detail: dict[str, Any] = {
        "provider": "stripe",
        "delivery_id": delivery_id,
        "event_type": "invoice.paid",
        "body_sha256": digest,
        "body_size": len(body),
    }
    if archived:
        key = f"bodies/stripe/{digest}"
        boto3.client("s3").put_object(Bucket=ARCHIVE_BUCKET, Key=key, Body=body)
        item["payload_s3_key"] = {"S": key}
        detail.update(body_s3_bucket=ARCHIVE_BUCKET, body_s3_key=key)
    else:
        item["payload"] = {"B": zlib.compress(body)}
        detail["payload"] = json.loads(body) if content_type == "application/json" else None
    world.dynamodb.put_item(TableName=TABLE_NAME, Item=item)
    return detail


def queued(world: World, detail: dict[str, Any], sent_ago: float = 0) -> dict[str, Any]:
    """The detail as EventBridge puts it on the subscriber's queue, received as the mapping
    receives it (so its receipt handle is real)."""
    event = {
        "version": "0",
        "id": "eb-" + detail["delivery_id"],
        "detail-type": detail["event_type"],
        "source": "webhooks.stripe",
        "account": "123456789012",
        "time": "2026-12-06T03:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }
    world.sqs.send_message(QueueUrl=world.queue_url, MessageBody=json.dumps(event))
    [message] = world.sqs.receive_message(
        QueueUrl=world.queue_url, MessageSystemAttributeNames=["All"]
    )["Messages"]
    if sent_ago:
        sent = int(message["Attributes"]["SentTimestamp"]) - int(sent_ago * 1000)
        message["Attributes"]["SentTimestamp"] = str(sent)
    return sqs_record(message, "arn:aws:sqs:eu-west-1:123456789012:sub-orders", REGION)


def verify(request: Received, secret: str = SECRET) -> Any:
    """What the `standardwebhooks` library makes of the request (raises when it refuses)."""
    return Webhook(secret).verify(request.body, request.headers)


def dlq_messages(world: World) -> list[dict[str, Any]]:
    answer = world.sqs.receive_message(
        QueueUrl=world.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return answer.get("Messages") or []


BODY = b'{"id":"in_1", "amount":  100,"note":"caf\\u00e9"}'


def test_original_bytes_signed_and_verified_by_the_library(
    world: World, receiver: Receiver
) -> None:
    record = queued(world, store(world, BODY))
    answer = destination(world, receiver.url, headers=(("X-Team", "orders"),)).handle([record])
    assert answer == {"batchItemFailures": []}
    [request] = receiver.requests()
    assert request.body == BODY  # byte-exact, not the re-serialised payload
    assert verify(request) == json.loads(BODY)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == message_id(
        "stripe", "evt-" + hashlib.sha256(BODY).hexdigest()[:12], hashlib.sha256(BODY).hexdigest()
    )
    assert request.headers["webhook-provider"] == "stripe"
    assert request.headers["webhook-delivery-id"].startswith("evt-")
    assert request.headers["webhook-event-type"] == "invoice.paid"
    assert request.headers["webhook-attempt"] == "1"
    assert request.headers["x-team"] == "orders"
    with pytest.raises(Exception, match="No matching signature"):
        verify(request, OLD_SECRET)


def test_an_event_deduplicated_by_content_is_found_under_its_key(
    world: World, receiver: Receiver
) -> None:
    """A provider deduplicated by content stores the event under its bytes' and event type's
    key, not its delivery id's: the deliver function finds it there and delivers it."""
    record = queued(world, store(world, BODY, by_content=True))
    assert destination(world, receiver.url).handle([record]) == {"batchItemFailures": []}
    [request] = receiver.requests()
    assert request.body == BODY


def test_claim_checked_body_is_byte_exact(world: World, receiver: Receiver) -> None:
    # Beyond any inline limit. UTF-8 text: the Python library decodes the body before it
    # verifies (docs/contract.md says so for binary bodies).
    body = ("é" + os.urandom(8).hex() + "\n").encode() * 20_000
    record = queued(world, store(world, body, archived=True, content_type="text/csv"))
    assert destination(world, receiver.url).handle([record]) == {"batchItemFailures": []}
    [request] = receiver.requests()
    assert request.body == body and len(body) > 300_000
    assert request.headers["content-type"] == "text/csv"
    Webhook(SECRET).verify(request.body, request.headers, json_parse=False)  # raises if forged


def test_event_body_is_the_event_json(world: World, receiver: Receiver) -> None:
    record = queued(world, store(world, BODY))
    destination(world, receiver.url, body="event").handle([record])
    [request] = receiver.requests()
    assert request.body == record["body"].encode()
    assert verify(request)["detail"]["provider"] == "stripe"


def test_rotation_signs_with_both_active_secrets(world: World, receiver: Receiver) -> None:
    boto3.client("secretsmanager").put_secret_value(
        SecretId=world.secret_arn, SecretString=json.dumps({"secrets": [SECRET, OLD_SECRET]})
    )
    destination(world, receiver.url).handle([queued(world, store(world, BODY))])
    [request] = receiver.requests()
    verify(request, SECRET)
    verify(request, OLD_SECRET)  # a receiver not yet switched still verifies


@pytest.mark.parametrize(
    ("answer", "failure_class"),
    [
        (Answer(503), "http_5xx"),
        (Answer(500), "http_5xx"),
        (Answer(429), "http_429"),
        (Answer(408), "http_408"),
        (Answer(204, stall_seconds=3), "timeout"),
    ],
)
def test_retryable_failures_put_the_message_back_with_backoff(
    world: World, receiver: Receiver, answer: Answer, failure_class: str
) -> None:
    receiver.behave = lambda _r: answer
    deliver = destination(world, receiver.url)
    record = queued(world, store(world, BODY))
    request = deliver._request(record["body"], *_parsed(record), 3)
    # After the third attempt: the next within 10 to 20 s (5 s doubled twice).
    outcome = deliver.attempt(request, 3, time.time() - 40, _ids())
    assert (outcome.action, outcome.failure_class) == (RETRY, failure_class)
    assert outcome.delay == 20  # the draw at its top (HIGHEST)
    assert backoff(1, 0, HIGHEST) == 5 and backoff(1, 0, min) == 2.5  # the base, jittered
    assert backoff(12, 0, HIGHEST) == 3600  # the cap
    # Re-sent with its attempt count, delayed: this copy is deleted, none is visible now.
    assert deliver.handle([record])["batchItemFailures"] == []
    world.sqs.delete_message(QueueUrl=world.queue_url, ReceiptHandle=record["receiptHandle"])
    assert not world.sqs.receive_message(QueueUrl=world.queue_url).get("Messages")
    attributes = world.sqs.get_queue_attributes(
        QueueUrl=world.queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    assert dlq_messages(world) == []


def test_the_attempt_header_counts_requests_not_receives(world: World, receiver: Receiver) -> None:
    """A retry is a re-sent copy carrying the attempts made; a receive that made no request (a
    deferral) does not count: the header says which request this is for the event."""
    answers = iter([Answer(503), Answer(200)])
    receiver.behave = lambda _r: next(answers)
    deliver = destination(world, receiver.url, rng=lambda low, high: 0.0)  # no wait
    record = queued(world, store(world, BODY))
    assert deliver.handle([record]) == {"batchItemFailures": []}
    world.sqs.delete_message(QueueUrl=world.queue_url, ReceiptHandle=record["receiptHandle"])

    def receive() -> dict[str, Any]:
        [message] = world.sqs.receive_message(
            QueueUrl=world.queue_url,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )["Messages"]
        return sqs_record(message, "arn:aws:sqs:eu-west-1:123456789012:sub-orders", REGION)

    copy = receive()
    assert copy["messageAttributes"][ATTEMPT_ATTRIBUTE]["stringValue"] == "1"
    # Received once without a request (as a deferral is), then again.
    world.sqs.change_message_visibility(
        QueueUrl=world.queue_url, ReceiptHandle=copy["receiptHandle"], VisibilityTimeout=0
    )
    again = receive()
    assert again["attributes"]["ApproximateReceiveCount"] == "2"
    assert deliver.handle([again]) == {"batchItemFailures": []}
    first, second = receiver.requests()
    assert (first.headers["webhook-attempt"], second.headers["webhook-attempt"]) == ("1", "2")


def test_connection_errors_are_retried(world: World) -> None:
    closed = Receiver()
    closed.stop()
    deliver = destination(world, closed.url)
    record = queued(world, store(world, BODY))
    outcome = deliver.attempt(
        deliver._request(record["body"], *_parsed(record), 1), 1, time.time(), _ids()
    )
    assert (outcome.action, outcome.failure_class) == (RETRY, "connection")


def test_retry_after_is_honoured(world: World, receiver: Receiver) -> None:
    receiver.behave = lambda _r: Answer(429, {"Retry-After": "600"})
    deliver = destination(world, receiver.url)
    record = queued(world, store(world, BODY))
    outcome = deliver.attempt(
        deliver._request(record["body"], *_parsed(record), 1), 1, time.time(), _ids()
    )
    assert outcome.action == RETRY and outcome.delay == 600  # backoff alone would be 5 s
    receiver.behave = lambda _r: Answer(503, {"Retry-After": "Wed, 21 Oct 2065 07:28:00 GMT"})
    outcome = deliver.attempt(
        deliver._request(record["body"], *_parsed(record), 1), 1, time.time(), _ids()
    )
    assert outcome.delay == 43_200 - 900  # within SQS's 12 hours from the receive


def test_a_final_4xx_goes_to_the_dlq_with_status_and_error(
    world: World, receiver: Receiver
) -> None:
    receiver.behave = lambda _r: Answer(422)
    record = queued(world, store(world, BODY))
    assert destination(world, receiver.url).handle([record]) == {"batchItemFailures": []}
    [parked] = dlq_messages(world)
    assert parked["Body"] == record["body"]  # as it came: `ops dlq replay` puts it back as is
    attributes = {k: v["StringValue"] for k, v in parked["MessageAttributes"].items()}
    assert attributes["LastStatus"] == "422"
    assert attributes["FailureClass"] == "http_4xx"
    assert len(receiver.requests()) == 1


def test_retries_end_at_max_age_in_the_dlq(world: World, receiver: Receiver) -> None:
    receiver.behave = lambda _r: Answer(503)
    record = queued(
        world, store(world, BODY), sent_ago=3600 - 3
    )  # the next try (5 s) would be late
    assert destination(world, receiver.url, max_age_seconds=3600).handle([record]) == {
        "batchItemFailures": []
    }
    [parked] = dlq_messages(world)
    attributes = {k: v["StringValue"] for k, v in parked["MessageAttributes"].items()}
    assert attributes["LastStatus"] == "503"
    assert attributes["LastError"].startswith("maxAge reached")


def test_redelivery_from_the_dlq_delivers(world: World, receiver: Receiver) -> None:
    receiver.behave = lambda _r: Answer(400)
    deliver = destination(world, receiver.url)
    record = queued(world, store(world, BODY))
    deliver.handle([record])
    world.sqs.delete_message(QueueUrl=world.queue_url, ReceiptHandle=record["receiptHandle"])
    [parked] = dlq_messages(world)
    # What `ops dlq replay` does: the message body, as parked, back onto the queue.
    receiver.behave = lambda _r: Answer(200)
    world.sqs.send_message(QueueUrl=world.queue_url, MessageBody=parked["Body"])
    [message] = world.sqs.receive_message(
        QueueUrl=world.queue_url, MessageSystemAttributeNames=["All"]
    )["Messages"]
    again = sqs_record(message, "arn:aws:sqs:eu-west-1:123456789012:sub-orders", REGION)
    assert deliver.handle([again]) == {"batchItemFailures": []}
    first, second = receiver.requests()
    assert second.body == first.body == BODY
    assert second.headers["webhook-id"] == first.headers["webhook-id"]  # the receiver dedupes


def test_the_breaker_opens_pauses_probes_and_closes(world: World, receiver: Receiver) -> None:
    receiver.behave = lambda _r: Answer(503)
    deliver = destination(world, receiver.url, pause=1.0)
    record = queued(world, store(world, BODY))
    request = deliver._request(record["body"], *_parsed(record), 1)
    for _ in range(BREAKER_THRESHOLD):
        assert deliver.attempt(request, 1, time.time(), _ids()).action == RETRY
    assert deliver.breaker.state()[1] > time.time()  # open
    sent = len(receiver.requests())
    paused = deliver.attempt(request, 1, time.time(), _ids())
    assert paused.action == DEFERRED and 0 < paused.delay <= 2.0
    assert len(receiver.requests()) == sent  # not hammered while open
    time.sleep(1.1)
    receiver.behave = lambda _r: Answer(200)
    probe = deliver.attempt(request, 1, time.time(), _ids())
    assert probe.action == DELIVERED
    assert deliver.breaker.state() == (0, 0.0)  # closed


def test_while_the_probe_runs_the_others_wait_for_its_answer_not_a_pause(
    world: World, receiver: Receiver
) -> None:
    receiver.behave = lambda _r: Answer(503)
    deliver = destination(world, receiver.url, pause=0.5)  # timeout 2 s: the probe's lease 3 s
    record = queued(world, store(world, BODY))
    request = deliver._request(record["body"], *_parsed(record), 1)
    for _ in range(BREAKER_THRESHOLD):
        deliver.attempt(request, 1, time.time(), _ids())
    time.sleep(0.6)
    deliver.breaker.pause = 60.0  # were the probe to hold the breaker for a pause, it would show
    _, ended = deliver.breaker.state()
    assert deliver.breaker.claim_probe(ended, time.time())  # another request is the probe
    waiting = deliver.attempt(request, 1, time.time(), _ids())
    assert waiting.action == DEFERRED
    assert waiting.delay <= 3 + BREAKER_RETURN_SPREAD_SECONDS  # its lease, the spread: not 60 s


def test_a_failed_probe_opens_the_breaker_again(world: World, receiver: Receiver) -> None:
    receiver.behave = lambda _r: Answer(503)
    deliver = destination(world, receiver.url, pause=0.5)
    record = queued(world, store(world, BODY))
    request = deliver._request(record["body"], *_parsed(record), 1)
    for _ in range(BREAKER_THRESHOLD):
        deliver.attempt(request, 1, time.time(), _ids())
    time.sleep(0.6)
    assert deliver.attempt(request, 1, time.time(), _ids()).action == RETRY  # the probe
    waiting = deliver.attempt(request, 1, time.time(), _ids())
    assert waiting.action == DEFERRED
    # Paused again for twice as long: 1 s (the spread, at most half a pause, comes on top).
    assert 0.9 < waiting.delay - min(0.5, BREAKER_RETURN_SPREAD_SECONDS) <= 1.0


def test_the_rate_limit_holds_across_concurrent_deliverers(
    world: World, receiver: Receiver
) -> None:
    rate = 10
    deliverers = [destination(world, receiver.url, rate_per_second=rate)]
    # More invocations of the same destination share its state table.
    deliverers += [
        Destination(
            deliverers[0].settings,
            sqs=world.sqs,
            dynamodb=world.dynamodb,
            s3=lambda: boto3.client("s3"),
            secrets=lambda: boto3.client("secretsmanager"),
        )
        for _ in range(2)
    ]
    slots: list[float] = []
    for deliverer in deliverers:
        take = deliverer.limiter.slot

        def recorded(now: float, take: Any = take) -> float:
            slot: float = take(now)
            slots.append(slot)
            return slot

        deliverer.limiter.slot = recorded  # type: ignore[method-assign]
    record = queued(world, store(world, BODY))
    request = deliverers[0]._request(record["body"], *_parsed(record), 1)

    def run(deliverer: Destination) -> None:
        for _ in range(10):
            assert deliverer.attempt(request, 1, time.time(), _ids()).action == DELIVERED

    threads = [threading.Thread(target=run, args=(d,)) for d in deliverers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The schedule the three share: every start at least 1/rate after the one before.
    ordered = sorted(slots)
    # 30 starts; a thread woken later than the tolerance gives its slot up and claims another
    # (on a loaded machine), which adds a slot but never a request.
    assert len(ordered) >= 30
    assert min(b - a for a, b in itertools.pairwise(ordered)) >= 0.1 - 0.000_002
    # At the receiver, the limit as docs/contract.md defines it (`most_arrivals`).
    arrivals = sorted(r.at for r in receiver.requests())
    assert len(arrivals) == 30
    assert arrivals[-1] - arrivals[0] >= 2.5
    for window in (1.0, 2.0):
        assert receiver.most_in_any(window) <= most_arrivals(rate, window)


def test_the_limit_at_the_destination() -> None:
    """Slots 1/rate apart, each start within the tolerance of its slot and a transit that
    varies by at most its allowance: any window of w seconds holds rate x (w + both) + 1."""
    assert most_arrivals(25, 1.0) == 31 and most_arrivals(25, 10.0) == 256
    assert most_arrivals(1, 1.0) == 2


def test_a_late_wake_up_gives_its_slot_up(world: World) -> None:
    """Woken past the tolerance, a request does not start late (it would bunch with the next
    slot's): it claims another slot and starts at that one."""
    now = [1_000_000.0]
    late = [0.5]

    def sleep(seconds: float) -> None:
        now[0] += seconds + late.pop() if late else seconds  # the first wake-up is 0.5 s late

    starts: list[float] = []

    def send(url: str, body: bytes, headers: Any, timeout: float, start: Any) -> Any:
        start()
        starts.append(now[0])
        return 204, "", ""

    deliver = Destination(
        DestinationSettings(**{**_settings(world, "late"), "rate_per_second": 10}),
        sqs=world.sqs,
        dynamodb=world.dynamodb,
        s3=lambda: boto3.client("s3"),
        secrets=lambda: boto3.client("secretsmanager"),
        send=send,
        clock=lambda: now[0],
        sleep=sleep,
    )
    claimed: list[float] = []
    take = deliver.limiter.slot

    def recorded(now: float) -> float:  # named as the method's argument
        slot: float = take(now)
        claimed.append(slot)
        return slot

    deliver.limiter.slot = recorded  # type: ignore[method-assign]
    deliver.limiter.slot(now[0])  # another request holds the slot now: this one's is 0.1 s on
    record = queued(world, store(world, BODY))
    request = deliver._request(record["body"], *_parsed(record), 1)
    assert deliver.attempt(request, 1, now[0], _ids()).action == DELIVERED
    [started] = starts
    assert len(claimed) == 3  # the other's, the slot missed, the one it started at
    assert 0 <= started - claimed[-1] <= START_TOLERANCE_SECONDS
    assert started - claimed[1] > START_TOLERANCE_SECONDS


def _batch(world: World, count: int) -> list[dict[str, Any]]:
    """`count` queued records of distinct stored events."""
    return [queued(world, store(world, b'{"n": %d}' % n)) for n in range(count)]


def _deliverer(world: World, name: str, rate: int, **fakes: Any) -> Destination:
    """A destination whose state table counts its `limit` writes (`deliver.limiter._table`)."""
    return Destination(
        DestinationSettings(**{**_settings(world, name), "rate_per_second": rate}),
        sqs=world.sqs,
        dynamodb=Counted(world.dynamodb),
        s3=lambda: boto3.client("s3"),
        secrets=lambda: boto3.client("secretsmanager"),
        **fakes,
    )


def _claims(deliver: Destination) -> list[list[float]]:
    """The slots each claim of `deliver`'s limiter hands out, recorded as they are."""
    claims: list[list[float]] = []
    take = deliver.limiter.slots

    def recorded(now: float, wanted: int) -> list[float]:  # named as the method's arguments
        slots: list[float] = take(now, wanted)
        claims.append(slots)
        return slots

    deliver.limiter.slots = recorded  # type: ignore[method-assign]
    return claims


def test_a_batch_claims_its_slots_with_one_write(world: World) -> None:
    """The records of a batch start at consecutive slots 1/rate apart, claimed together with
    one write, each within the tolerance of its own slot."""
    starts: list[float] = []

    def send(url: str, body: bytes, headers: Any, timeout: float, start: Any) -> Any:
        start()
        starts.append(time.time())
        return 204, "", ""

    rate = 5  # slots 0.2 s apart: further than the tolerance, so the starts keep their order
    deliver = _deliverer(world, "batch", rate, send=send)
    claims = _claims(deliver)
    assert deliver.handle(_batch(world, 5)) == {"batchItemFailures": []}
    [slots] = claims
    assert deliver.limiter._table.writes == 1
    assert [b - a for a, b in itertools.pairwise(slots)] == pytest.approx([1 / rate] * 4)
    for slot, started in zip(slots, sorted(starts), strict=True):
        assert 0 <= started - slot <= START_TOLERANCE_SECONDS


def test_the_records_beyond_the_horizon_go_back_without_a_request(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the slots within the horizon are claimed; the batch's other records are put back
    until the next free slot, as a request refused a slot always was, and made no request."""
    sent: list[str] = []

    def send(url: str, body: bytes, headers: Any, timeout: float, start: Any) -> Any:
        start()
        sent.append(headers["webhook-delivery-id"])
        return 204, "", ""

    deliver = _deliverer(world, "horizon", 1, send=send, sleep=lambda _s: None)
    deliver.limiter.horizon = 1.0  # two slots fit: now and a second later
    records = _batch(world, 4)
    answer = deliver.handle(records)
    assert deliver.limiter._table.writes == 1
    assert len(sent) == 2
    put_back = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    assert put_back == {r["messageId"] for r in records[2:]}
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    deferred = [line for line in lines if line["message"] == "delivery deferred"]
    assert [line["reason"] for line in deferred] == ["rate limit"] * 2
    assert all(1.5 < line["seconds"] <= 2 for line in deferred)  # the next free slot's wait


def test_a_late_wake_up_in_a_batch_takes_a_slot_after_the_batch(world: World) -> None:
    """A record woken past its slot's tolerance would start inside the next records' slots:
    it gives its slot up and claims a fresh one, after every slot the batch holds."""
    now = [1_000_000.0]
    late = [0.15]  # its first wake-up lands between the batch's third and fourth slots

    def sleep(seconds: float) -> None:
        now[0] += seconds + late.pop() if late else seconds

    starts: list[float] = []

    def send(url: str, body: bytes, headers: Any, timeout: float, start: Any) -> Any:
        start()
        starts.append(now[0])
        return 204, "", ""

    deliver = _deliverer(world, "late", 10, send=send, clock=lambda: now[0], sleep=sleep)
    batch = deliver.limiter.slots(now[0], 4)  # the batch's slots: this record holds the second
    [record] = _batch(world, 1)
    request = deliver._request(record["body"], *_parsed(record), 1)
    assert deliver._attempt_at(batch[1], request, 1, now[0], _ids(), False).action == DELIVERED
    [started] = starts
    assert started - batch[1] > START_TOLERANCE_SECONDS  # woken late for its own slot
    assert started >= batch[-1] + 0.1 - 0.000_002  # not inside the batch's other slots
    assert deliver.limiter._table.writes == 2  # the batch's claim and the fresh slot


def _settings(world: World, name: str) -> dict[str, Any]:
    return {
        "destination": name,
        "url": "http://127.0.0.1:9/unused",
        "secret_arn": world.secret_arn,
        "state_table": state_table(world, f"state-{name}"),
        "events_table": TABLE_NAME,
        "archive_bucket": ARCHIVE_BUCKET,
        "queue_url": world.queue_url,
        "dlq_url": world.dlq_url,
        "environment": "test",
    }


def test_two_destinations_are_isolated(world: World, receiver: Receiver) -> None:
    slow = Receiver(lambda _r: Answer(503, stall_seconds=1.5))
    try:
        down = destination(world, slow.url, name="down", pause=60)
        up = destination(world, receiver.url, name="up")
        record = queued(world, store(world, BODY))
        request = down._request(record["body"], *_parsed(record), 1)

        def hammer() -> None:  # the stalled requests side by side, as a batch runs them
            with ThreadPoolExecutor(BREAKER_THRESHOLD) as pool:
                for _ in range(BREAKER_THRESHOLD):
                    pool.submit(down.attempt, request, 1, time.time(), _ids())

        thread = threading.Thread(target=hammer)
        thread.start()
        started = time.monotonic()
        for _ in range(5):
            assert up.attempt(request, 1, time.time(), _ids()).action == DELIVERED
        assert time.monotonic() - started < 1.5  # never waits behind one stall (1.5 s)
        thread.join()
        assert down.breaker.state()[1] > time.time()
        assert up.breaker.state() == (0, 0.0)
        assert up.attempt(request, 1, time.time(), _ids()).action == DELIVERED
    finally:
        slow.stop()


def test_an_unstored_event_is_final(world: World, receiver: Receiver) -> None:
    detail = store(world, BODY)
    world.dynamodb.delete_item(
        TableName=TABLE_NAME, Key={"pk": {"S": f"stripe#{detail['delivery_id']}"}}
    )
    assert destination(world, receiver.url).handle([queued(world, detail)]) == {
        "batchItemFailures": []
    }
    [parked] = dlq_messages(world)
    assert "not found" in parked["MessageAttributes"]["LastError"]["StringValue"]
    assert receiver.requests() == []


def test_a_missing_secret_puts_the_message_back(world: World, receiver: Receiver) -> None:
    boto3.client("secretsmanager").delete_secret(
        SecretId=world.secret_arn, ForceDeleteWithoutRecovery=True
    )
    record = queued(world, store(world, BODY))
    assert destination(world, receiver.url).handle([record])["batchItemFailures"]
    assert receiver.requests() == [] and dlq_messages(world) == []


def _parsed(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    event = json.loads(record["body"])
    return event, event["detail"], _ids()


def _ids() -> dict[str, str]:
    return {"provider": "stripe", "delivery_id": "evt-1", "event_type": "invoice.paid"}


def test_an_unavailable_state_table_puts_the_message_back(world: World, receiver: Receiver) -> None:
    deliver = destination(world, receiver.url)
    world.dynamodb.delete_table(TableName=deliver.settings.state_table)
    record = queued(world, store(world, BODY))
    assert deliver.handle([record])["batchItemFailures"] == [
        {"itemIdentifier": record["messageId"]}
    ]
    assert receiver.requests() == [] and dlq_messages(world) == []


class _BreakerCountFails:
    """The state table, except that counting a failure in the breaker raises."""

    def __init__(self, dynamodb: Any) -> None:
        self._dynamodb = dynamodb

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dynamodb, name)

    def update_item(self, **request: Any) -> Any:
        if request.get("UpdateExpression") == "ADD failures :one":
            raise KeyError("failures")
        return self._dynamodb.update_item(**request)


def test_a_breaker_update_after_the_answer_keeps_the_outcome(
    world: World, receiver: Receiver
) -> None:
    receiver.behave = lambda _r: Answer(503)
    deliver = destination(world, receiver.url)
    deliver.breaker._table = _BreakerCountFails(world.dynamodb)
    record = queued(world, store(world, BODY))
    request = deliver._request(record["body"], *_parsed(record), 1)
    outcome = deliver.attempt(request, 1, time.time(), _ids())
    assert (outcome.action, outcome.status) == (RETRY, 503)  # answered: retried with backoff
    assert len(receiver.requests()) == 1


def test_a_success_resets_failures_counted_while_it_ran(world: World, receiver: Receiver) -> None:
    deliver = destination(world, receiver.url)

    def answer_after_a_concurrent_failure(_request: Received) -> Answer:
        deliver.breaker.failed(time.time(), probe=False)  # another request failed meanwhile
        return Answer(200)

    receiver.behave = answer_after_a_concurrent_failure
    record = queued(world, store(world, BODY))
    request = deliver._request(record["body"], *_parsed(record), 1)
    assert deliver.attempt(request, 1, time.time(), _ids()).action == DELIVERED
    assert deliver.breaker.state() == (0, 0.0)  # the run of failures is broken
