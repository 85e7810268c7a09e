"""Delivery end to end: a stored event reaches exactly the subscribers whose rule matches."""

import json
import time
from collections.abc import Mapping
from typing import Any

import pytest

from tests.integration.harness import Pipeline, wait_for

REPO = {"repository": {"full_name": "acme/api"}, "ref": "refs/heads/main"}
OTHER = {"repository": {"full_name": "acme/web"}, "ref": "refs/heads/main"}


class Inbox:
    """Everything the managed subscriber queues received, by subscriber and delivery id."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.sqs = pipeline.client("sqs")
        queues = pipeline.outputs.values["subscriber_queue_urls"]
        assert isinstance(queues, dict)
        self.queues: dict[str, str] = queues
        self.got: dict[str, dict[str, list[dict[str, Any]]]] = {n: {} for n in self.queues}

    def drain(self) -> None:
        for name, url in self.queues.items():
            while True:
                messages = self.sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
                ).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    event = json.loads(message["Body"])
                    key = event["detail"]["delivery_id"]
                    self.got[name].setdefault(key, []).append(event)
                self.sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                )

    def receivers(self, delivery_id: str) -> set[str]:
        return {name for name, got in self.got.items() if delivery_id in got}

    def wait(self, expected: dict[str, set[str]], settle: float = 3.0) -> None:
        """Until each delivery reached its expected subscribers, then a little longer: no
        other subscriber gets it late."""

        def done() -> bool:
            self.drain()
            return all(self.receivers(d) >= want for d, want in expected.items())

        wait_for(done, "every delivery at its subscribers", state=lambda: repr(self.got)[:2000])
        time.sleep(settle)
        self.drain()
        for delivery_id, want in expected.items():
            assert self.receivers(delivery_id) == want, delivery_id


@pytest.fixture
def inbox(pipeline: Pipeline, local_only: None) -> Inbox:
    box = Inbox(pipeline)
    box.drain()
    return box


def _send(pipeline: Pipeline, provider: str, **kwargs: Any) -> str:
    delivery = pipeline.delivery(provider, **kwargs)
    assert pipeline.post(delivery).status == 202
    return delivery.delivery_id


def test_each_delivery_reaches_exactly_the_matching_subscribers(
    pipeline: Pipeline, inbox: Inbox
) -> None:
    ids = {
        "ci": _send(pipeline, "github", body=json.dumps(REPO).encode(), event_type="push"),
        "gh-other": _send(pipeline, "github", body=json.dumps(OTHER).encode(), event_type="push"),
        "invoice": _send(pipeline, "stripe", event_type="invoice.paid"),
        "charge": _send(pipeline, "stripe", event_type="charge.succeeded"),
        "standard": _send(pipeline, "standard-webhooks"),
        "acme": _send(pipeline, "acme"),
    }
    inbox.wait(
        {
            ids["ci"]: {"ci", "everything"},
            ids["gh-other"]: {"everything"},
            ids["invoice"]: {"billing", "everything"},
            ids["charge"]: {"everything"},
            ids["standard"]: {"everything"},
            ids["acme"]: {"everything"},
        }
    )
    [event] = inbox.got["ci"][ids["ci"]]
    assert event["source"] == "webhooks.github"
    assert event["detail-type"] == "push"
    detail = event["detail"]
    assert detail["payload"] == REPO
    assert detail["match"] == {"repository": {"full_name": "acme/api"}}
    assert detail["replayed"] is False
    stored = pipeline.stored("github", ids["ci"])
    assert stored is not None
    assert detail["body_sha256"] == stored["body_sha256"]["S"]
    assert detail["stored_at"] == stored["stored_at"]["S"]
    [invoice] = inbox.got["billing"][ids["invoice"]]
    assert invoice["detail-type"] == "invoice.paid"
    assert invoice["detail"]["provider"] == "stripe"


def test_a_duplicate_reaches_each_subscriber_once(pipeline: Pipeline, inbox: Inbox) -> None:
    delivery = pipeline.delivery("stripe", event_type="invoice.created")
    for _ in range(3):
        assert pipeline.post(delivery).status == 202
    inbox.wait({delivery.delivery_id: {"billing", "everything"}})
    assert len(inbox.got["billing"][delivery.delivery_id]) == 1
    assert len(inbox.got["everything"][delivery.delivery_id]) == 1


def test_a_claim_checked_body_routes_the_same(pipeline: Pipeline, inbox: Inbox) -> None:
    limit = pipeline.outputs.values["inline_body_limit"]
    assert isinstance(limit, int)
    body = json.dumps({**REPO, "padding": "x" * (limit + 100)}).encode()
    delivery_id = _send(pipeline, "github", body=body, event_type="push")
    inbox.wait({delivery_id: {"ci", "everything"}})
    [event] = inbox.got["ci"][delivery_id]
    detail = event["detail"]
    assert "payload" not in detail and "body" not in detail
    assert detail["body_s3_bucket"] == pipeline.outputs.values["archive_bucket"]
    assert detail["body_size"] == len(body)
    archived = (
        pipeline.client("s3")
        .get_object(Bucket=detail["body_s3_bucket"], Key=detail["body_s3_key"])["Body"]
        .read()
    )
    assert archived == body


def test_put_events_failures_are_retried_and_nothing_is_lost(
    pipeline: Pipeline, inbox: Inbox
) -> None:
    pipeline.local.set_faults(put_events_failure_rate=0.5)

    def retries() -> int:
        return int(pipeline.local.stats()["stream_pollers"][0]["retries"])

    try:
        # The workers pick the fault file up within moments: send until a failure was retried
        # (bounded), then every one of them must still arrive, each where it belongs.
        before = retries()
        ids: list[str] = []
        deadline = time.monotonic() + 60
        while len(ids) < 8 or (retries() == before and time.monotonic() < deadline):
            ids.append(_send(pipeline, "stripe", event_type="invoice.paid"))
            time.sleep(0.2)
        inbox.wait({i: {"billing", "everything"} for i in ids})
    finally:
        pipeline.local.clear_faults()
    assert retries() > before, pipeline.local.stats()


def test_the_banner_lists_a_target_it_cannot_deliver_to(pipeline: Pipeline, local_only) -> None:
    from local.__main__ import banner

    text = banner(pipeline.local)
    assert "NOT DELIVERED LOCALLY" in text
    assert "event-bus/central" in text


def test_a_poison_item_ends_in_the_publish_dlq(pipeline: Pipeline, local_only) -> None:
    table = pipeline.outputs.values["table_name"]
    pipeline.client("dynamodb").put_item(
        TableName=table,
        Item={
            "pk": {"S": "github#poison-publish"},
            "provider": {"S": "github"},
            "delivery_id": {"S": "poison-publish"},
            "received_at": {"S": "2026-11-28T17:00:00.000Z"},
            "stored_at": {"S": "2026-11-28T17:00:00.000Z"},
            "body_sha256": {"S": "0" * 64},  # does not match: never publishable
            "body_size": {"N": "1"},
            "payload_s3_key": {"S": "bodies/github/none"},
        },
    )
    sqs = pipeline.client("sqs")
    url = pipeline.outputs.values["publish_dlq_url"]

    def parked() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])

    messages = wait_for(parked, "the poison batch in the publish DLQ")
    info = json.loads(messages[0]["Body"])
    assert info["DDBStreamBatchInfo"]["streamArn"].startswith(
        f"arn:aws:dynamodb:{pipeline.outputs.values['region']}:"
    )
    assert f"table/{table}/stream/" in info["DDBStreamBatchInfo"]["streamArn"]
    assert info["DDBStreamBatchInfo"]["batchSize"] >= 1

    # Leave no unpublishable record behind: `dlq replay --queue publish` in a later test
    # replays the whole queue and would (rightly) fail on this one.
    def drained() -> bool:
        for parked_message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=parked_message["ReceiptHandle"])
        messages[:] = parked()
        return not messages

    wait_for(drained, "the publish DLQ empty again")


def test_events_replay_brings_back_exactly_the_selected_events(
    pipeline: Pipeline, inbox: Inbox, tmp_path
) -> None:
    from ops import cli

    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 1))

    # GitHub dedupes by content: bodies of their own, or these would be the earlier tests' events
    def body(fields: Mapping[str, object], kind: str) -> bytes:
        return json.dumps({**fields, "replay_test": kind}).encode()

    pushes = [_send(pipeline, "github", body=body(REPO, "push-1"), event_type="push")]
    pushes.append(_send(pipeline, "github", body=body(OTHER, "push-2"), event_type="push"))
    other = _send(pipeline, "github", body=body(REPO, "issues"), event_type="issues")
    inbox.wait({pushes[0]: {"ci", "everything"}, pushes[1]: {"everything"}, other: {"everything"}})
    inbox.got = {n: {} for n in inbox.queues}
    argv = ["events", "replay", "--provider", "github", "--since", since, "--event-type", "push"]
    argv += ["--rate", "0", "--checkpoint", str(tmp_path / "cp.json")]
    assert cli.main([*argv, "--dry-run"]) == 0
    assert not (tmp_path / "cp.json").exists()
    assert cli.main(argv) == 0
    inbox.wait({pushes[0]: {"ci", "everything"}, pushes[1]: {"everything"}, other: set()})
    for name in ("ci", "everything"):
        for events in inbox.got[name].values():
            assert all(e["detail"]["replayed"] is True for e in events)
    # Only to one subscriber's target: the everything queue alone.
    inbox.got = {n: {} for n in inbox.queues}
    assert cli.main([*argv, "--subscriber", "everything"]) == 0
    inbox.wait({pushes[0]: {"everything"}, pushes[1]: {"everything"}})


def test_an_interrupted_replay_resumes_without_skipping(
    pipeline: Pipeline, inbox: Inbox, tmp_path
) -> None:
    from ops import events_replay

    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 1))
    ids = [_send(pipeline, "acme") for _ in range(25)]
    inbox.wait({i: {"everything"} for i in ids})
    values = pipeline.outputs.values
    publisher = events_replay.Publisher(str(values["bus_name"]))
    sent: list[str] = []

    def send(entries: list[dict[str, Any]]) -> list[str | None]:
        sent.extend(json.loads(e["Detail"])["delivery_id"] for e in entries)
        return [None] * len(entries)

    query = {"provider": "acme", "since": since, "until": None, "event_type": None}
    checkpoint = events_replay.Checkpoint(tmp_path / "cp.json", {**query, "subscriber": None})
    common: dict[str, Any] = {
        "dynamodb": pipeline.client("dynamodb"),
        "table": str(values["table_name"]),
        "provider": "acme",
        "publisher": publisher,
        "send": send,
        "checkpoint": checkpoint,
        "since": since,
        "rate": 0,
    }
    first = events_replay.replay_events(**common, stop_after_pages=2)  # "crash" after 2 pages
    assert first.published == 20 and checkpoint.path.exists()
    second = events_replay.replay_events(**common)
    assert second.resumed is True
    assert sorted(set(sent)) == sorted(ids)
    assert len(sent) - len(set(sent)) <= 10  # at most one page again
    assert not checkpoint.path.exists()


def test_subscribers_list_and_tail(pipeline: Pipeline, inbox: Inbox, capsys) -> None:
    from ops import cli

    assert cli.main(["subscribers", "list"]) == 0
    listed = capsys.readouterr().out
    for name in ("billing", "ci", "everything", "central"):
        assert name in listed
    delivery_id = _send(pipeline, "stripe", event_type="invoice.paid")
    assert cli.main(["subscribers", "tail", "billing", "--seconds", "8"]) == 0
    assert delivery_id in capsys.readouterr().out
    inbox.wait({delivery_id: {"billing", "everything"}})  # tail left it for the consumer
