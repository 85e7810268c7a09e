"""HTTP destinations end to end on the local stack: a signed delivery in, the sender's bytes out
over real HTTP to a local receiver, verified with the `standardwebhooks` library; a final 4xx to
the subscriber's DLQ and back with `ops dlq replay --queue`; `ops subscribers test|deliveries`."""

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from local.receiver import Answer, Receiver
from ops import outputs, subscribers_http
from ops.cli import main as ops_main
from tests.integration.harness import Pipeline, wait_for


@dataclass
class Destinations:
    pipeline: Pipeline
    orders: Receiver
    audit: Receiver
    secrets: dict[str, str]
    outputs_path: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Destinations]:
    from local import LocalStack

    orders, audit = Receiver(), Receiver()
    state_dir = tmp_path_factory.mktemp("local-http")
    overrides: dict[str, Any] = {
        "processor.timeoutSeconds": 2,
        "subscribers": {
            "orders": {
                "providers": ["stripe"],
                "http": {
                    "url": orders.url,
                    "rateLimitPerSecond": 5,
                    "timeoutSeconds": 2,
                    "headers": {"X-Team": "orders"},
                },
            },
            "audit": {"providers": ["github"], "http": {"url": audit.url, "body": "event"}},
        },
    }
    local = LocalStack.start(stack="dev", overrides=overrides, state_dir=state_dir)
    try:
        path = state_dir / "outputs-for-tests.json"
        path.write_text(json.dumps(local.outputs))
        env = {**local.client_env(), outputs.ENV_VAR: str(path)}
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        stack_outputs = outputs.load(str(path))
        client = stack_outputs.client("secretsmanager")
        secrets = {
            name: subscribers_http.rotate(
                client, subscribers_http.destination(stack_outputs, name)["secret_arn"]
            )
            for name in ("orders", "audit")
        }
        yield Destinations(Pipeline(stack_outputs, env, local), orders, audit, secrets, path)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        local.stop()
        orders.stop()
        audit.stop()


def test_the_senders_bytes_arrive_signed(stack: Destinations) -> None:
    pipeline = stack.pipeline
    delivery = pipeline.delivery("stripe")
    assert pipeline.post(delivery).status == 202
    request = wait_for(
        lambda: next((r for r in stack.orders.requests() if r.body == delivery.body), None),
        "the delivery at the orders receiver",
    )
    Webhook(stack.secrets["orders"]).verify(request.body, request.headers)
    assert request.headers["webhook-provider"] == "stripe"
    assert request.headers["x-team"] == "orders"  # the configured static header
    assert request.headers["webhook-delivery-id"] == delivery.delivery_id
    assert request.headers["content-type"].startswith("application/json")  # the sender's


def test_claim_checked_body_arrives_byte_exact(stack: Destinations) -> None:
    pipeline = stack.pipeline
    limit = int(pipeline.outputs.get("inline_body_limit"))  # type: ignore[call-overload]
    delivery = pipeline.delivery("stripe", size=limit + 50_000)
    assert pipeline.post(delivery).status == 202
    request = wait_for(
        lambda: next((r for r in stack.orders.requests() if r.body == delivery.body), None),
        "the archived body at the orders receiver",
    )
    Webhook(stack.secrets["orders"]).verify(request.body, request.headers)


def test_a_refused_event_is_parked_and_replayed(stack: Destinations) -> None:
    pipeline = stack.pipeline
    stack.audit.behave = lambda _r: Answer(410)
    delivery = pipeline.delivery("github")
    assert pipeline.post(delivery).status == 202

    wait_for(lambda: _depth(stack, "audit") == 1, "the refused event in the audit DLQ")
    stack.audit.behave = lambda _r: Answer(200)
    assert (
        ops_main(
            [
                "--outputs",
                str(stack.outputs_path),
                "dlq",
                "replay",
                "--queue",
                "audit",
                "--max",
                "10",
            ]
        )
        == 0
    )

    def delivered() -> Any:
        got = [
            r
            for r in stack.audit.requests()
            if json.loads(r.body)["detail"]["delivery_id"] == delivery.delivery_id
        ]
        return got if len(got) == 2 else None

    first, second = wait_for(delivered, "the replayed event at the audit receiver")
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    event = Webhook(stack.secrets["audit"]).verify(second.body, second.headers)
    assert event["detail"]["provider"] == "github"


def test_events_replay_to_the_subscriber_delivers_again(
    stack: Destinations, tmp_path: Path
) -> None:
    pipeline = stack.pipeline
    delivery = pipeline.delivery("stripe")
    assert pipeline.post(delivery).status == 202

    def copies() -> list[Any]:
        return [r for r in stack.orders.requests() if r.body == delivery.body]

    [first] = wait_for(copies, "the delivery at the orders receiver")
    stored = wait_for(lambda: pipeline.stored("stripe", delivery.delivery_id), "stored")
    assert (
        ops_main(
            [
                "--outputs",
                str(stack.outputs_path),
                "events",
                "replay",
                "--provider",
                "stripe",
                "--since",
                stored["received_at"]["S"],
                "--subscriber",
                "orders",
                "--checkpoint",
                str(tmp_path / "checkpoint.json"),
            ]
        )
        == 0
    )
    again = wait_for(lambda: copies()[1:], "the replayed event at the orders receiver")
    assert again[0].headers["webhook-id"] == first.headers["webhook-id"]  # one event, deduped
    Webhook(stack.secrets["orders"]).verify(again[0].body, again[0].headers)


def test_ops_subscribers_test_and_deliveries(
    stack: Destinations, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(stack.orders.requests())
    assert ops_main(["--outputs", str(stack.outputs_path), "subscribers", "test", "orders"]) == 0
    assert capsys.readouterr().out.startswith("204")
    [request] = stack.orders.requests()[before:]
    assert Webhook(stack.secrets["orders"]).verify(request.body, request.headers)["type"] == (
        "webhooks.test"
    )
    assert request.headers["x-team"] == "orders"  # sent as the deliver function sends
    # The 410 of the test before is in the attempt log.
    assert (
        ops_main(
            ["--outputs", str(stack.outputs_path), "subscribers", "deliveries", "audit", "--failed"]
        )
        == 0
    )
    assert "http_4xx" in capsys.readouterr().out
    # `--since` takes an instant, as everywhere in the CLI; a span such as `2h` is refused.
    deliveries = ["--outputs", str(stack.outputs_path), "subscribers", "deliveries", "audit"]
    assert ops_main([*deliveries, "--since", "2h"]) == 1
    assert "--since '2h' is not" in capsys.readouterr().err
    assert ops_main([*deliveries, "--since", "2026-01-01", "--failed"]) == 0
    assert "http_4xx" in capsys.readouterr().out
    # `subscribers list` says what an http subscriber is and where it delivers.
    listed = ["--outputs", str(stack.outputs_path), "subscribers", "list", "--json"]
    assert ops_main(listed) == 0
    rows = {r["name"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["orders"]["kind"] == "http"
    assert rows["orders"]["destination"].startswith("http://127.0.0.1:")


def _depth(stack: Destinations, name: str) -> int:
    sqs = stack.pipeline.client("sqs")
    url = stack.pipeline.outputs.mapping("subscriber_dlq_urls")[name]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])
