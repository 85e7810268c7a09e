"""The per-record loop (`run_batch`) and its store step over a fake table: what is written,
how each failure is classified."""

import hashlib
import json
import time
from collections.abc import Iterable
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from webhooks import envelope, storage
from webhooks.batch import FAILED, BatchResult, SqsRecord, run_batch
from webhooks.store import (
    CONFLICT,
    DUPLICATE,
    MAX_DELIVERY_IDS,
    OUTCOMES,
    STORED,
    StoreEvent,
    Table,
)

NOW = 1_795_885_200.25


def store_batch(
    records: Iterable[SqsRecord],
    table: Table,
    *,
    table_name: str,
    ttl_days: int,
    now: float,
    deadline: float | None = None,
) -> BatchResult:
    """The process function's batch: `run_batch` over the store step of one batch time."""
    step = StoreEvent.at(table, table_name, ttl_days, now)
    return run_batch(records, step, deadline=deadline)


def _record(
    message_id: str, delivery_id: str, body: bytes = b"{}", dedupe: str = "deliveryId"
) -> dict[str, str]:
    message = envelope.build(
        dedupe=dedupe,
        provider="slack",
        delivery_id=delivery_id,
        event_type="app_mention",
        received_at="2026-11-28T17:00:00.000Z",
        source_ip="192.0.2.7",
        headers={"content-type": "application/json"},
        body=body,
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    return {"messageId": message_id, "body": envelope.encode(message)}


class FakeTable:
    """`put_item` that keeps items by pk, honours the condition, and raises chosen errors."""

    def __init__(self, errors: dict[str, Exception] | None = None) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.errors = errors or {}

    def put_item(self, **request: Any) -> dict[str, Any]:  # the request is untyped JSON
        self.calls.append(request)
        pk = request["Item"]["pk"]["S"]
        if pk in self.errors:
            raise self.errors[pk]
        if request.get("ConditionExpression") == "attribute_not_exists(pk)" and pk in self.items:
            raise _client_error("ConditionalCheckFailedException")
        self.items[pk] = request["Item"]
        return {}

    def get_item(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        item = self.items.get(request["Key"]["pk"]["S"])
        if item is None:
            return {}
        wanted = request["ProjectionExpression"].split(", ")
        return {"Item": {name: value for name, value in item.items() if name in wanted}}

    def update_item(self, **request: Any) -> dict[str, Any]:
        """Only `ADD <set> :value` (what the store step uses), honouring its conditions."""
        self.calls.append(request)
        pk = request["Key"]["pk"]["S"]
        item = self.items.get(pk)
        if not all(
            _holds(test, item, request) for test in request["ConditionExpression"].split(" AND ")
        ):
            raise _client_error("ConditionalCheckFailedException")
        item = self.items.setdefault(pk, {"pk": {"S": pk}})
        old = {name: dict(value) for name, value in item.items()}
        for clause in request["UpdateExpression"].split(" SET "):
            words = clause.split()
            if words[0] == "ADD":
                name, value = words[1], request["ExpressionAttributeValues"][words[2]]["SS"]
                item[name] = {"SS": sorted(set(item.get(name, {}).get("SS", [])) | set(value))}
            else:
                name, placeholder = clause.split(" = ")
                item[name.strip()] = request["ExpressionAttributeValues"][placeholder.strip()]
        return {"Attributes": old}


def _holds(test: str, item: dict[str, Any] | None, request: dict[str, Any]) -> bool:
    """One clause of the store step's update conditions, on a fake item."""
    if test.startswith("attribute_exists("):
        return item is not None and test.removeprefix("attribute_exists(")[:-1] in item
    name, _, placeholder = test.removeprefix("size(").partition(") < ")
    limit = int(request["ExpressionAttributeValues"][placeholder]["N"])
    return item is not None and len(item.get(name, {}).get("SS", [])) < limit


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "test"}}, "PutItem")


def test_each_record_is_one_conditional_put_of_its_item() -> None:
    table = FakeTable()
    result = store_batch(
        [_record("m-1", "Ev1", b'{"a": 1}'), _record("m-2", "Ev2")],
        table,
        table_name="events",
        ttl_days=7,
        now=NOW,
    )
    assert result.response() == {"batchItemFailures": []}
    assert result.counts(OUTCOMES) == {"Stored": 2, "Duplicate": 0, "Conflict": 0, "Failed": 0}
    first = table.calls[0]
    assert first["TableName"] == "events"
    assert first["ConditionExpression"] == "attribute_not_exists(pk)"
    expected = storage.to_item(
        envelope.parse(_record("m-1", "Ev1", b'{"a": 1}')["body"]),
        stored_at="2026-11-28T17:00:00.250Z",
        expires_at=1_795_885_200 + 7 * 86_400,
    )
    assert first["Item"] == expected
    assert {call["Item"]["stored_at"]["S"] for call in table.calls} == {"2026-11-28T17:00:00.250Z"}


def test_ttl_zero_writes_no_expiry() -> None:
    table = FakeTable()
    store_batch([_record("m-1", "Ev1")], table, table_name="t", ttl_days=0, now=NOW)
    assert "expires_at" not in table.items["slack#Ev1"]


def test_conditional_check_failure_is_a_duplicate_not_a_failure() -> None:
    table = FakeTable()
    records = [_record("m-1", "Ev1"), _record("m-2", "Ev1"), _record("m-3", "Ev2")]
    result = store_batch(records, table, table_name="t", ttl_days=1, now=NOW)
    assert result.counts(OUTCOMES) == {"Stored": 2, "Duplicate": 1, "Conflict": 0, "Failed": 0}
    assert result.failed == []


@pytest.mark.parametrize(
    ("error", "level", "logged"),
    [
        (_client_error("ProvisionedThroughputExceededException"), "WARNING", None),
        (_client_error("RequestLimitExceeded"), "WARNING", None),
        (_client_error("ValidationException"), "ERROR", "ValidationException"),
        (_client_error("AccessDeniedException"), "ERROR", "AccessDeniedException"),
        (ReadTimeoutError(endpoint_url="https://dynamodb"), "ERROR", "ReadTimeoutError"),
        (RuntimeError("boom"), "ERROR", "RuntimeError"),
    ],
)
def test_any_other_error_fails_only_that_record(
    error: Exception, level: str, logged: str | None, capsys: pytest.CaptureFixture
) -> None:
    table = FakeTable({"slack#Ev2": error})
    records = [_record("m-1", "Ev1"), _record("m-2", "Ev2"), _record("m-3", "Ev3")]

    result = store_batch(records, table, table_name="t", ttl_days=1, now=NOW)

    assert result.response() == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert set(table.items) == {"slack#Ev1", "slack#Ev3"}
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert line["level"] == level
    assert (line["message_id"], line["provider"], line["delivery_id"]) == ("m-2", "slack", "Ev2")
    if logged is None:  # a ClientError: its AWS error code is logged
        assert isinstance(error, ClientError), f"no expected error given for {error!r}"
        logged = error.response["Error"]["Code"]
    assert line["error"] == logged


def test_a_record_without_message_id_makes_lambda_retry_the_whole_batch() -> None:
    record = _record("ignored", "Ev1")
    del record["messageId"]
    record["body"] = "{}"
    result = store_batch([record], FakeTable(), table_name="t", ttl_days=1, now=NOW)
    # An empty itemIdentifier is how Lambda is told to retry every record of the batch.
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": ""}]}


def test_failure_log_of_an_unreadable_body_is_bounded(capsys: pytest.CaptureFixture) -> None:
    body = json.dumps({"v": 9, "provider": "p" * 5000, "delivery_id": 42})
    result = store_batch(
        [{"messageId": "m-1", "body": body}],
        FakeTable(),
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    assert result.failed == ["m-1"]
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert line["provider"] == "p" * 200
    assert line["delivery_id"] is None
    assert "version" in line["reason"]


def test_past_the_deadline_the_remaining_records_are_left_for_redelivery(
    capsys: pytest.CaptureFixture,
) -> None:
    table = FakeTable()
    records = [_record(f"m-{i}", f"Ev{i}") for i in range(4)]
    result = store_batch(
        records, table, table_name="t", ttl_days=1, now=NOW, deadline=time.monotonic()
    )
    assert set(table.items) == {"slack#Ev0"}  # the first record is always attempted
    assert result.counts(OUTCOMES) == {"Stored": 1, "Duplicate": 0, "Conflict": 0, "Failed": 3}
    assert result.failed == ["m-1", "m-2", "m-3"]
    lines = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert [line["message_id"] for line in lines if line["level"] == "WARNING"] == result.failed


def test_before_the_deadline_every_record_is_attempted() -> None:
    table = FakeTable()
    records = [_record(f"m-{i}", f"Ev{i}") for i in range(4)]
    deadline = time.monotonic() + 60
    result = store_batch(records, table, table_name="t", ttl_days=1, now=NOW, deadline=deadline)
    assert result.counts(OUTCOMES) == {"Stored": 4, "Duplicate": 0, "Conflict": 0, "Failed": 0}


def test_outcomes_are_the_metric_names() -> None:
    assert (STORED, DUPLICATE, CONFLICT, FAILED) == ("Stored", "Duplicate", "Conflict", "Failed")
    assert OUTCOMES == (STORED, DUPLICATE, CONFLICT, FAILED)
    table = FakeTable()
    result = store_batch(
        [_record("m-1", "Ev1"), _record("m-2", "Ev1")],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    assert (result.outcomes[STORED], result.outcomes[DUPLICATE]) == (1, 1)
    assert result.outcomes[FAILED] == 0


def test_run_batch_calls_the_handler_per_record_and_counts_its_outcomes(
    capsys: pytest.CaptureFixture,
) -> None:
    seen: list[tuple[str, object]] = []

    def handle(record: SqsRecord, message_id: str) -> str:
        seen.append((message_id, record["body"]))
        if record["body"] == "boom":
            raise ValueError("x" * 500)
        return str(record["body"])

    records = [
        {"messageId": "a", "body": "Kept"},
        {"messageId": "b", "body": FAILED},
        {"messageId": "c", "body": "boom"},
        {"messageId": "d", "body": "Kept"},
    ]
    result = run_batch(records, handle)
    assert seen == [(r["messageId"], r["body"]) for r in records]
    assert result.outcomes == {"Kept": 2, FAILED: 2}
    assert result.failed == ["b", "c"]
    assert result.counts(["Kept", "Other", FAILED]) == {"Kept": 2, "Other": 0, FAILED: 2}
    assert result.response() == {
        "batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]
    }
    [line] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (line["level"], line["message_id"], line["error"]) == ("ERROR", "c", "ValueError")
    assert line["detail"] == "x" * 200  # bounded


def test_empty_batch() -> None:
    result = run_batch([], lambda record, message_id: STORED)
    assert result.response() == {"batchItemFailures": []}
    assert result.counts(OUTCOMES) == {"Stored": 0, "Duplicate": 0, "Conflict": 0, "Failed": 0}


# --- a key that holds other bytes, and dedupe by content ------------------------------------


def test_same_key_other_bytes_is_stored_beside_and_linked_never_instead() -> None:
    table = FakeTable()
    first = store_batch(
        [_record("m-1", "Ev1", b'{"n": 1}')], table, table_name="t", ttl_days=1, now=NOW
    )
    second = store_batch(
        [_record("m-2", "Ev1", b'{"n": 2}')], table, table_name="t", ttl_days=1, now=NOW
    )
    assert first.counts(OUTCOMES)["Stored"] == 1
    assert second.counts(OUTCOMES) == {"Stored": 0, "Duplicate": 0, "Conflict": 1, "Failed": 0}
    original = table.items["slack#Ev1"]
    sha2 = hashlib.sha256(b'{"n": 2}').hexdigest()
    conflict = storage.conflict_key("slack", "slack#Ev1", sha2)
    assert original["body_sha256"]["S"] == hashlib.sha256(b'{"n": 1}').hexdigest()
    assert storage.original_bytes(original) == b'{"n": 1}'  # the victim's bytes, intact
    assert original["conflicts"] == {"SS": [conflict]}
    assert storage.original_bytes(table.items[conflict]) == b'{"n": 2}'
    assert table.items[conflict]["conflict_of"] == {"S": "slack#Ev1"}


def test_redelivered_conflict_is_a_duplicate_and_changes_nothing() -> None:
    table = FakeTable()
    records = [_record("m-1", "Ev1", b"a"), _record("m-2", "Ev1", b"b")]
    store_batch(records, table, table_name="t", ttl_days=1, now=NOW)
    before = repr(sorted(table.items.items()))
    again = store_batch(
        [_record("m-3", "Ev1", b"b"), _record("m-4", "Ev1", b"a")],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    assert again.counts(OUTCOMES) == {"Stored": 0, "Duplicate": 2, "Conflict": 0, "Failed": 0}
    assert repr(sorted(table.items.items())) == before


def test_content_dedupe_stores_the_bytes_once_and_keeps_every_id() -> None:
    table = FakeTable()
    records = [_record(f"m-{i}", f"id-{i}", b"same bytes", dedupe="content") for i in range(3)]
    result = store_batch(records, table, table_name="t", ttl_days=1, now=NOW)
    assert result.counts(OUTCOMES) == {"Stored": 1, "Duplicate": 2, "Conflict": 0, "Failed": 0}
    pk = storage.content_key("slack", "app_mention", hashlib.sha256(b"same bytes").hexdigest())
    assert list(table.items) == [pk]  # one item: nothing is written under the ids themselves
    assert table.items[pk]["delivery_ids"] == {"SS": ["id-0", "id-1", "id-2"]}


def test_content_dedupe_writes_a_new_event_once_and_a_duplicate_at_most_once_more() -> None:
    """No write per event beyond its own item (the alias write cost $0.625 per million)."""
    table = FakeTable()
    store_batch(
        [_record("m-1", "id-1", b"bytes", dedupe="content")],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    assert [sorted(call) for call in table.calls] == [
        ["ConditionExpression", "Item", "TableName"]
    ]  # the one conditional PutItem
    table.calls.clear()
    store_batch(
        [_record("m-2", "id-2", b"bytes", dedupe="content")],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    writes = [call for call in table.calls if "Item" in call or "UpdateExpression" in call]
    assert len(writes) == 2  # the refused put and the id's ADD


def test_content_dedupe_keeps_the_same_bytes_under_another_event_type() -> None:
    """Finding 6: Shopify `orders/updated` then `orders/paid` with byte-identical bodies."""
    table = FakeTable()
    body = b'{"id": 450789469, "total_price": "409.94"}'
    records = []
    for i, topic in enumerate(["orders/updated", "orders/paid", "orders/paid"]):
        message = json.loads(_record(f"m-{i}", f"wh-{i}", body, dedupe="content")["body"])
        message["event_type"] = topic
        records.append({"messageId": f"m-{i}", "body": json.dumps(message)})
    result = store_batch(records, table, table_name="t", ttl_days=1, now=NOW)
    assert result.counts(OUTCOMES) == {"Stored": 2, "Duplicate": 1, "Conflict": 0, "Failed": 0}
    types = sorted(item["event_type"]["S"] for item in table.items.values())
    assert types == ["orders/paid", "orders/updated"]  # the payment is an event of its own


def test_content_dedupe_one_id_two_bodies_keeps_both() -> None:
    table = FakeTable()
    records = [
        _record("m-1", "next", b"captured", dedupe="content"),
        _record("m-2", "next", b"real", dedupe="content"),
    ]
    result = store_batch(records, table, table_name="t", ttl_days=1, now=NOW)
    assert result.counts(OUTCOMES) == {"Stored": 2, "Duplicate": 0, "Conflict": 0, "Failed": 0}
    real_pk = storage.content_key("slack", "app_mention", hashlib.sha256(b"real").hexdigest())
    assert storage.original_bytes(table.items[real_pk]) == b"real"


@pytest.mark.parametrize("spelling", ["content#{sha}", "{key_tail}", "{key}"])
def test_a_captured_delivery_under_a_chosen_id_never_takes_a_future_events_key(
    spelling: str,
) -> None:
    """Finding 2: re-sent under the id `content#<sha256 of F>` (or any spelling of F's key),
    the captured bytes leave nothing at the key F needs; F is stored when it comes."""
    table = FakeTable()
    future = b'{"future": true}'
    sha = hashlib.sha256(future).hexdigest()
    key = storage.content_key("slack", "app_mention", sha)
    chosen = spelling.format(sha=sha, key=key, key_tail=key[len("slack") + 1 :])
    for dedupe in ("content", "deliveryId"):
        store_batch(
            [_record("m-1", chosen, b"captured", dedupe=dedupe)],
            table,
            table_name="t",
            ttl_days=1,
            now=NOW,
        )
    real = store_batch(
        [_record("m-2", "real-id", future, dedupe="content")],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    assert real.counts(OUTCOMES) == {"Stored": 1, "Duplicate": 0, "Conflict": 0, "Failed": 0}
    assert storage.original_bytes(table.items[key]) == future


def test_an_alias_item_of_an_earlier_version_never_blocks_an_event() -> None:
    """A key holding an item without bytes (an old alias) gets the event beside it, linked."""
    table = FakeTable()
    table.items["slack#Ev1"] = {"pk": {"S": "slack#Ev1"}, "events": {"SS": ["slack#content#x"]}}
    result = store_batch(
        [_record("m-1", "Ev1", b"real")], table, table_name="t", ttl_days=1, now=NOW
    )
    assert result.counts(OUTCOMES) == {"Stored": 0, "Duplicate": 0, "Conflict": 1, "Failed": 0}
    conflict = storage.conflict_key("slack", "slack#Ev1", hashlib.sha256(b"real").hexdigest())
    assert storage.original_bytes(table.items[conflict]) == b"real"
    assert table.items["slack#Ev1"]["conflicts"] == {"SS": [conflict]}
    again = store_batch(
        [_record("m-2", "Ev1", b"real")], table, table_name="t", ttl_days=1, now=NOW
    )
    assert again.counts(OUTCOMES)["Duplicate"] == 1


def test_content_dedupe_keeps_a_bounded_number_of_ids() -> None:
    """Replays under fresh ids never grow the event past DynamoDB's item limit."""
    table = FakeTable()
    extra = 5
    records = [
        _record(f"m-{i}", f"id-{i:04}", b"replayed", dedupe="content")
        for i in range(MAX_DELIVERY_IDS + extra)
    ]
    result = store_batch(records, table, table_name="t", ttl_days=1, now=NOW)
    counts = result.counts(OUTCOMES)
    assert counts["Stored"] == 1 and counts["Failed"] == 0
    [event] = table.items.values()
    assert len(event["delivery_ids"]["SS"]) == MAX_DELIVERY_IDS


def test_a_provider_name_that_could_spell_another_namespace_is_refused() -> None:
    table = FakeTable()
    message = json.loads(_record("m-1", "x", b"{}")["body"])
    message["provider"] = "slack!content"
    result = store_batch(
        [{"messageId": "m-1", "body": json.dumps(message)}],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    assert result.counts(OUTCOMES)["Failed"] == 1 and table.items == {}


def test_archived_body_missing_or_different_fails_the_record_and_writes_nothing() -> None:
    body = b"x" * 10
    sha = hashlib.sha256(body).hexdigest()
    message = envelope.build(
        provider="slack",
        delivery_id="Ev1",
        event_type="",
        received_at="2026-11-28T17:00:00.000Z",
        source_ip="192.0.2.7",
        headers={},
        body=body,
        body_sha256=sha,
        body_s3_key=envelope.archive_key("slack", sha),
    )
    record = {"messageId": "m-1", "body": envelope.encode(message)}
    for answer in ("archived body is missing", "archived body does not match body_sha256"):
        table = FakeTable()

        def check(key: str, digest: str, answer: str = answer) -> str:
            return answer

        step = StoreEvent.at(table, "t", 1, NOW, check)
        assert run_batch([record], step).counts(OUTCOMES)["Failed"] == 1
        assert table.items == {}
    table = FakeTable()
    seen: list[tuple[str, str]] = []
    step = StoreEvent.at(table, "t", 1, NOW, lambda key, digest: seen.append((key, digest)))
    assert run_batch([record], step).counts(OUTCOMES)["Stored"] == 1
    assert seen == [(f"bodies/slack/{sha}", sha)]
    no_archive = StoreEvent.at(FakeTable(), "t", 1, NOW)
    assert run_batch([record], no_archive).counts(OUTCOMES)["Failed"] == 1
