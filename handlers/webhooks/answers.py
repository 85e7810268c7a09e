"""Answers given at once to a verified request that is not an event (never stored).

Discord's PING is answered PONG; an SNS `SubscriptionConfirmation` is confirmed and answered 200.
A family module lists its answering senders in `ANSWERS` (scheme name → function); the registry
collects them (`schemes.answer_of`), and the receiver calls one after the signature is verified.
"""

from __future__ import annotations

from typing import Final

from . import Record


class Answer(Record):
    """The status, content type and body answered; the request is not queued."""

    __slots__ = ("body", "content_type", "status")

    def __init__(self, status: int, content_type: str, body: str) -> None:
        self.status: Final = status
        self.content_type: Final = content_type
        self.body: Final = body
