"""The drill's HTTP destination: a local receiver that fails, stalls and goes down, and the
check that every event it matches arrived anyway, signed and byte-exact, within its rate.

The receiver answers 503 to `FAILURE_SHARE` of requests and stalls past the deliverer's timeout
on `TIMEOUT_SHARE` (seeded, so a run repeats); `down_for` closes its port for a minute while the
drill sends. Every request is checked as a service would check it: the Standard Webhooks
signature with the `standardwebhooks` library, and the body against the stored event's
`body_sha256`. Its rate is measured at the receiver, as arrivals in any window of 1 s and of
10 s, each judged against the limit as the destination is promised it
(`webhooks.destination.most_arrivals`, docs/contract.md "HTTP destinations").
"""

import hashlib
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from local.receiver import Answer, Received, Receiver
from webhooks.destination import most_arrivals

from . import subscribers
from .plan import Request

SUBSCRIBER = "outbound"
FILTER: dict[str, Any] = {"providers": ["stripe", "github"]}
RATE_PER_SECOND = 10
"""Low enough that the deliveries held back by the outage and the breaker keep the limiter
busy for a while after it (at 25/s, with this plan's share of events, they never did)."""
TIMEOUT_SECONDS = 1
FAILURE_SHARE = 0.20
TIMEOUT_SHARE = 0.05
DOWN_SECONDS = 60.0
DOWN_AFTER_SECONDS = 15.0


def config(url: str) -> dict[str, Any]:
    """The subscriber's config: the filter and its `http` section."""
    return {
        **FILTER,
        "http": {
            "url": url,
            "rateLimitPerSecond": RATE_PER_SECOND,
            "timeoutSeconds": TIMEOUT_SECONDS,
            "maxAgeHours": 1,
        },
    }


@dataclass(frozen=True)
class Attempt:
    """One request as the destination saw it and what it answered."""

    key: str
    """`<provider>#<delivery id>` from the request's headers."""
    answer: str
    """`ok`, `failed` (503) or `stalled` (past the timeout)."""
    verified: bool
    body_sha256: str
    webhook_id: str


class FlakyDestination:
    """The receiver, its scripted faults, and every attempt it saw."""

    def __init__(
        self, seed: int, failure_share: float = FAILURE_SHARE, timeout_share: float = TIMEOUT_SHARE
    ) -> None:
        self._random = random.Random(seed)
        self.failure_share = failure_share
        self.timeout_share = timeout_share
        self._lock = threading.Lock()
        self.secret = ""
        self.attempts: list[Attempt] = []
        self.down: list[tuple[float, float]] = []
        self.receiver = Receiver(self._behave)

    @property
    def url(self) -> str:
        return self.receiver.url

    def _behave(self, request: Received) -> Answer:
        with self._lock:
            draw = self._random.random()
        if draw < self.timeout_share:
            answer, reply = "stalled", Answer(204, stall_seconds=TIMEOUT_SECONDS + 0.5)
        elif draw < self.timeout_share + self.failure_share:
            answer, reply = "failed", Answer(503)
        else:
            answer, reply = "ok", Answer(204)
        attempt = Attempt(
            key=f"{request.headers.get('webhook-provider')}#"
            f"{request.headers.get('webhook-delivery-id')}",
            answer=answer,
            verified=self._verified(request),
            body_sha256=hashlib.sha256(request.body).hexdigest(),
            webhook_id=request.headers.get("webhook-id", ""),
        )
        with self._lock:
            self.attempts.append(attempt)
        return reply

    def _verified(self, request: Received) -> bool:
        from standardwebhooks import Webhook  # a dev dependency: the drill runs in the dev env

        try:
            Webhook(self.secret).verify(request.body, request.headers, json_parse=False)
        except Exception:
            return False
        return True

    def down_for(self, after: float, seconds: float) -> threading.Thread:
        """Close the port `after` s from now for `seconds` (connection errors meanwhile)."""

        def outage() -> None:
            time.sleep(after)
            self.receiver.stop()
            started = time.time()
            time.sleep(seconds)
            self.receiver.start()
            self.down.append((started, time.time()))

        thread = threading.Thread(target=outage, name="destination-outage", daemon=True)
        thread.start()
        return thread

    def delivered(self) -> set[str]:
        with self._lock:
            return {a.key for a in self.attempts if a.answer == "ok"}

    def stop(self) -> None:
        self.receiver.stop()


def expected(requests: list[Request]) -> set[str]:
    """The delivery keys the destination must receive (the drill's oracle for its filter)."""
    return {r.key for r in requests if SUBSCRIBER in subscribers.matching({SUBSCRIBER: FILTER}, r)}


def wait(destination: FlakyDestination, wanted: set[str], timeout: float) -> bool:
    """Until every wanted key was answered 2xx once, or `timeout` s passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if wanted <= destination.delivered():
            return True
        time.sleep(1)
    return wanted <= destination.delivered()


def check(
    destination: FlakyDestination, wanted: set[str], body_sha256: dict[str, str]
) -> dict[str, Any]:
    """What the destination got against what it had to: lost, duplicates, faults, rate."""
    attempts = list(destination.attempts)
    answers = Counter(a.answer for a in attempts)
    ok = Counter(a.key for a in attempts if a.answer == "ok")
    # A stalled request reached the service whole (it answers after the deliverer gave up):
    # the retry that follows is a copy the service receives again.
    received = Counter(a.key for a in attempts if a.answer in ("ok", "stalled"))
    return {
        "subscriber": SUBSCRIBER,
        "filter": FILTER,
        "expected": len(wanted),
        "delivered": len(wanted & ok.keys()),
        "lost": len(wanted - ok.keys()),
        "unexpected": len(ok.keys() - wanted),
        "duplicates": sum(n - 1 for n in ok.values()),
        "copies_received": sum(n - 1 for n in received.values()),
        "attempts": len(attempts),
        "answers": dict(answers),
        "unverified": sum(not a.verified for a in attempts),
        "not_byte_exact": sum(
            a.key in body_sha256 and a.body_sha256 != body_sha256[a.key] for a in attempts
        ),
        "rate_limit_per_second": RATE_PER_SECOND,
        "most_in_any_second": destination.receiver.most_in_any_second(),
        "most_in_any_10_seconds": destination.receiver.most_in_any(10.0),
        "allowed_in_any_second": most_arrivals(RATE_PER_SECOND, 1.0),
        "allowed_in_any_10_seconds": most_arrivals(RATE_PER_SECOND, 10.0),
        "down_seconds": [round(end - start, 1) for start, end in destination.down],
        "injected": {
            "failure_share": destination.failure_share,
            "timeout_share": destination.timeout_share,
        },
    }


def verdict(outcome: dict[str, Any]) -> dict[str, bool]:
    """The HTTP destination's pass conditions."""
    return {
        "every event matching the HTTP destination delivered at least once": (
            outcome["lost"] == 0 and outcome["expected"] > 0
        ),
        "every HTTP request signed (standardwebhooks verifies it) and byte-exact": (
            outcome["unverified"] == 0 and outcome["not_byte_exact"] == 0
        ),
        # The limit as the destination is promised it (`most_arrivals`), in both windows.
        "the HTTP destination's rate limit held over every 1 s and 10 s at the receiver": (
            outcome["most_in_any_second"] <= outcome["allowed_in_any_second"]
            and outcome["most_in_any_10_seconds"] <= outcome["allowed_in_any_10_seconds"]
        ),
        "the HTTP destination's planned outage happened during the run": (
            not outcome["down_planned_seconds"] or bool(outcome["down_seconds"])
        ),
        "the HTTP destination's DLQ is empty at the end": outcome["dlq"] == 0,
    }
