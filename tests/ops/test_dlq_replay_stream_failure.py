"""Republishing a publish-DLQ message: the stream range it names, read back, each event
inserted there published again from the table (`ops dlq replay --queue publish` calls this)."""

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ops import dlq_replay
from ops.errors import OpsError
from tests.handlers.test_publish import BUS, item
from webhooks.publish import Publisher

STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/webhooks-events-test/stream/2026-12-06"


class Streams:
    """A stream shard of numbered records, read as DynamoDB Streams serves it (2 per page)."""

    def __init__(self, records: list[dict[str, Any]], gone: bool = False) -> None:
        self.records = records
        self.gone = gone

    def get_shard_iterator(self, **request: Any) -> dict[str, str]:
        if self.gone:
            raise ClientError({"Error": {"Code": "TrimmedDataAccessException"}}, "GetShardIterator")
        assert request["ShardIteratorType"] == "AT_SEQUENCE_NUMBER"
        sequences = [r["dynamodb"]["SequenceNumber"] for r in self.records]
        return {"ShardIterator": str(sequences.index(request["SequenceNumber"]))}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        page = self.records[start : start + 2]
        return {"Records": page, "NextShardIterator": str(start + len(page))}


class Table:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = {i["pk"]["S"]: i for i in items}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        [(name, request)] = RequestItems.items()
        found = [self.items[k["pk"]["S"]] for k in request["Keys"] if k["pk"]["S"] in self.items]
        return {"Responses": {name: found}}


def record(image: dict[str, Any], sequence: int, name: str = "INSERT") -> dict[str, Any]:
    return {"eventName": name, "dynamodb": {"SequenceNumber": str(sequence), "NewImage": image}}


def dlq_message(start: int, end: int) -> str:
    """Lambda's on-failure record for a DynamoDB stream batch."""
    return json.dumps(
        {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "version": "1.0",
            "DDBStreamBatchInfo": {
                "shardId": "shardId-1",
                "startSequenceNumber": str(start),
                "endSequenceNumber": str(end),
                "approximateArrivalOfFirstRecord": "2026-12-06T03:00:00Z",
                "approximateArrivalOfLastRecord": "2026-12-06T03:00:01Z",
                "batchSize": end - start + 1,
                "streamArn": STREAM,
            },
        }
    )


def setup() -> tuple[Streams, Table, list[list[dict]]]:
    items = [item(delivery_id=f"d-{n}") for n in range(6)]
    lookup = {"pk": {"S": "lookup#x"}, "value": {"S": "y"}}
    images = [*items[:3], lookup, *items[3:]]  # sequence 103 is a lookup item's insert
    records = [record(image, 100 + n) for n, image in enumerate(images)]
    sent: list[list[dict]] = []
    return Streams(records), Table(items), sent


def send_to(sent: list[list[dict]]) -> dlq_replay.Sender:
    def send(entries: list[dict]) -> list[str | None]:
        sent.append(entries)
        return [None] * len(entries)

    return send


def test_the_events_of_the_named_range_are_published_again_from_the_table() -> None:
    streams, table, sent = setup()
    result = dlq_replay.republish_stream_failure(
        dlq_message(101, 104),
        streams=streams,
        dynamodb=table,
        table="webhooks-events-test",
        publisher=Publisher(BUS),
        send=send_to(sent),
    )
    published = [json.loads(e["Detail"]) for call in sent for e in call]
    assert [d["delivery_id"] for d in published] == ["d-1", "d-2", "d-3"]  # 103 is a lookup
    assert all(d["replayed"] for d in published)
    assert result.published == 3 and result.failed == 0
    assert result.selected == ["github#d-1", "github#d-2", "github#d-3"]


def test_an_event_expired_from_the_table_since_is_counted_not_published() -> None:
    streams, table, sent = setup()
    del table.items["github#d-2"]  # its TTL ran out after the stream record
    result = dlq_replay.republish_stream_failure(
        dlq_message(101, 102),
        streams=streams,
        dynamodb=table,
        table="t",
        publisher=Publisher(BUS),
        send=send_to(sent),
    )
    assert (result.published, result.skipped) == (1, 1)


def test_an_event_still_poison_keeps_its_message_and_says_why() -> None:
    streams, table, sent = setup()
    table.items["github#d-2"]["body_sha256"] = {"S": "0" * 64}
    with pytest.raises(OpsError, match="github#d-2 still cannot be published"):
        dlq_replay.republish_stream_failure(
            dlq_message(102, 102),
            streams=streams,
            dynamodb=table,
            table="t",
            publisher=Publisher(BUS),
            send=send_to(sent),
        )
    assert sent == []


def test_a_refused_entry_keeps_the_message() -> None:
    streams, table, _ = setup()
    with pytest.raises(OpsError, match="refused"):
        dlq_replay.republish_stream_failure(
            dlq_message(100, 100),
            streams=streams,
            dynamodb=table,
            table="t",
            publisher=Publisher(BUS),
            send=lambda entries: ["InternalFailure"] * len(entries),
        )


def test_records_the_stream_no_longer_holds_point_to_the_replay_by_time() -> None:
    _, table, sent = setup()
    with pytest.raises(OpsError, match="--since 2026-12-06T03:00:00Z --until 2026-12-06T03:00:01Z"):
        dlq_replay.republish_stream_failure(
            dlq_message(100, 101),
            streams=Streams([], gone=True),
            dynamodb=table,
            table="t",
            publisher=Publisher(BUS),
            send=send_to(sent),
        )


@pytest.mark.parametrize(
    "body", ["not json", "{}", json.dumps({"DDBStreamBatchInfo": {"shardId": "s"}})]
)
def test_a_message_that_is_no_on_failure_record_is_refused(body: str) -> None:
    with pytest.raises(OpsError, match="not a publish DLQ message"):
        dlq_replay.stream_range(body)
