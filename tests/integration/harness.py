"""What the end-to-end tests see of a stack: its outputs, its clients, its local runtime.

With `WEBHOOKS_OUTPUTS` naming an outputs file (a real stack:
`pulumi stack output --json --show-secrets > outputs.json`), the tests use that stack and skip
what needs the local runtime's fault injection. Otherwise they start the local stack from the
program's `dev` config, with a short processor timeout (so a 6 x longer visibility timeout) and
few receives before the DLQ, so redelivery and dead-lettering happen within seconds.
"""

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from ops import dlq, events, outputs, send, signing

# Short waits: visibility timeout = 6 x 2 s; a poison message is dead-lettered after 3 receives
# (~36 s), and a batch slowed by a loaded machine past the timeout still gets two more tries.
# Four processor workers keep up with the burst.
LOCAL_OVERRIDES = {
    "processor.timeoutSeconds": 2,
    "processor.maximumConcurrency": 4,
    "queue.maxReceiveCount": 3,
    # Every kind of subscriber (tests/integration/test_subscribers.py).
    "subscribers": {
        "billing": {"providers": ["stripe"], "eventTypes": ["invoice.*"]},
        "ci": {
            "providers": ["github"],
            "eventTypes": ["push"],
            "payload": {"repository.full_name": ["acme/api"]},
        },
        "everything": {},
        "central": {"target": "arn:aws:events:eu-west-1:210987654321:event-bus/central"},
    },
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
        """A delivery with a fresh id (or as `kwargs` say), signed again on every send."""
        return _receiver_id(send.prepare(self.outputs, provider, **kwargs))

    def variant(self, delivery: send.Delivery, delivery_id: str, **kwargs: Any) -> send.Delivery:
        """The same provider and secret, another delivery (no Secrets Manager call)."""
        sample = signing.sample(delivery.scheme, delivery_id=delivery_id, **kwargs)
        return _receiver_id(replace(delivery, body=sample.body, delivery_id=delivery_id))

    def post(self, delivery: send.Delivery, attempts: int = 10) -> send.Response:
        """POST it; throttling (a real stage's rate limit) or a 5xx is retried with jittered
        backoff, as a real sender does."""
        for attempt in range(attempts):
            response = send.post(delivery.signed())
            if response.status != 429 and response.status < 500:
                break
            time.sleep(min(0.2 * 2**attempt, 5) * (0.5 + random.random()))
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


def _receiver_id(delivery: send.Delivery) -> send.Delivery:
    """The delivery with the id the ingest function will extract (docs: generic HMAC without a
    delivery id header uses the SHA-256 of the body)."""
    options = delivery.options or {}
    if delivery.scheme == "hmac" and not options.get("delivery_id_header"):
        return replace(delivery, delivery_id=hashlib.sha256(delivery.body).hexdigest())
    return delivery


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
