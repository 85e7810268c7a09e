"""Every configured provider through the whole pipeline: API → ingest → queue → process → table.

Runs against the local stack, or a real one when `WEBHOOKS_OUTPUTS` names its outputs file.
Each test covers all providers at once (sent together, then awaited together).
"""

import functools
import hashlib
import subprocess
import sys
import uuid

from ops import cli
from tests.integration.harness import wait_for
from webhooks.envelope import archive_key


def _run_id() -> str:
    return uuid.uuid4().hex[:12]


def test_signed_delivery_is_accepted_and_stored_with_its_original_bytes(pipeline) -> None:
    sent = {}
    for provider in pipeline.providers:
        delivery = pipeline.delivery(provider)
        response = pipeline.post(delivery)
        assert response.status == 202, (provider, response)
        assert response.json()["delivery_id"] == delivery.delivery_id
        sent[provider] = delivery

    for provider, delivery in sent.items():
        item = wait_for(
            functools.partial(pipeline.stored, provider, delivery.delivery_id),
            f"{provider} delivery {delivery.delivery_id} stored",
        )
        assert pipeline.original_bytes(item) == delivery.body
        assert item["event_type"]["S"] == delivery.event_type
        assert item["body_sha256"]["S"] == hashlib.sha256(delivery.body).hexdigest()
        assert "payload" in item and "payload_s3_key" not in item


def test_the_same_delivery_twice_is_stored_once(pipeline) -> None:
    first_stored = {}
    deliveries = {provider: pipeline.delivery(provider) for provider in pipeline.providers}
    for provider, delivery in deliveries.items():
        assert pipeline.post(delivery).status == 202, provider
    for provider, delivery in deliveries.items():
        item = wait_for(
            functools.partial(pipeline.stored, provider, delivery.delivery_id), f"{provider} stored"
        )
        first_stored[provider] = item["stored_at"]["S"]

    for provider, delivery in deliveries.items():  # the sender retries: same id, signed again
        assert pipeline.post(delivery).status == 202, provider
    wait_for(pipeline.drained, "queue and DLQ empty after the copies", state=pipeline.describe)

    for provider, delivery in deliveries.items():
        item = pipeline.stored(provider, delivery.delivery_id)
        assert item["stored_at"]["S"] == first_stored[provider], f"{provider} overwritten"
        listed = pipeline.client("dynamodb").query(
            TableName=pipeline.outputs.text("table_name"),
            IndexName="by_provider",
            KeyConditionExpression="provider = :p AND received_at >= :t",
            FilterExpression="delivery_id = :d",
            ExpressionAttributeValues={
                ":p": {"S": provider},
                ":t": {"S": item["received_at"]["S"]},
                ":d": {"S": delivery.delivery_id},
            },
        )
        assert listed["Count"] == 1, provider


def test_forged_delivery_is_rejected_and_stored_nowhere(pipeline) -> None:
    forged = {p: pipeline.delivery(p, forge=True) for p in pipeline.providers}
    for provider, delivery in forged.items():
        response = pipeline.post(delivery)
        assert response.status == 401, (provider, response)
        assert "delivery_id" not in response.json()

    wait_for(pipeline.drained, "queue and DLQ empty", state=pipeline.describe)
    s3 = pipeline.client("s3")
    for provider, delivery in forged.items():
        assert pipeline.stored(provider, delivery.delivery_id) is None, provider
        listed = s3.list_objects_v2(
            Bucket=pipeline.outputs.text("archive_bucket"),
            Prefix=archive_key(provider, delivery.delivery_id),
        )
        assert listed.get("KeyCount", 0) == 0, provider


def test_a_body_above_the_inline_limit_goes_through_the_bucket(pipeline) -> None:
    size = int(pipeline.outputs.get("inline_body_limit")) + 10_000
    sent = {}
    for provider in pipeline.providers:
        delivery = pipeline.delivery(provider, size=size)
        assert len(delivery.body) == size
        assert pipeline.post(delivery).status == 202, provider
        sent[provider] = delivery

    for provider, delivery in sent.items():
        item = wait_for(
            functools.partial(pipeline.stored, provider, delivery.delivery_id), f"{provider} stored"
        )
        digest = hashlib.sha256(delivery.body).hexdigest()
        assert item["payload_s3_key"]["S"] == archive_key(provider, digest)
        assert "payload" not in item
        assert pipeline.original_bytes(item) == delivery.body


def test_poison_reaches_the_dlq_after_max_receives_and_replay_brings_it_back(
    pipeline, local_only, capsys, tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing of the replay's lands in the cwd (checked below)
    marker = f"poison-{_run_id()}-"
    max_receives = int(pipeline.outputs.get("max_receive_count"))
    processor = pipeline.local.processor_pool()
    poisoned_before = processor.stats["poisoned"]
    pipeline.local.set_faults(poison_markers=[marker])
    try:
        sent = {}
        for n, provider in enumerate(pipeline.providers):
            template = pipeline.delivery(provider)
            delivery = pipeline.variant(template, f"{marker}{n}")
            assert pipeline.post(delivery).status == 202, provider
            sent[provider] = delivery

        wait_for(
            lambda: pipeline.depth("dlq_url").visible == len(sent),
            f"{len(sent)} poison messages in the DLQ",
        )
        assert pipeline.depth("queue_url").total == 0
        assert processor.stats["poisoned"] - poisoned_before == len(sent) * max_receives
        for provider, delivery in sent.items():
            assert pipeline.stored(provider, delivery.delivery_id) is None, provider
    finally:
        pipeline.local.clear_faults()  # the cause is fixed

    assert cli.main(["dlq", "replay"]) == 0
    assert f"moved {len(sent)} message(s)" in capsys.readouterr().out
    journals = pipeline.outputs.state_dir / "dlq-replay"  # ops keeps them beside the outputs
    assert journals.is_dir() and not list(journals.glob("*.journal"))  # used, nothing pending
    assert not list(tmp_path.iterdir())
    for provider, delivery in sent.items():
        item = wait_for(
            functools.partial(pipeline.stored, provider, delivery.delivery_id),
            f"replayed {provider} delivery stored",
        )
        assert pipeline.original_bytes(item) == delivery.body
    wait_for(pipeline.drained, "queue and DLQ empty after the replay", state=pipeline.describe)


def test_the_cli_sends_and_shows_a_delivery(pipeline) -> None:
    """`python -m ops` in its own process, configured by the environment only."""
    provider = sorted(pipeline.providers)[0]
    delivery_id = f"cli-{_run_id()}"
    sent = subprocess.run(  # noqa: S603 - our interpreter, our module
        [sys.executable, "-m", "ops", "send", provider, "--delivery-id", delivery_id],
        capture_output=True,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith(b"202 ")
    stored_id = sent.stderr.decode().rsplit("delivery id: ", 1)[1].strip()
    wait_for(lambda: pipeline.stored(provider, stored_id), "CLI delivery stored")

    shown = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "ops", "events", "show", provider, stored_id, "--body"],
        capture_output=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    item = pipeline.stored(provider, stored_id)
    assert shown.stdout == pipeline.original_bytes(item)

    forged = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "ops", "send", provider, "--forge"], capture_output=True, check=False
    )
    assert forged.returncode == 0 and forged.stdout.startswith(b"401 "), forged
