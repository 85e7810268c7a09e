"""`python -m ops subscribers tail`: print what a subscriber's queue receives, leaving it there."""

import json
import sys
import time
from typing import Any

TAIL_HOLD_SECONDS = 60


def tail(sqs: Any, url: str, *, seconds: float | None = None, out: Any = None) -> int:
    """Print each event the queue receives once, leaving it for the consumer; returns the count.

    A printed message stays invisible while the tail runs (at most `TAIL_HOLD_SECONDS`, after
    which it is received and counted once more) and is made visible again when the tail stops,
    so the consumer still gets it; each tail receive counts towards the queue's
    maxReceiveCount, so tail a busy production queue briefly.
    """
    out = out or sys.stdout
    held: dict[str, str] = {}
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while deadline is None or time.monotonic() < deadline:
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                VisibilityTimeout=TAIL_HOLD_SECONDS,
            ).get("Messages", [])
            for message in messages:
                fresh = message["MessageId"] not in held
                held[message["MessageId"]] = message["ReceiptHandle"]
                if not fresh:
                    continue
                try:
                    text = json.dumps(json.loads(message["Body"]), sort_keys=True)
                except ValueError:
                    text = message["Body"]
                print(text, file=out, flush=True)
    finally:
        for handle in held.values():  # visible again: the consumer receives every event
            try:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
                )
            except Exception:  # noqa: S112 - already deleted or expired: nothing to give back
                continue
    return len(held)
