"""Queue messages as the ingest side builds them, for the process-side tests."""

import hashlib
import uuid
from typing import Any

from webhooks import envelope


def envelope_message(body: bytes, **fields: object) -> dict[str, Any]:
    """A v1 envelope (as ingest builds it) for `body`; fields override the defaults.

    The message is the JSON object that goes on the queue, hence `Any` values.
    """
    values: dict[str, Any] = {  # `envelope.build`'s keyword arguments
        "provider": "github",
        "delivery_id": str(uuid.uuid4()),
        "event_type": "push",
        "received_at": "2026-11-28T17:00:00.123Z",
        "source_ip": "192.0.2.1",
        "headers": {"x-github-event": "push", "content-type": "application/json"},
        "body": body,
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    values.update(fields)
    return envelope.build(**values)
