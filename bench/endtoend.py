"""Item 5: the local stack end to end. EMULATOR FIGURES: moto, local worker processes and a
local HTTP server on this machine; they say nothing about AWS latency or throughput.

Deliveries are POSTed concurrently to the local HTTP API, signed as GitHub signs them; each one's
latency runs from just before its HTTP request to the item's `stored_at` (the processor's clock,
the same machine). Throughput is deliveries over the time from the first request to the last
item stored.
"""

import calendar
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from ops import send, signing

from .payloads import json_body
from .stats import percentile

PROVIDER = "github"
STORE_TIMEOUT_SECONDS = 300


def stored_at_seconds(text: str) -> float:
    """Epoch seconds of a `stored_at` value such as `2026-11-28T17:00:00.123Z`."""
    seconds = calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    return seconds + int(text[20:23]) / 1000


def _post(url: str, secret: str, body: bytes, delivery_id: str) -> tuple[str, float, float, int]:
    headers = signing.sign("github", secret, body, delivery_id=delivery_id, event_type="push")
    sent = time.time()
    answer = send.post((url, body, headers))
    return delivery_id, sent, time.time() - sent, answer.status


def stored_items(table, table_name: str) -> dict[str, float]:
    """`pk` -> `stored_at` (epoch seconds) of every item in the table."""
    found: dict[str, float] = {}
    kwargs = {"TableName": table_name, "ProjectionExpression": "pk, stored_at"}
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            found[item["pk"]["S"]] = stored_at_seconds(item["stored_at"]["S"])
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run(stack, deliveries: int, concurrency: int, size: int = 1024) -> dict[str, object]:
    """Send `deliveries` GitHub deliveries of `size` bytes; latencies and throughput."""
    url = stack.outputs["webhook_urls"][PROVIDER]
    secret = stack.dev_secrets[PROVIDER]
    body = json_body(size)
    ids = [str(uuid.uuid4()) for _ in range(deliveries)]
    with ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(lambda i: _post(url, secret, body, i), ids))
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
    to_store = [found[f"{PROVIDER}#{i}"] - sent for i, sent, _, _ in answers]
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
    }
