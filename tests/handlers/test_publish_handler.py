"""The publish function's entry point: a poisoned batch is counted, then fails the invocation."""

import json

import pytest

from tests.handlers.test_publish import item, stream_record
from webhooks.publish import PoisonedBatch


@pytest.fixture
def publish_env(monkeypatch: pytest.MonkeyPatch, aws: None):
    import publish

    monkeypatch.setenv("EVENT_BUS_NAME", "webhooks-test")
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("METRICS_NAMESPACE", "Webhooks")
    publish._runtime.cache_clear()
    yield publish
    publish._runtime.cache_clear()


def test_a_poisoned_batch_emits_publish_failed_and_fails_the_invocation(publish_env, capsys):
    """Per-record failures must reach the `publish-failures` alarm even though the invocation
    error is what makes the mapping bisect."""
    corrupt = item(delivery_id="bad")
    corrupt["body_sha256"] = {"S": "0" * 64}
    event = {"Records": [stream_record(item(), "1"), stream_record(corrupt, "2")]}
    with pytest.raises(PoisonedBatch):
        publish_env.handler(event, None)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    [emf] = [line for line in lines if "_aws" in line]
    assert emf["PublishFailed"] == 1 and emf["Published"] == 0
    logged = [line for line in lines if line.get("sequence_number") == "2"]
    assert logged and logged[0]["error"] == "PublishError"
