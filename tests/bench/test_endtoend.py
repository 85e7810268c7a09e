"""The local-stack end to end bench: what it reads from the table and the subscriber queue, and
its table in the report."""

import json
from typing import Any

from bench import endtoend, report


class _Table:
    """A DynamoDB client whose scan answers the given pages in turn."""

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.pages = pages
        self.calls: list[dict[str, Any]] = []

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        page: dict[str, Any] = {"Items": self.pages[len(self.calls) - 1]}
        if len(self.calls) < len(self.pages):
            page["LastEvaluatedKey"] = {"pk": {"S": "next"}}
        return page


def _event(delivery_id: str, stored_at: str) -> dict[str, Any]:
    return {
        "provider": {"S": "github"},
        "delivery_id": {"S": delivery_id},
        "stored_at": {"S": stored_at},
    }


def test_stored_items_are_events_by_delivery_not_aliases():
    alias: dict[str, Any] = {}  # projected: an alias item has none of the three attributes
    table = _Table(
        [
            [_event("a", "2026-11-28T17:00:00.250Z"), alias],
            [_event("b", "2026-11-28T17:00:01.000Z")],
        ]
    )
    found = endtoend.stored_items(table, "events")
    assert found == {"github#a": 1_795_885_200.25, "github#b": 1_795_885_201.0}
    assert table.calls[1]["ExclusiveStartKey"] == {"pk": {"S": "next"}}


class _Queue:
    """An SQS client answering the given batches of (delivery id, SentTimestamp ms) in turn."""

    def __init__(self, batches: list[list[tuple[str, int]]]) -> None:
        self.batches = batches
        self.deleted: list[str] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["MessageSystemAttributeNames"] == ["SentTimestamp"]
        batch = self.batches.pop(0) if self.batches else []
        return {
            "Messages": [
                {
                    "Body": json.dumps({"detail": {"provider": "github", "delivery_id": i}}),
                    "ReceiptHandle": f"{i}@{sent}",
                    "Attributes": {"SentTimestamp": str(sent)},
                }
                for i, sent in batch
            ]
        }

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> None:
        self.deleted += [e["ReceiptHandle"] for e in Entries]


def test_subscriber_arrivals_keep_each_first_copy_until_all_came():
    sqs = _Queue([[("a", 2_000), ("b", 3_500)], [], [("a", 1_500)], [("c", 9_000)]])
    arrived = endtoend.subscriber_arrivals(sqs, "q", {"github#a"}, timeout=10)
    assert arrived == {"github#a": 2.0, "github#b": 3.5}  # stops once the wanted one came
    sqs = _Queue([[("a", 2_000)], [], [("a", 1_500), ("b", 4_000)], [("c", 9_000)]])
    arrived = endtoend.subscriber_arrivals(sqs, "q", {"github#a", "github#b"}, timeout=10)
    assert arrived == {"github#a": 1.5, "github#b": 4.0}
    assert sqs.deleted == ["a@2000", "a@1500", "b@4000"]
    assert sqs.batches == [[("c", 9_000)]]


def test_subscriber_arrivals_give_up_after_the_timeout():
    assert endtoend.subscriber_arrivals(_Queue([]), "q", {"github#a"}, timeout=0.01) == {}


def test_the_end_to_end_table_shows_the_subscriber_latency_as_emulator_figures():
    e2e = {
        "deliveries": 100,
        "concurrency": 8,
        "body_bytes": 1024,
        "deliveries_per_second": 50.4,
        "ack_ms": {"p50": 10.2, "p99": 30.0},
        "stored_ms": {"p50": 120.0, "p99": 400.4},
        "subscriber": "everything",
        "subscriber_clock": "SentTimestamp",
        "stored_to_subscriber_ms": {"p50": 610.4, "p99": 1490.6},
    }
    lines = report.end_to_end(e2e)
    assert any("EMULATOR FIGURES" in line for line in lines)
    assert any("`everything` subscriber's queue (its SentTimestamp)" in line for line in lines)
    assert "stored → subscriber p50 | stored → subscriber p99 |" in lines[-3]
    assert (
        lines[-1]
        == "| 100 x 1024 B | 8 | 50 | 10 ms | 30 ms | 120 ms | 400 ms | 610 ms | 1491 ms |"
    )
    assert report.end_to_end(None)[-1] == "not run"
