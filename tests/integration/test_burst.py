"""A burst of concurrent deliveries with duplicates mixed in ends with exactly the unique ones
stored, and an empty queue and DLQ."""

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.integration.harness import wait_for
from webhooks.envelope import format_received_at

UNIQUE = 800
DUPLICATES = 200  # copies of already-sent deliveries, interleaved with the originals
SENDERS = 16  # concurrent HTTP clients (the local ingest pool has 4 workers)


def test_burst_with_duplicates_stores_each_unique_delivery_once(pipeline) -> None:
    run = f"burst-{uuid.uuid4().hex[:10]}-"
    templates = {provider: pipeline.delivery(provider) for provider in pipeline.providers}
    # The run's items are found by their id prefix: senders whose ids the test chooses (not a
    # generic HMAC sender without a delivery id header, whose id is the body's SHA-256).
    providers = sorted(
        p for p, t in templates.items() if pipeline.variant(t, "x").delivery_id == "x"
    )
    unique = {}
    for n in range(UNIQUE):
        provider = providers[n % len(providers)]
        unique[(provider, f"{run}{n}")] = pipeline.variant(templates[provider], f"{run}{n}")
    chooser = random.Random(UNIQUE)
    burst = list(unique.values())
    burst += [chooser.choice(burst) for _ in range(DUPLICATES)]
    chooser.shuffle(burst)
    started = format_received_at(int(time.time() * 1000) - 300_000)  # tolerate clock skew

    with ThreadPoolExecutor(SENDERS) as pool:
        statuses = list(pool.map(lambda delivery: pipeline.post(delivery).status, burst))
    assert statuses == [202] * len(burst)

    # Wait on the cheap queue counters; the table is read once they say everything was handled.
    wait_for(
        pipeline.drained,
        "queue and DLQ empty after the burst",
        timeout=180,
        state=pipeline.describe,
    )
    wait_for(
        lambda: _stored_of_run(pipeline, providers, run, started) == set(unique),
        f"exactly the {UNIQUE} unique deliveries stored",
        interval=2,
        state=lambda: f"{len(_stored_of_run(pipeline, providers, run, started))} stored",
    )


def _stored_of_run(pipeline, providers, run: str, since: str) -> set[tuple[str, str]]:
    """(provider, delivery id) of every stored item of this run, from each provider's index."""
    dynamodb = pipeline.client("dynamodb")
    found: list[tuple[str, str]] = []
    for provider in providers:
        request = {
            "TableName": pipeline.outputs.text("table_name"),
            "IndexName": "by_provider",
            "KeyConditionExpression": "provider = :p AND received_at >= :t",
            "FilterExpression": "begins_with(delivery_id, :run)",
            "ExpressionAttributeValues": {
                ":p": {"S": provider},
                ":t": {"S": since},
                ":run": {"S": run},
            },
        }
        while True:
            page = dynamodb.query(**request)
            found += [(provider, item["delivery_id"]["S"]) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert len(found) == len(set(found)), "an item listed twice"
    return set(found)
