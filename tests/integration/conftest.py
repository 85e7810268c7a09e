"""The stack the end-to-end tests drive, found only through its outputs.

With `WEBHOOKS_OUTPUTS` naming an outputs file (a real stack:
`pulumi stack output --json --show-secrets > outputs.json`), the tests use that stack and skip
what needs the local runtime's fault injection. Otherwise they start the local stack from the
program's `dev` config, with a short processor timeout (so a 6 x longer visibility timeout) and
few receives before the DLQ, so redelivery and dead-lettering happen within seconds.
"""

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from ops import dlq, events, outputs, send, signing

LOCAL_OVERRIDES = {
    "processor.timeoutSeconds": 2,
    "processor.maximumConcurrency": 4,
    "queue.maxReceiveCount": 2,
}
SETTLE_SECONDS = 90  # deadline for eventual consistency: processing, redelivery, dead-lettering


@dataclass
class Pipeline:
    """A running stack as the tests see it: its outputs, its AWS clients, and the local runtime
    (None for a real stack)."""

    outputs: outputs.Outputs
    env: dict[str, str]
    local: Any = None

    @property
    def providers(self) -> dict[str, str]:
        return self.outputs.providers

    def client(self, service: str):
        return self.outputs.client(service)

    def delivery(self, provider: str, **kwargs: Any) -> send.Delivery:
        """A signed-on-send delivery with a fresh id (or as `kwargs` say)."""
        return send.prepare(self.outputs, provider, **kwargs)

    def variant(self, delivery: send.Delivery, delivery_id: str, **kwargs: Any) -> send.Delivery:
        """The same provider and secret, another delivery (no Secrets Manager call)."""
        sample = signing.sample(delivery.scheme, delivery_id=delivery_id, **kwargs)
        return replace(delivery, body=sample.body, delivery_id=delivery_id)

    def post(self, delivery: send.Delivery, attempts: int = 5) -> send.Response:
        """POST it; throttling or a 5xx is retried with backoff, as a real sender does."""
        for attempt in range(attempts):
            response = send.post(delivery.signed())
            if response.status != 429 and response.status < 500:
                break
            time.sleep(0.2 * 2**attempt)
        return response

    def stored(self, provider: str, delivery_id: str) -> dict | None:
        return events.get_event(
            self.client("dynamodb"), self.outputs.text("table_name"), provider, delivery_id
        )

    def original_bytes(self, item: dict) -> bytes:
        return events.body(item, self.client("s3"), self.outputs.text("archive_bucket"))

    def depth(self, name: str) -> dlq.Depth:
        return dlq.depth(self.client("sqs"), self.outputs.text(name))

    def drained(self) -> bool:
        return self.depth("queue_url").total == 0 and self.depth("dlq_url").total == 0

    def describe(self) -> str:
        """Queue depths and local runtime counts, for a failure message."""
        text = f"queue {self.depth('queue_url')}, dlq {self.depth('dlq_url')}"
        return text + (f", local {self.local.stats()}" if self.local else "")


def wait_for(
    condition: Callable[[], Any],
    what: str,
    timeout: float = SETTLE_SECONDS,
    state: Callable[[], str] | None = None,
    interval: float = 0.25,
) -> Any:
    """Poll until `condition()` is truthy and return it; fail naming `what` (and `state()`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}" + (f" ({state()})" if state else ""))
        time.sleep(interval)


@pytest.fixture(scope="session")
def _stack(tmp_path_factory):
    given = os.environ.get(outputs.ENV_VAR)
    if given:
        yield outputs.load(given).values, {outputs.ENV_VAR: given}, None
        return
    from local import LocalStack

    state_dir = tmp_path_factory.mktemp("local-stack")
    local = LocalStack.start(stack="dev", overrides=LOCAL_OVERRIDES, state_dir=state_dir)
    try:
        values = dict(local.outputs)
        values.setdefault("provider_options", _declared_provider_options(local))
        path = state_dir / "outputs-for-tests.json"
        path.write_text(json.dumps(values))
        yield values, {**local.client_env(), outputs.ENV_VAR: str(path)}, local
    finally:
        local.stop()


@pytest.fixture
def pipeline(_stack, monkeypatch) -> Pipeline:
    """The stack, with this test's environment pointing boto3 and `python -m ops` at it.

    Set per test (not for the session), so other test packages never see `AWS_ENDPOINT_URL`.
    """
    _, env, local = _stack
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Pipeline(outputs.load(env[outputs.ENV_VAR]), env, local)


@pytest.fixture
def local_only(pipeline) -> None:
    if pipeline.local is None:
        pytest.skip("needs the local runtime's fault injection (WEBHOOKS_OUTPUTS names a stack)")


def _declared_provider_options(local) -> dict[str, dict]:
    """Each provider's `PROVIDERS` options as the program declared them for the ingest function.

    Stands in for a `provider_options` stack output, which the program does not export (yet):
    the generic HMAC scheme cannot be signed without its header names.
    """
    for function in local.declaration["functions"].values():
        variables = (function.get("environment") or {}).get("variables") or {}
        if "PROVIDERS" in variables:
            declared = json.loads(variables["PROVIDERS"])
            return {
                name: {k: v for k, v in options.items() if k != "secret_arn"}
                for name, options in declared.items()
            }
    return {}
