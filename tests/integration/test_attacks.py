"""An attacker who has seen one authentic request, against the running stack.

Written as the attacker acts: they hold a captured request (headers and body exactly as the
sender signed them) and choose the delivery id, and for generic HMAC the timestamp, because
those headers are outside GitHub's and Shopify's signatures. Each test asserts the safe
outcome: the victim's bytes intact, the real delivery stored, a replay stored once.
"""

import functools
import hashlib

from ops import events, send, signing
from tests.integration.harness import wait_for
from webhooks.envelope import archive_key

LARGE = 40_000  # above the 32 KiB inline limit: the body is archived in S3


def _captured(pipeline, provider: str, **kwargs) -> tuple[str, bytes, dict[str, str]]:
    """A request the real sender signed and sent, as a proxy or a log would have kept it."""
    delivery = pipeline.delivery(provider, **kwargs)
    assert pipeline.post(delivery).status == 202
    wait_for(
        functools.partial(pipeline.stored, provider, delivery.delivery_id),
        f"{provider} {delivery.delivery_id} stored",
    )
    return delivery.signed()


def _under_id(request: tuple[str, bytes, dict[str, str]], header: str, delivery_id: str):
    url, body, headers = request
    return url, body, {**headers, header: delivery_id}


def _events(pipeline, provider: str, delivery_id: str) -> list[dict]:
    return events.get_events(
        pipeline.client("dynamodb"), pipeline.outputs.text("table_name"), provider, delivery_id
    )


def _settled(pipeline) -> None:
    wait_for(pipeline.drained, "queue and DLQ empty", state=pipeline.describe)


def test_a_captured_body_sent_under_a_victims_id_overwrites_nothing(pipeline) -> None:
    victim = pipeline.delivery("github", size=LARGE)
    assert pipeline.post(victim).status == 202
    stolen = _captured(pipeline, "github", size=LARGE)
    wait_for(functools.partial(pipeline.stored, "github", victim.delivery_id), "victim stored")

    answer = send.post(_under_id(stolen, "X-GitHub-Delivery", victim.delivery_id))
    assert answer.status == 202  # authentic bytes: the receiver cannot tell
    _settled(pipeline)

    victim_sha = hashlib.sha256(victim.body).hexdigest()
    found = _events(pipeline, "github", victim.delivery_id)
    by_sha = {item["body_sha256"]["S"]: item for item in found}
    assert victim_sha in by_sha, "the victim's event is gone"
    assert pipeline.original_bytes(by_sha[victim_sha]) == victim.body
    archived = pipeline.client("s3").get_object(
        Bucket=pipeline.outputs.text("archive_bucket"), Key=archive_key("github", victim_sha)
    )
    assert archived["Body"].read() == victim.body  # the archived object still holds its bytes
    for item in found:  # nothing stored points at bytes other than its own
        assert (
            hashlib.sha256(pipeline.original_bytes(item)).hexdigest() == (item["body_sha256"]["S"])
        )


def test_a_captured_body_sent_under_the_next_id_does_not_suppress_the_real_delivery(
    pipeline,
) -> None:
    stolen = _captured(pipeline, "github")
    next_id = signing.new_delivery_id("github")  # the id the sender will use next
    assert send.post(_under_id(stolen, "X-GitHub-Delivery", next_id)).status == 202
    _settled(pipeline)

    real = pipeline.variant(pipeline.delivery("github"), next_id)
    assert pipeline.post(real).status == 202
    _settled(pipeline)

    bodies = [pipeline.original_bytes(item) for item in _events(pipeline, "github", next_id)]
    assert real.body in bodies, "the real delivery was dropped as a duplicate"


def test_a_captured_request_replayed_under_fresh_ids_is_stored_once(pipeline) -> None:
    stolen = _captured(pipeline, "github")
    _, body, headers = stolen
    original_id = headers["X-GitHub-Delivery"]
    fresh = [signing.new_delivery_id("github") for _ in range(5)]
    for delivery_id in fresh:
        assert send.post(_under_id(stolen, "X-GitHub-Delivery", delivery_id)).status == 202
    _settled(pipeline)

    keys = set()
    for delivery_id in [original_id, *fresh]:
        [item] = _events(pipeline, "github", delivery_id)
        keys.add(item["pk"]["S"])
    assert len(keys) == 1, f"the replay was stored {len(keys)} times"
    [key] = keys
    event = pipeline.client("dynamodb").get_item(
        TableName=pipeline.outputs.text("table_name"), Key={"pk": {"S": key}}
    )["Item"]
    assert pipeline.original_bytes(event) == body
    assert set(event["delivery_ids"]["SS"]) == {original_id, *fresh}


def test_a_signed_id_and_timestamp_cannot_be_chosen(pipeline) -> None:
    """acme signs `{id}.{timestamp}.{body}`: a fresh id or a fresh timestamp breaks it."""
    options = (pipeline.outputs.values.get("provider_options") or {}).get("acme") or {}
    if "{id}" not in str(options.get("signed_content", "")):
        return  # a stack whose acme signs the body only has no such guarantee to check
    stolen = _captured(pipeline, "acme")
    fresh_id = _under_id(stolen, "x-acme-delivery", signing.new_delivery_id("hmac"))
    assert send.post(fresh_id).status == 401
    url, body, headers = stolen
    stamp = next(name for name in headers if name.lower() == "x-acme-timestamp")
    later = (url, body, {**headers, stamp: str(int(headers[stamp]) + 1)})
    assert send.post(later).status == 401


def test_a_captured_delivery_under_the_id_of_a_future_events_key_does_not_block_it(
    pipeline,
) -> None:
    """Finding 2: re-sent under the unsigned id `content#<sha256 of F>`, the captured bytes
    used to leave an alias at the very key F needs; F then failed into the DLQ."""
    stolen = _captured(pipeline, "github")
    future = pipeline.delivery("github")  # F, not sent yet
    sha = hashlib.sha256(future.body).hexdigest()
    for chosen in (f"content#{sha}", f"!content!{sha}!push"):
        assert send.post(_under_id(stolen, "X-GitHub-Delivery", chosen)).status == 202
    _settled(pipeline)

    assert pipeline.post(future).status == 202
    _settled(pipeline)  # nothing in the DLQ

    [event] = _events(pipeline, "github", future.delivery_id)
    assert pipeline.original_bytes(event) == future.body


def test_the_same_bytes_under_another_topic_are_another_event(pipeline) -> None:
    """Finding 6 (Shopify's `orders/updated` then `orders/paid` with byte-identical bodies used
    to be one event typed `orders/updated`), with the dev stack's content-deduped sender: GitHub
    names the topic in a header as Shopify does."""
    updated = pipeline.delivery("github", event_type="check_suite")
    paid = pipeline.delivery("github", event_type="check_run", body=updated.body)
    for delivery in (updated, paid, updated):  # the last: a redelivery, stored once
        assert pipeline.post(delivery).status == 202
    _settled(pipeline)

    for delivery in (updated, paid):
        [event] = _events(pipeline, "github", delivery.delivery_id)
        assert event["event_type"]["S"] == delivery.event_type
        assert pipeline.original_bytes(event) == updated.body
