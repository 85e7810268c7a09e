"""The drill's subscribers: their config, an oracle of who must receive what, and their queues.

The oracle (`matching`) reads the config's short form (providers; eventTypes, exact or a prefix
ending in `*`; payload, dotted path -> allowed values) and each delivery as it was sent. It is
written from the contract (docs/configuration.md "Subscribers", docs/contract.md), not from the
program's pattern generator (hookgate/components/subscribers.py), so a wrong generated pattern or an
emulator that routes wrongly shows up as a difference. A subscriber with a `target` is not
delivered locally (the local stack lists it in its banner) and is left out.

`Inbox` receives from every managed subscriber queue while the drill runs, deleting what it
read; an arrival's time is the message's SQS `SentTimestamp` (when EventBridge put it in the
queue), or the receive time when that attribute is missing.
"""

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from bench.endtoend import stored_at_seconds
from bench.stats import percentile
from webhooks.publish import MAX_MATCH_PATH_BYTES, MAX_MATCH_VALUE_LENGTH

from .plan import Request

CONFIG: dict[str, dict[str, Any]] = {
    "github": {"providers": ["github"]},
    "invoices": {"eventTypes": ["invoice.*", "orders/paid"]},
    "gold": {"payload": {"drill.tier": ["gold"]}},
    "eu-orders": {
        "providers": ["github", "shopify"],
        "eventTypes": ["push", "orders/*"],
        "payload": {"drill.region": ["eu"], "drill.tier": ["gold", "silver"]},
    },
    "everything": {},
    "central": {"target": "arn:aws:events:eu-west-1:210987654321:event-bus/central"},
}
UNKNOWN_TYPE = "unknown"
"""The `detail-type` of an event stored without a type (docs/contract.md)."""
SENT_TIMESTAMP = "SentTimestamp"
COUNTS = (
    "expected",
    "received",
    "lost",
    "misrouted",
    "forged_or_malformed",
    "unexpected",
    "duplicates",
)

Arrivals = dict[str, dict[str, list[float]]]
"""Subscriber -> delivery key (`<provider>#<delivery id>`) -> arrival times (epoch seconds)."""


def managed(config: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The subscribers whose queue the stack creates (no `target`), sorted."""
    return sorted(name for name, subscriber in config.items() if "target" not in subscriber)


def matching(config: Mapping[str, Mapping[str, Any]], request: Request) -> set[str]:
    """The managed subscribers `request` must reach: none unless it is to be stored."""
    if not request.stores:
        return set()
    body = _json(request.body)
    event_type = request.event_type or UNKNOWN_TYPE
    return {
        name
        for name in managed(config)
        if _matches(config[name], request.provider, event_type, body)
    }


def _matches(subscriber: Mapping[str, Any], provider: str, event_type: str, body: Any) -> bool:
    if "providers" in subscriber and provider not in subscriber["providers"]:
        return False
    if "eventTypes" in subscriber and not any(
        _type_matches(wanted, event_type) for wanted in subscriber["eventTypes"]
    ):
        return False
    return all(
        _value_matches(_carried(_at(body, path)), allowed)
        for path, allowed in subscriber.get("payload", {}).items()
    )


def _type_matches(wanted: str, event_type: str) -> bool:
    if wanted.endswith("*"):
        return event_type.startswith(wanted[:-1])
    return event_type == wanted


def _at(body: Any, path: str) -> Any:
    """The value at a dotted path of a JSON body; None when the path leads nowhere."""
    value = body
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _carried(value: Any) -> list[Any]:
    """The values of a path an event can be matched on (docs/contract.md, "Published event",
    `match`): each distinct one, strings up to `MAX_MATCH_VALUE_LENGTH`, none at all when they
    take more than `MAX_MATCH_PATH_BYTES` (the drill's other paths are far below the total)."""
    elements = value if isinstance(value, list) else [value]
    if any(isinstance(element, dict | list) for element in elements):
        return []  # an object is no value, nor a list holding one
    kept: list[Any] = []
    for element in elements:
        if isinstance(element, str) and len(element) > MAX_MATCH_VALUE_LENGTH:
            continue
        if element is not None and element not in kept:
            kept.append(element)
    shown = kept if isinstance(value, list) else (kept or [None])[0]
    size = len(json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode())
    return kept if size <= MAX_MATCH_PATH_BYTES else []


def _value_matches(value: Any, allowed: Iterable[Any]) -> bool:
    """EventBridge's value match: the value, or any element of an array, is an allowed one."""
    return any(_same(v, a) for v in value for a in allowed)


def _same(value: Any, allowed: Any) -> bool:
    # In Python True == 1; to EventBridge a boolean is not a number.
    return value == allowed and isinstance(value, bool) == isinstance(allowed, bool)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def expected(config: Mapping[str, Mapping[str, Any]], requests: Iterable[Request]) -> Arrivals:
    """Subscriber -> the keys of the deliveries it must receive (as empty arrival lists)."""
    wanted: Arrivals = {name: {} for name in managed(config)}
    for request in requests:
        for name in matching(config, request):
            wanted[name][request.key] = []
    return wanted


class Inbox:
    """Receives from the managed subscriber queues in the background, one thread per queue."""

    def __init__(self, sqs: Any, queues: Mapping[str, str]) -> None:
        self.sqs = sqs
        self.queues = dict(queues)
        self.got: Arrivals = {name: {} for name in self.queues}
        self.clock: Counter[str] = Counter()
        self.last_arrival = time.time()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._poll, args=(name, url), daemon=True)
            for name, url in self.queues.items()
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def _poll(self, name: str, url: str) -> None:
        while not self._stop.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    MessageSystemAttributeNames=[SENT_TIMESTAMP],
                ).get("Messages", [])
                if messages:
                    self._record(name, messages, time.time())
                    self.sqs.delete_message_batch(
                        QueueUrl=url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(messages)
                        ],
                    )
            except Exception as error:  # an emulator hiccup: the messages come back, try again
                print(f"subscriber {name}: {type(error).__name__}: {error}", file=sys.stderr)
                self._stop.wait(1)

    def _record(self, name: str, messages: list[dict[str, Any]], received: float) -> None:
        with self._lock:
            for message in messages:
                sent = (message.get("Attributes") or {}).get(SENT_TIMESTAMP)
                self.clock[SENT_TIMESTAMP if sent else "receive time"] += 1
                arrival = int(sent) / 1000 if sent else received
                self.got[name].setdefault(delivery_key(message["Body"]), []).append(arrival)
            self.last_arrival = received

    def finish(self, wanted: Arrivals, settle: float, quiet: float, timeout: float) -> bool:
        """Stop receiving once every wanted delivery arrived and nothing came for `settle`
        seconds (late or misrouted copies), or nothing came for `quiet` seconds, or after
        `timeout`; True when every wanted one arrived."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                idle = time.time() - self.last_arrival
            if idle >= quiet or (self._complete(wanted) and idle >= settle):
                break
            time.sleep(0.5)
        self._stop.set()
        for thread in self._threads:
            thread.join()
        return self._complete(wanted)

    def _complete(self, wanted: Arrivals) -> bool:
        with self._lock:
            return all(key in self.got.get(name, {}) for name in wanted for key in wanted[name])


def delivery_key(body: str) -> str:
    """`<provider>#<delivery id>` of a subscriber message (EventBridge's envelope), or the
    start of the body when it is not one."""
    try:
        detail = json.loads(body)["detail"]
        return f"{detail['provider']}#{detail['delivery_id']}"
    except (ValueError, KeyError, TypeError):
        return "unreadable: " + body[:80]


def check(
    config: Mapping[str, Mapping[str, Any]],
    requests: Iterable[Request],
    stored_at: Mapping[str, str],
    got: Arrivals,
) -> dict[str, Any]:
    """What the subscribers received against the oracle: per subscriber and in total, with the
    stored -> arrival latency of each delivery's first copy (`stored_at`: key -> the item's
    `stored_at`)."""
    requests = list(requests)
    wanted = expected(config, requests)
    planned = {r.key: r for r in requests if r.kind != "duplicate"}  # each has its original
    per: dict[str, dict[str, int]] = {}
    latencies: list[float] = []
    by_kind: dict[str, Counter[str]] = {}
    for name in managed(config):
        want = wanted[name].keys()
        have = got.get(name, {})
        delivered = want & have.keys()
        per[name] = {
            "expected": len(want),
            "received": len(delivered),
            "lost": len(want - have.keys()),
            "misrouted": sum(k in planned and planned[k].stores for k in have.keys() - want),
            "forged_or_malformed": sum(k in planned and not planned[k].stores for k in have),
            "unexpected": sum(k not in planned for k in have),
            "duplicates": sum(len(copies) - 1 for copies in have.values()),
        }
        for key in want:
            counts = by_kind.setdefault(planned[key].kind, Counter())
            counts["expected"] += 1
            counts["received"] += key in delivered
        for key in delivered:
            if key in stored_at:
                latencies.append(min(have[key]) - stored_at_seconds(stored_at[key]))
    return {
        "subscriber_config": dict(config),
        "subscribers": per,
        "subscriber_totals": {field: sum(p[field] for p in per.values()) for field in COUNTS},
        "subscriber_most_copies": max(
            (len(copies) for have in got.values() for copies in have.values()), default=0
        ),
        "subscriber_by_kind": {kind: dict(counts) for kind, counts in sorted(by_kind.items())},
        "subscriber_latency_ms": _latency_ms(latencies),
    }


def _latency_ms(seconds: list[float]) -> dict[str, float] | None:
    if not seconds:
        return None
    return {
        "p50": percentile(seconds, 50) * 1000,
        "p99": percentile(seconds, 99) * 1000,
        "max": max(seconds) * 1000,
        "count": len(seconds),
    }
