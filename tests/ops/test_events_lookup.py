"""`ops events show`'s lookup by delivery id under the key namespaces (docs/contract.md "Table
item"): events stored by the processor's own step, and items of earlier versions."""

import hashlib

from ops import events
from webhooks import envelope, storage
from webhooks.batch import run_batch
from webhooks.store import OUTCOMES, StoreEvent


def _record(provider: str, delivery_id: str, body: bytes, dedupe: str) -> dict[str, str]:
    message = envelope.build(
        provider=provider,
        delivery_id=delivery_id,
        event_type="push",
        received_at="2026-11-28T17:00:00.000Z",
        source_ip="192.0.2.1",
        headers={},
        body=body,
        body_sha256=hashlib.sha256(body).hexdigest(),
        dedupe=dedupe,
    )
    return {"messageId": delivery_id, "body": envelope.encode(message)}


def _store(stack, *records: dict[str, str]) -> dict[str, int]:
    step = StoreEvent.at(stack.client("dynamodb"), stack.text("table_name"), 1, 1_795_885_200)
    return run_batch(records, step).counts(OUTCOMES)


def test_a_content_deduped_event_is_found_by_each_id_it_arrived_under(stack) -> None:
    counts = _store(
        stack,
        _record("github", "d-1", b'{"n": 1}', "content"),
        _record("github", "d-2", b'{"n": 1}', "content"),
        _record("github", "d-3", b'{"n": 2}', "content"),
    )
    assert (counts["Stored"], counts["Duplicate"]) == (2, 1)
    dynamodb, table = stack.client("dynamodb"), stack.text("table_name")
    for delivery_id, body in (("d-1", b'{"n": 1}'), ("d-2", b'{"n": 1}'), ("d-3", b'{"n": 2}')):
        [item] = events.get_events(dynamodb, table, "github", delivery_id)
        assert storage.original_bytes(item) == body
    assert events.get_events(dynamodb, table, "github", "d-4") == []


def test_a_delivery_id_event_is_found_at_its_key(stack) -> None:
    _store(stack, _record("stripe", "evt_1", b"{}", "deliveryId"))
    dynamodb, table = stack.client("dynamodb"), stack.text("table_name")
    [item] = events.get_events(dynamodb, table, "stripe", "evt_1")
    assert item["pk"] == {"S": "stripe#evt_1"}


def test_items_of_an_earlier_version_stay_readable(stack) -> None:
    """An old content key and its alias item, as the previous processor wrote them."""
    dynamodb, table = stack.client("dynamodb"), stack.text("table_name")
    body = b'{"old": true}'
    sha = hashlib.sha256(body).hexdigest()
    old_key = f"github#content#{sha}"
    message = envelope.parse(envelope.encode(envelope.build(
        provider="github", delivery_id="d-old", event_type="push",
        received_at="2026-11-01T00:00:00.000Z", source_ip="192.0.2.1", headers={},
        body=body, body_sha256=sha, dedupe="content",
    )))  # fmt: skip
    item = storage.to_item(message, stored_at="2026-11-01T00:00:01.000Z", expires_at=None)
    item["pk"] = {"S": old_key}
    dynamodb.put_item(TableName=table, Item=item)
    alias = {"pk": {"S": "github#d-old"}, "events": {"SS": [old_key]}}
    dynamodb.put_item(TableName=table, Item=alias)

    [found] = events.get_events(dynamodb, table, "github", "d-old")
    assert found["pk"] == {"S": old_key}
    assert storage.original_bytes(found) == body
