"""Item 5: the local stack end to end. EMULATOR FIGURES: moto, local worker processes and a
local HTTP server on this machine; they say nothing about AWS latency or throughput.

Deliveries are POSTed concurrently to the local HTTP API, signed as GitHub signs them, each body
its own (GitHub dedupes by content: equal bodies would be one event); each one's latency runs from
just before its HTTP request to the item's `stored_at` (the processor's clock, the same machine).
Throughput is deliveries over the time from the first request to the last item stored. The stack
has one subscriber receiving every event (`OVERRIDES`): the stored -> subscriber latency runs from
`stored_at` to the SQS `SentTimestamp` of the event's first message in that subscriber's queue
(when the emulated EventBridge put it there), through the stream, the publish function and
PutEvents.
"""

import calendar
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from ops import send, signing

from .payloads import json_body
from .stats import percentile

PROVIDER = "github"
"""The dev stack's provider the deliveries go to (signed with its scheme from the outputs)."""
SUBSCRIBER = "everything"
OVERRIDES: dict[str, object] = {"subscribers": {SUBSCRIBER: {}}}
STORE_TIMEOUT_SECONDS = 300
SENT_TIMESTAMP = "SentTimestamp"


def stored_at_seconds(text: str) -> float:
    """Epoch seconds of a `stored_at` value such as `2026-11-28T17:00:00.123Z`."""
    seconds = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    return seconds + int(text[20:23]) / 1000


def _post(
    url: str, scheme: str, secret: str, body: bytes, delivery_id: str
) -> tuple[str, float, float, int]:
    event_type = signing.EVENT_TYPES[scheme][0]
    headers = signing.sign(scheme, secret, body, delivery_id=delivery_id, event_type=event_type)
    sent = time.time()
    answer = send.post((url, body, headers))
    return delivery_id, sent, time.time() - sent, answer.status


def stored_items(table, table_name: str) -> dict[str, float]:
    """`<provider>#<delivery id>` -> `stored_at` (epoch seconds) of every event in the table.
    An event deduplicated by content is keyed by its body's digest and event type, not by the
    delivery's id, so events are found by their attributes."""
    found: dict[str, float] = {}
    kwargs = {"TableName": table_name, "ProjectionExpression": "provider, delivery_id, stored_at"}
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            if "stored_at" in item:
                key = f"{item['provider']['S']}#{item['delivery_id']['S']}"
                found[key] = stored_at_seconds(item["stored_at"]["S"])
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def subscriber_arrivals(sqs, url: str, wanted: set[str], timeout: float) -> dict[str, float]:
    """`<provider>#<delivery id>` -> when its first copy reached the subscriber queue (epoch
    seconds of the message's `SentTimestamp`), receiving and deleting until every wanted one
    came or `timeout` seconds passed."""
    arrived: dict[str, float] = {}
    deadline = time.time() + timeout
    while not wanted <= arrived.keys() and time.time() < deadline:
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=[SENT_TIMESTAMP],
        ).get("Messages", [])
        for message in messages:
            detail = json.loads(message["Body"])["detail"]
            key = f"{detail['provider']}#{detail['delivery_id']}"
            sent = int(message["Attributes"][SENT_TIMESTAMP]) / 1000
            arrived[key] = min(sent, arrived.get(key, sent))
        if messages:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )
    return arrived


def run(stack, deliveries: int, concurrency: int, size: int = 1024) -> dict[str, object]:
    """Send `deliveries` deliveries of `size` bytes to `PROVIDER`; latencies and throughput."""
    url = stack.outputs["webhook_urls"][PROVIDER]
    scheme = stack.outputs["providers"][PROVIDER]
    secret = stack.dev_secrets[PROVIDER]
    ids = [str(uuid.uuid4()) for _ in range(deliveries)]
    bodies = {i: json_body(size, fields={"delivery": i}) for i in ids}
    with ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(lambda i: _post(url, scheme, secret, bodies[i], i), ids))
    rejected = [a for a in answers if a[3] != 202]
    if rejected:
        raise RuntimeError(f"{len(rejected)} deliveries not accepted, e.g. status {rejected[0][3]}")
    table, name = stack.client("dynamodb"), stack.outputs["table_name"]
    deadline = time.time() + STORE_TIMEOUT_SECONDS
    wanted = {f"{PROVIDER}#{i}" for i in ids}
    while True:
        found = stored_items(table, name)
        if wanted <= found.keys() or time.time() > deadline:
            break
        time.sleep(0.5)
    missing = wanted - found.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} deliveries not stored within {STORE_TIMEOUT_SECONDS} s")
    queue = stack.outputs["subscriber_queue_urls"][SUBSCRIBER]
    arrived = subscriber_arrivals(stack.client("sqs"), queue, wanted, STORE_TIMEOUT_SECONDS)
    missing = wanted - arrived.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} events not at the subscriber queue in time")
    to_store = [found[f"{PROVIDER}#{i}"] - sent for i, sent, _, _ in answers]
    to_subscriber = [arrived[k] - found[k] for k in wanted]
    to_ack = [ack for _, _, ack, _ in answers]
    first_sent = min(sent for _, sent, _, _ in answers)
    last_stored = max(found[k] for k in wanted)
    return {
        "deliveries": deliveries,
        "concurrency": concurrency,
        "body_bytes": size,
        "deliveries_per_second": deliveries / (last_stored - first_sent),
        "ack_ms": {"p50": percentile(to_ack, 50) * 1000, "p99": percentile(to_ack, 99) * 1000},
        "stored_ms": {
            "p50": percentile(to_store, 50) * 1000,
            "p99": percentile(to_store, 99) * 1000,
        },
        "subscriber": SUBSCRIBER,
        "subscriber_clock": SENT_TIMESTAMP,
        "stored_to_subscriber_ms": {
            "p50": percentile(to_subscriber, 50) * 1000,
            "p99": percentile(to_subscriber, 99) * 1000,
        },
    }
