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
from webhooks.store import CONFLICT, DUPLICATE, OUTCOMES, STORED, StoreEvent, Table

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
        return {} if item is None else {"Item": {"body_sha256": item["body_sha256"]}}

    def update_item(self, **request: Any) -> dict[str, Any]:
        """Only `ADD <set> :value` (what the store step uses), honouring its condition."""
        self.calls.append(request)
        pk = request["Key"]["pk"]["S"]
        item = self.items.get(pk)
        condition = request.get("ConditionExpression")
        exists = item is not None and "body_sha256" in item
        if (condition == "attribute_exists(body_sha256)" and not exists) or (
            condition == "attribute_not_exists(body_sha256)" and exists
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
    conflict = storage.conflict_key("slack#Ev1", sha2)
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
    pk = storage.content_key("slack", hashlib.sha256(b"same bytes").hexdigest())
    events = [item for item in table.items.values() if storage.is_event(item)]
    assert [item["pk"]["S"] for item in events] == [pk]
    assert table.items[pk]["delivery_ids"] == {"SS": ["id-0", "id-1", "id-2"]}
    for i in range(3):
        alias = table.items[storage.item_key("slack", f"id-{i}")]
        assert alias["events"] == {"SS": [pk]} and not storage.is_event(alias)


def test_content_dedupe_one_id_two_bodies_keeps_both_and_is_a_conflict() -> None:
    table = FakeTable()
    store_batch(
        [_record("m-1", "next", b"captured", dedupe="content")],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    real = store_batch(
        [_record("m-2", "next", b"real", dedupe="content")],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    assert real.counts(OUTCOMES) == {"Stored": 0, "Duplicate": 0, "Conflict": 1, "Failed": 0}
    real_pk = storage.content_key("slack", hashlib.sha256(b"real").hexdigest())
    assert storage.original_bytes(table.items[real_pk]) == b"real"
    assert len(table.items[storage.item_key("slack", "next")]["events"]["SS"]) == 2


def test_content_alias_never_lands_on_an_event() -> None:
    """A delivery id chosen to equal an event's key gets no alias there: the event is intact."""
    table = FakeTable()
    store_batch(
        [_record("m-1", "x", b"victim", dedupe="content")],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    victim = storage.content_key("slack", hashlib.sha256(b"victim").hexdigest())
    chosen = victim.removeprefix("slack#")
    before = dict(table.items[victim])
    result = store_batch(
        [_record("m-2", chosen, b"other", dedupe="content")],
        table,
        table_name="t",
        ttl_days=1,
        now=NOW,
    )
    assert result.counts(OUTCOMES)["Conflict"] == 1
    assert table.items[victim] == before


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
