"""Delivering one subscriber's queued events to its HTTPS destination (docs/contract.md,
"HTTP destinations"; docs/design.md, "HTTP destinations").

Each SQS record (an EventBridge event from the subscriber's queue) becomes one POST of the
sender's original bytes (read from the events table or the archive) or of the event JSON,
signed with Standard Webhooks. The outcome decides what happens to the message:

- 2xx: done (the mapping deletes it);
- 408, 429, 5xx, a timeout or a connection error: retried. The message is sent again to the
  queue carrying its attempt count and when it was first queued (`ATTEMPT_ATTRIBUTE`,
  `FIRST_QUEUED_ATTRIBUTE`), delayed by an exponential backoff with jitter over the attempts,
  at least the response's `Retry-After`; once that would pass `MAX_AGE_SECONDS` since the event
  was first queued, the failure is final;
- any other status (and a final failure): the message goes to the subscriber's DLQ with the last
  status and error as message attributes, and is deleted from the queue.

Two shared items in the destination's state table govern every concurrent invocation: the rate
limiter (`RateLimiter`: the requests of a batch claim consecutive start slots, 1/rate apart,
with one write, and each starts within `START_TOLERANCE_SECONDS` of its slot or not at all)
and the circuit breaker (`Breaker`: after `BREAKER_THRESHOLD` retryable failures in a row the
destination is paused for `BREAKER_PAUSE_SECONDS`, then one request probes it). A request put
off by either is no attempt.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import math
import random
import ssl
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from . import Record
from .destination_settings import DestinationSettings
from .observability import MAX_LOGGED_CHARS, log
from .schemes import standard
from .secrets import SecretsUnavailable, decode_secret_value
from .storage import conflict_key, content_key, item_key, original_bytes

HEADER_PROVIDER = "webhook-provider"
HEADER_DELIVERY_ID = "webhook-delivery-id"
HEADER_EVENT_TYPE = "webhook-event-type"
HEADER_ATTEMPT = "webhook-attempt"
USER_AGENT = "webhooks-gateway/1"
ATTEMPT_ATTRIBUTE = "DeliveryAttempts"
"""Message attribute of a re-sent message: the requests made for the event so far."""
FIRST_QUEUED_ATTRIBUTE = "FirstQueuedAt"
"""Message attribute of a re-sent message: epoch ms when the event first reached the queue."""
NOT_BEFORE_ATTRIBUTE = "NotBefore"
"""Message attribute of a re-sent message whose wait exceeds SQS's longest delay: epoch ms."""
MAX_DELAY_SECONDS = 900
"""SQS's longest `DelaySeconds`; a longer wait comes back early and is put off (`NOT_BEFORE`)."""
BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 3600
MAX_VISIBILITY_SECONDS = 43_200 - 900
"""The longest wait one ChangeMessageVisibility can set: SQS refuses a visibility beyond 12
hours counted from the receive, and the record was received up to a function timeout ago."""
MAX_SLOT_WAIT_SECONDS = 20
"""A request whose rate-limit slot would be further away claims none and goes back on the
queue until then."""
START_TOLERANCE_SECONDS = 0.1
"""A request starts within this long after its slot, or gives the slot up and claims another:
what bounds bursts at the destination (docs/contract.md, "HTTP destinations", the rate)."""
TRANSIT_ALLOWANCE_SECONDS = 0.1
"""How much longer one request may take than another from its start to the destination's
clock, in the rate the destination is promised (`most_arrivals`): the network's part, which no
sender controls."""
CONNECT_LEAD_SECONDS = 1.0
"""The connection (TCP and TLS) is opened this long before the slot, so the request itself is
written at the slot."""
MAX_LATE_STARTS = 3
"""Slots given up in a row (woken late each time) before the request is put back instead."""
BREAKER_THRESHOLD = 10
BREAKER_PAUSE_SECONDS = 5
"""The first pause once the breaker opens; each failed probe doubles it."""
BREAKER_LONGEST_PAUSE_SECONDS = 120
"""The longest pause: a destination down for long is probed at least this often."""
BREAKER_RETURN_SPREAD_SECONDS = 5
"""Messages put off by the open breaker come back spread over this long after it closes."""
SECRETS_REFRESH_SECONDS = 60
MAX_ERROR_CHARS = 256
DELIVERED, RETRY, FINAL, DEFERRED = "Delivered", "Retry", "Final", "Deferred"
DESTINATION_DOWN = frozenset({"http_5xx", "http_408", "http_429", "timeout", "connection"})
"""The failure classes the breaker counts: the destination is down or overloaded."""


class Undeliverable(Exception):
    """The event itself cannot be sent (unreadable record, stored body gone): final."""


class NoStart(Exception):
    """No request was made: no slot within reach, or woken too late for one slot after another.
    The message is put back for `wait` seconds; it was no attempt."""

    def __init__(self, reason: str, wait: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class Outcome(Record):
    """What one attempt came to: the action, its class, the status and the error."""

    __slots__ = ("action", "delay", "error", "failure_class", "status")

    def __init__(
        self,
        action: str,
        failure_class: str = "",
        status: int | None = None,
        error: str = "",
        delay: float = 0.0,
    ) -> None:
        self.action: Final = action
        self.failure_class: Final = failure_class
        """`http_4xx`, `http_5xx`, `http_429`, `http_408`, `timeout`, `connection`, ... or ``."""
        self.status: Final = status
        self.error: Final = error
        self.delay: Final = delay
        """Seconds until the next try (`Retry-After` at least), for `RETRY`/`DEFERRED`."""


def classify(status: int) -> tuple[str, str]:
    """(action, class) of an HTTP status: 2xx done; 408, 429 and 5xx retried; others final."""
    if 200 <= status < 300:
        return DELIVERED, ""
    if status in (408, 429) or 500 <= status < 600:
        return RETRY, f"http_{status}" if status in (408, 429) else "http_5xx"
    return FINAL, "http_4xx" if 400 <= status < 500 else f"http_{status // 100}xx"


def retry_after(value: str | None, now: float) -> float:
    """Seconds `Retry-After` asks for (delay-seconds or an HTTP date); 0 when absent or bad."""
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when.timestamp() - now)


def backoff(attempt: int, wanted: float, rng: Callable[[float, float], float]) -> float:
    """Exponential backoff with jitter over the attempts made: after attempt n, a draw between
    half and all of base x 2^(n-1) (at most the cap). Deferrals by the breaker or the rate limit
    are no attempts, so they do not lengthen it. Never shorter than what the destination asked
    for (`Retry-After`), never longer than one visibility change can wait."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** min(attempt - 1, 20))
    return min(MAX_VISIBILITY_SECONDS, max(wanted, rng(ceiling / 2, ceiling)))


def most_arrivals(rate: int, window: float) -> int:
    """The rate limit as the destination sees it: the most requests that reach it within any
    `window` seconds (docs/contract.md, "HTTP destinations"). Slots are 1/rate apart, a request
    starts within `START_TOLERANCE_SECONDS` of its slot, and its transit varies by at most
    `TRANSIT_ALLOWANCE_SECONDS`: so the arrivals of a window come from slots within
    window + tolerance + allowance, of which there are at most rate x that + 1."""
    span = window + START_TOLERANCE_SECONDS + TRANSIT_ALLOWANCE_SECONDS
    return math.floor(round(rate * span, 6)) + 1


def message_id(provider: str, delivery_id: str, body_sha256: str) -> str:
    """`webhook-id`: the same for every attempt, replay and republish of one stored event."""
    digest = hashlib.sha256(f"{provider}\n{delivery_id}\n{body_sha256}".encode()).hexdigest()
    return "msg_" + digest[:32]


class Request(Record):
    """One POST: where, what, and the headers besides the signature's."""

    __slots__ = ("body", "headers", "identifier")

    def __init__(self, identifier: str, body: bytes, headers: dict[str, str]) -> None:
        self.identifier: Final = identifier
        self.body: Final = body
        self.headers: Final = headers


class Admitted(Record):
    """A record the breaker let through to an attempt, waiting for its start slot."""

    __slots__ = ("attempt", "first_queued", "ids", "probe", "record", "request")

    def __init__(
        self,
        record: dict[str, Any],
        request: Request,
        attempt: int,
        first_queued: float,
        ids: dict[str, str],
        probe: bool,
    ) -> None:
        self.record: Final = record
        self.request: Final = request
        self.attempt: Final = attempt
        self.first_queued: Final = first_queued
        self.ids: Final = ids
        self.probe: Final = probe
        """Whether this request probes the breaker after a pause."""


_T = TypeVar("_T")
_R = TypeVar("_R")


Start = Callable[[], dict[str, str]]
"""Called once the connection is open, right before the request is written: waits for the
request's slot and returns the headers signed at that moment (or raises `NoStart`)."""


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    start: Start | None = None,
) -> tuple[int, str, str]:
    """(status, Retry-After, first bytes of the answer); raises OSError/TimeoutError, or what
    `start` raises (the connection is then closed without a request).

    `http.client` rather than urllib: no redirect is followed (a 3xx is the answer) and the
    connection is one request's, so a stuck destination holds nothing else. The connection is
    opened before `start`, so the request reaches the destination right after its slot.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.connect()
        if start is not None:
            headers = {**headers, **start()}
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(MAX_ERROR_CHARS)
        return (
            response.status,
            response.getheader("Retry-After") or "",
            answer.decode("utf-8", "replace"),
        )
    finally:
        connection.close()


class Keys:
    """The destination's signing keys from Secrets Manager, cached per container for a minute
    (a rotation is signed with within `SECRETS_REFRESH_SECONDS`)."""

    def __init__(self, client: Callable[[], Any], secret_arn: str) -> None:
        self._client = client
        self._secret_arn = secret_arn
        self._keys: tuple[bytes, ...] = ()
        self._due = 0.0

    def get(self, now: float) -> tuple[bytes, ...]:
        if self._keys and now < self._due:
            return self._keys
        try:
            answer = self._client().get_secret_value(SecretId=self._secret_arn)
        except Exception as error:
            raise SecretsUnavailable(
                f"fetching the secret failed: {type(error).__name__}"
            ) from None
        self._keys = decode_secret_value(standard.signing_key, answer.get("SecretString"))
        self._due = now + SECRETS_REFRESH_SECONDS
        return self._keys


def _conditional(error: Exception) -> bool:
    code: object = getattr(error, "response", {}).get("Error", {}).get("Code")
    return code == "ConditionalCheckFailedException"


def _micro(seconds: float) -> str:
    """A time or a length as the state table holds it: whole microseconds."""
    return f"{seconds:.6f}"


def _micro_up(seconds: float) -> float:
    """`seconds` rounded up to whole microseconds, so a batch's claim never moves `tat` by less
    than its slots take (the next claim's first slot is never nearer than 1/rate)."""
    return math.ceil(round(seconds * 1_000_000, 3)) / 1_000_000


class RateLimiter:
    """Start slots 1/rate apart, shared by every invocation of the destination (GCRA with a
    burst of one): the item `limit` holds `tat`, the next free start. A claim of n consecutive
    slots (a batch's) is one conditional write: `ADD n/rate` when `tat` is ahead of now (the
    destination is busy; the slots start at the old `tat`), `SET now + n/rate` when it is behind
    (idle; they start now). Which one is guessed from the last `tat` this container saw; a
    failed condition returns the item (`ALL_OLD`) and the other write (or a smaller claim)
    follows. No slot beyond `horizon` is claimed: only the ones that fit, so a request put back
    for want of one wastes none."""

    def __init__(
        self, table: Any, name: str, rate: int, horizon: float = MAX_SLOT_WAIT_SECONDS
    ) -> None:
        self._table = table
        self._name = name
        self.interval = 1.0 / rate
        self.horizon = horizon
        self._tat = 0.0
        """The last `tat` seen: ahead of now means the `ADD` is the write likely to hold."""

    def slot(self, now: float) -> float:
        """One start time claimed (now, or up to `horizon` later); raises `NoStart` when the
        next free one is further (nothing claimed)."""
        claimed = self.slots(now, 1)
        if not claimed:
            raise self.refusal(now)
        return claimed[0]

    def refusal(self, now: float) -> NoStart:
        """Why a request found no slot: the next free one is beyond the horizon; back then."""
        return NoStart("rate limit", self._tat - now)

    def slots(self, now: float, wanted: int) -> list[float]:
        """Up to `wanted` consecutive start times 1/rate apart, claimed with one write (two
        when the guess of busy or idle was wrong): as many as fit within `horizon`, none when
        the next free start is beyond it (then `refusal`). Raises `NoStart` when other claims
        kept winning the item."""
        key = {"pk": {"S": "limit"}, "sk": {"S": "-"}}
        now = float(_micro(now))
        for _ in range(3):
            seen = self._tat  # once: the requests of a batch re-claim from their own threads
            count = min(wanted, self._fitting(max(seen, now), now))
            if count <= 0:
                return []
            step = _micro_up(count * self.interval)
            try:
                if seen >= now:
                    # The last slot claimed must be within the horizon: so must the first slot
                    # be by (count - 1) slots.
                    last_start = now + self.horizon - (count - 1) * self.interval
                    answer = self._table.update_item(
                        TableName=self._name,
                        Key=key,
                        UpdateExpression="ADD tat :step",
                        ConditionExpression="tat >= :now AND tat <= :last_start",
                        ExpressionAttributeValues={
                            ":step": {"N": _micro(step)},
                            ":now": {"N": _micro(now)},
                            ":last_start": {"N": _micro(last_start)},
                        },
                        ReturnValues="UPDATED_NEW",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )
                    tat = float(answer["Attributes"]["tat"]["N"])
                    first = tat - step
                else:
                    self._table.update_item(
                        TableName=self._name,
                        Key=key,
                        UpdateExpression="SET tat = :next",
                        ConditionExpression="attribute_not_exists(tat) OR tat < :now",
                        ExpressionAttributeValues={
                            ":now": {"N": _micro(now)},
                            ":next": {"N": _micro(now + step)},
                        },
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )
                    tat, first = float(_micro(now + step)), now
                self._tat = tat
                return [first + i * self.interval for i in range(count)]
            except Exception as error:
                if not _conditional(error):
                    raise
                item = getattr(error, "response", {}).get("Item") or {}
                self._tat = float(item.get("tat", {}).get("N", "0"))
        raise NoStart("rate limit contended", self.interval)

    def _fitting(self, first: float, now: float) -> int:
        """How many slots from `first` on, 1/rate apart, start within the horizon."""
        room = now + self.horizon - first
        if room < 0:
            return 0
        return math.floor(round(room / self.interval, 6)) + 1


class Breaker:
    """Consecutive retryable failures of the destination; open (paused) until `open_until`.

    Once the pause is over, the first request to claim it (a conditional write) is the probe: it
    holds the breaker for `lease` seconds (its answer's time) while the others wait for its
    outcome: a success closes the breaker, a failure opens it again for twice the last pause (at
    most `BREAKER_LONGEST_PAUSE_SECONDS`), so a short outage ends in seconds and a long one is
    probed rarely. A probe whose container died is replaced when its lease ends."""

    def __init__(
        self, table: Any, name: str, pause: float = BREAKER_PAUSE_SECONDS, lease: float = 1.0
    ) -> None:
        self._table = table
        self._name = name
        self.pause = pause
        self.lease = lease
        self._key = {"pk": {"S": "breaker"}, "sk": {"S": "-"}}

    def state(self) -> tuple[int, float]:
        """(failures in a row, open until). Eventually consistent (half the read's price): a
        read a moment stale lets one request through as the breaker opens, or leaves a count
        the next success resets; the probe is elected by a conditional write regardless."""
        item = self._table.get_item(TableName=self._name, Key=self._key)
        item = item.get("Item") or {}
        return int(item.get("failures", {}).get("N", "0")), float(
            item.get("open_until", {}).get("N", "0")
        )

    def claim_probe(self, seen: float, now: float) -> bool:
        """Whether this request is the probe after the pause `seen` ended."""
        try:
            self._table.update_item(
                TableName=self._name,
                Key=self._key,
                UpdateExpression="SET open_until = :until",
                ConditionExpression="open_until = :seen",
                ExpressionAttributeValues={
                    ":seen": {"N": f"{seen:.3f}"},
                    ":until": {"N": f"{now + self.lease:.3f}"},
                },
            )
            return True
        except Exception as error:
            if _conditional(error):
                return False
            raise

    def succeeded(self) -> None:
        self._table.update_item(
            TableName=self._name,
            Key=self._key,
            UpdateExpression="SET failures = :zero, open_until = :zero REMOVE pause",
            ExpressionAttributeValues={":zero": {"N": "0"}},
        )

    def failed(self, now: float, probe: bool) -> bool:
        """Count a retryable failure; True when this one opened the breaker."""
        answer = self._table.update_item(
            TableName=self._name,
            Key=self._key,
            UpdateExpression="ADD failures :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        failures = int(answer["Attributes"]["failures"]["N"])
        if not probe and failures != BREAKER_THRESHOLD:
            return False
        pause = self.pause
        if probe:
            last = float(answer["Attributes"].get("pause", {}).get("N", self.pause))
            pause = min(BREAKER_LONGEST_PAUSE_SECONDS, 2 * last)
        self._table.update_item(
            TableName=self._name,
            Key=self._key,
            UpdateExpression="SET open_until = :until, pause = :pause",
            ExpressionAttributeValues={
                ":until": {"N": f"{now + pause:.3f}"},
                ":pause": {"N": f"{pause:.3f}"},
            },
        )
        return True


class Destination:
    """One destination's delivery of SQS records; clients are passed in (boto3 or fakes)."""

    def __init__(
        self,
        settings: DestinationSettings,
        *,
        sqs: Any,
        dynamodb: Any,
        s3: Callable[[], Any],
        secrets: Callable[[], Any],
        send: Callable[[str, bytes, dict[str, str], float, Start], tuple[int, str, str]] = post,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[float, float], float] = random.uniform,
        breaker_pause: float = BREAKER_PAUSE_SECONDS,
    ) -> None:
        self.settings = settings
        self._sqs = sqs
        self._dynamodb = dynamodb
        self._s3 = s3
        self._send = send
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._keys = Keys(secrets, settings.secret_arn)
        self.limiter = RateLimiter(dynamodb, settings.state_table, settings.rate_per_second)
        self.breaker = Breaker(
            dynamodb, settings.state_table, breaker_pause, lease=settings.timeout_seconds + 1.0
        )

    # --- the batch ---------------------------------------------------------------------------

    def handle(self, records: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
        """The mapping's answer: the records to deliver again (`ReportBatchItemFailures`).

        The records run side by side in three steps: each is read and admitted by the breaker
        (`_prepare`); the admitted ones claim their start slots together, one write for the
        batch (`RateLimiter.slots`: consecutive, 1/rate apart, in the records' order; those
        beyond the horizon get none and go back on the queue); each is then sent at its slot
        and its message settled (`_finish`)."""
        with ThreadPoolExecutor(max_workers=max(1, len(records))) as pool:

            def side_by_side(work: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
                """Each item in its own thread (a request's wait holds no other); the pool's
                threads serve both steps."""
                return list(pool.map(work, items) if len(items) > 1 else map(work, items))

            prepared = side_by_side(self._prepare, records)
            admitted = [p for p in prepared if isinstance(p, Admitted)]
            starts = self._claim(admitted)
            finished = iter(side_by_side(self._finish, list(zip(admitted, starts, strict=True))))
        done = [next(finished) if isinstance(p, Admitted) else p for p in prepared]
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]}
                for r, ok in zip(records, done, strict=True)
                if not ok
            ]
        }

    def _prepare(self, record: dict[str, Any]) -> Admitted | bool:
        """The record read, its request built and the breaker asked: `Admitted` to an attempt,
        or settled without one (True when the mapping may delete it: dead-lettered; False: put
        back)."""
        made = _attribute(record, ATTEMPT_ATTRIBUTE, 0)
        attempt = made + 1
        sent_ms = int(record.get("attributes", {}).get("SentTimestamp", "0"))
        first_queued = _attribute(record, FIRST_QUEUED_ATTRIBUTE, sent_ms) / 1000
        not_before = _attribute(record, NOT_BEFORE_ATTRIBUTE, 0) / 1000
        if not_before > self._clock():  # a retry waiting longer than SQS can delay a message
            return self._put_back(record, not_before - self._clock())
        try:
            event = json.loads(record["body"])
            detail = event["detail"]
            ids = {
                "provider": str(detail["provider"]),
                "delivery_id": str(detail["delivery_id"]),
                "event_type": str(detail.get("event_type", "")),
            }
        except (ValueError, KeyError, TypeError):
            return self._dead_letter(
                record, Outcome(FINAL, "unreadable", None, "not an event"), {}, made
            )
        try:
            request = self._request(record["body"], event, detail, ids, attempt)
        except Undeliverable as error:
            return self._dead_letter(
                record, Outcome(FINAL, "unreadable", None, str(error)), ids, made
            )
        except SecretsUnavailable as error:
            log(
                "ERROR",
                "destination secret unavailable",
                destination=self.settings.destination,
                reason=str(error),
                **ids,
            )
            return self._put_back(record, 60.0)
        except Exception as error:  # the table or archive unavailable: try again soon
            log(
                "ERROR",
                "stored event unreadable for now",
                destination=self.settings.destination,
                reason=type(error).__name__,
                **ids,
            )
            return self._put_back(record, 30.0)
        try:
            probe = self._admit(ids)
        except Exception as error:  # the state table unavailable: no request was judged
            return self._unavailable(record, error, ids)
        if isinstance(probe, Outcome):
            return self._settle(record, probe, ids, attempt, first_queued)
        return Admitted(record, request, attempt, first_queued, ids, probe)

    def _claim(self, admitted: Sequence[Admitted]) -> list[float | NoStart | Exception]:
        """The admitted records' start slots, claimed together (one write); a record without
        one gets why (`NoStart`: beyond the horizon or contended), or the state table's error."""
        if not admitted:
            return []
        now = self._clock()
        try:
            slots: list[float] = self.limiter.slots(now, len(admitted))
        except NoStart as refused:
            return [refused] * len(admitted)
        except Exception as error:  # the state table unavailable: no request was judged
            return [error] * len(admitted)
        refusal = self.limiter.refusal(now)
        return [*slots, *[refusal] * (len(admitted) - len(slots))]

    def _finish(self, claimed: tuple[Admitted, float | NoStart | Exception]) -> bool:
        """The admitted record sent at its slot (or put back without one), its message
        settled."""
        admitted, start = claimed
        record, ids = admitted.record, admitted.ids
        if isinstance(start, NoStart):
            outcome = self._deferred(start.wait, start.reason, ids, 1.0)
        elif isinstance(start, Exception):
            return self._unavailable(record, start, ids)
        else:
            try:
                outcome = self._attempt_at(
                    start,
                    admitted.request,
                    admitted.attempt,
                    admitted.first_queued,
                    ids,
                    admitted.probe,
                )
            except Exception as error:  # the state table unavailable: no request was judged
                return self._unavailable(record, error, ids)
        return self._settle(record, outcome, ids, admitted.attempt, admitted.first_queued)

    def _settle(
        self,
        record: dict[str, Any],
        outcome: Outcome,
        ids: dict[str, str],
        attempt: int,
        first_queued: float,
    ) -> bool:
        """What the outcome does to the message; True when the mapping may delete it (done,
        re-sent for a retry, or dead-lettered)."""
        if outcome.action == DELIVERED:
            return True
        if outcome.action == FINAL:
            return self._dead_letter(record, outcome, ids, attempt)
        if outcome.action == RETRY:
            return self._retry_later(record, attempt, first_queued, outcome.delay)
        return self._put_back(record, outcome.delay)

    def _unavailable(self, record: dict[str, Any], error: Exception, ids: dict[str, str]) -> bool:
        """The state table failed before a request was judged: back on the queue soon."""
        log(
            "ERROR",
            "rate limiter or breaker unavailable",
            destination=self.settings.destination,
            reason=type(error).__name__,
            **ids,
        )
        return self._put_back(record, 30.0)

    def _request(
        self,
        raw_event: str,
        event: dict[str, Any],
        detail: dict[str, Any],
        ids: dict[str, str],
        attempt: int,
    ) -> Request:
        identifier = message_id(
            ids["provider"], ids["delivery_id"], str(detail.get("body_sha256", ""))
        )
        if self.settings.body == "event":
            body, content_type = raw_event.encode(), "application/json"
        else:
            body, content_type = self._original(detail)
        headers = dict(self.settings.headers)
        headers.update(
            {
                "content-type": content_type,
                "user-agent": USER_AGENT,
                "webhook-id": identifier,
                HEADER_PROVIDER: ids["provider"],
                HEADER_DELIVERY_ID: ids["delivery_id"],
                HEADER_EVENT_TYPE: ids["event_type"],
                HEADER_ATTEMPT: str(attempt),
            }
        )
        # Fetched here so a missing secret puts the record back before any slot is taken.
        self._keys.get(self._clock())
        return Request(identifier, body, headers)

    def _original(self, detail: dict[str, Any]) -> tuple[bytes, str]:
        """The sender's bytes and content type, from the stored event (inline or archived)."""
        provider, delivery_id = str(detail["provider"]), str(detail["delivery_id"])
        digest, event_type = str(detail.get("body_sha256", "")), str(detail.get("event_type", ""))
        try:  # the keys it may be stored under (storage.event_key), then beside them (a conflict)
            candidates = [
                item_key(provider, delivery_id),
                content_key(provider, event_type, digest),
            ]
        except ValueError as error:  # a provider name no stored event can have
            raise Undeliverable(str(error)) from None
        candidates += [conflict_key(provider, key, digest) for key in candidates]
        for key in candidates:
            item = self._dynamodb.get_item(
                TableName=self.settings.events_table, Key={"pk": {"S": key}}
            ).get("Item")
            if item and item.get("body_sha256", {}).get("S") == digest:
                break
        else:
            raise Undeliverable("stored event not found (expired or never stored)")

        def read_archived(key: str) -> bytes:
            answer = self._s3().get_object(Bucket=self.settings.archive_bucket, Key=key)
            data: bytes = answer["Body"].read()
            return data

        try:
            raw = original_bytes(item, read_archived)
        except ValueError as error:
            raise Undeliverable(str(error)) from None
        try:
            headers = json.loads(item.get("headers", {}).get("S", "{}"))
        except ValueError:
            headers = {}
        content_type = headers.get("content-type") if isinstance(headers, dict) else None
        return raw, str(content_type or "application/octet-stream")

    # --- one attempt -------------------------------------------------------------------------

    def attempt(
        self, request: Request, attempt: int, first_queued: float, ids: dict[str, str]
    ) -> Outcome:
        """One request on its own (a batch of one): breaker, rate-limit slot, the POST, its
        outcome recorded. `first_queued`: when the event first reached the queue (`maxAgeHours`
        counts from it)."""
        probe = self._admit(ids)
        if isinstance(probe, Outcome):
            return probe
        try:
            slot = self.limiter.slot(self._clock())
        except NoStart as refused:
            return self._deferred(refused.wait, refused.reason, ids, 1.0)
        return self._attempt_at(slot, request, attempt, first_queued, ids, probe)

    def _admit(self, ids: dict[str, str]) -> bool | Outcome:
        """The breaker's word on a request: whether it is the probe (closed: False), or the
        deferral while the breaker is open or another request probes it."""
        now = self._clock()
        _, open_until = self.breaker.state()
        if not open_until:
            return False
        if open_until > now:
            spread = min(self.breaker.pause, BREAKER_RETURN_SPREAD_SECONDS)
            return self._deferred(open_until - now, "breaker open", ids, spread)
        if self.breaker.claim_probe(open_until, now):
            return True
        # back when the probe has answered: closed, or open again
        return self._deferred(self.breaker.lease, "breaker probing", ids, 1.0)

    def _attempt_at(
        self,
        slot: float,
        request: Request,
        attempt: int,
        first_queued: float,
        ids: dict[str, str],
        probe: bool,
    ) -> Outcome:
        """The POST started at `slot` (claimed), its outcome recorded (log, metrics, breaker).

        Woken later than `START_TOLERANCE_SECONDS` after its slot, the request does not start:
        the slot is given up (it stays unused: every other slot claimed, of this batch or
        another, is some other request's) and one fresh slot is claimed after all those claimed
        so far, so no request ever starts late into a slot that is another's."""
        lead = slot - CONNECT_LEAD_SECONDS - self._clock()
        if lead > 0:
            self._sleep(lead)
        started: list[float] = []

        def start() -> dict[str, str]:
            """Wait for the slot; woken later than the tolerance, give it up for a fresh one."""
            nonlocal slot
            for _ in range(MAX_LATE_STARTS):
                wait = slot - self._clock()
                if wait > 0:
                    self._sleep(wait)
                if self._clock() - slot <= START_TOLERANCE_SECONDS:
                    started.append(time.monotonic())
                    timestamp = str(int(self._clock()))
                    signature = standard.signature_header(
                        self._keys.get(self._clock()), request.identifier, timestamp, request.body
                    )
                    return {"webhook-timestamp": timestamp, "webhook-signature": signature}
                slot = self.limiter.slot(self._clock())
                if slot - self._clock() > CONNECT_LEAD_SECONDS:  # not holding the connection
                    raise NoStart("woken late for its slot", slot - self._clock())
            raise NoStart("woken late for its slot", 1.0)

        status: int | None = None
        wanted = 0.0
        try:
            status, retry_header, answer = self._send(
                self.settings.url,
                request.body,
                request.headers,
                float(self.settings.timeout_seconds),
                start,
            )
            action, failure_class = classify(status)
            error = "" if action == DELIVERED else answer[:MAX_ERROR_CHARS]
            wanted = retry_after(retry_header, self._clock())
        except NoStart as refused:
            return self._deferred(refused.wait, refused.reason, ids, 1.0)
        except TimeoutError as exc:
            action, failure_class, error = (
                RETRY,
                "timeout",
                str(exc)[:MAX_ERROR_CHARS] or "timed out",
            )
        except (OSError, http.client.HTTPException) as exc:
            action, failure_class = RETRY, "connection"
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        latency = (time.monotonic() - started[0]) * 1000 if started else 0.0
        delay = 0.0
        if action == RETRY:
            delay = backoff(attempt, wanted, self._rng)
            if self._clock() + delay > first_queued + self.settings.max_age_seconds:
                action, error = FINAL, f"maxAge reached: {error}"[:MAX_ERROR_CHARS]
        opened = False
        try:
            # Read again after the answer: failures counted by requests that ran meanwhile are
            # reset too, so a success breaks the run however the requests interleaved.
            if action == DELIVERED and (probe or self.breaker.state()[0]):
                self.breaker.succeeded()
            if failure_class in DESTINATION_DOWN:
                opened = self.breaker.failed(self._clock(), probe)
        except Exception as exc:  # the request was answered: its outcome stands regardless
            log(
                "WARNING",
                "breaker update failed",
                destination=self.settings.destination,
                reason=f"{type(exc).__name__}: {exc}"[:MAX_LOGGED_CHARS],
                **ids,
            )
        outcome = Outcome(action, failure_class, status, error, delay)
        self._record_attempt(outcome, attempt, latency, ids, request.identifier, opened)
        return outcome

    def _deferred(self, seconds: float, reason: str, ids: dict[str, str], spread: float) -> Outcome:
        """Put off without a request (no attempt), back after `seconds` plus a draw over
        `spread`, so the messages put off together do not all come back at once."""
        log(
            "INFO",
            "delivery deferred",
            destination=self.settings.destination,
            reason=reason,
            seconds=round(seconds, 3),
            **ids,
        )
        return Outcome(DEFERRED, "", None, reason, seconds + self._rng(0.0, spread))

    # --- what happens to the message --------------------------------------------------------

    def _retry_later(
        self, record: dict[str, Any], attempt: int, first_queued: float, seconds: float
    ) -> bool:
        """The message again on the queue, carrying the attempts made and when it was first
        queued, delayed by the backoff (a wait beyond SQS's 15 minutes is a `NotBefore` the
        next receive honours); the mapping deletes this copy. Should the send fail, the
        message is put back instead: its next try then repeats this attempt number."""
        attributes = {
            ATTEMPT_ATTRIBUTE: {"DataType": "Number", "StringValue": str(attempt)},
            FIRST_QUEUED_ATTRIBUTE: {
                "DataType": "Number",
                "StringValue": str(round(first_queued * 1000)),
            },
        }
        if seconds > MAX_DELAY_SECONDS:
            attributes[NOT_BEFORE_ATTRIBUTE] = {
                "DataType": "Number",
                "StringValue": str(round((self._clock() + seconds) * 1000)),
            }
        try:
            self._sqs.send_message(
                QueueUrl=self.settings.queue_url,
                MessageBody=record["body"],
                DelaySeconds=max(0, min(MAX_DELAY_SECONDS, round(seconds))),
                MessageAttributes=attributes,
            )
        except Exception as error:
            log(
                "WARNING",
                "re-send for a retry failed; the message is put back",
                destination=self.settings.destination,
                reason=type(error).__name__,
            )
            return self._put_back(record, seconds)
        return True

    def _put_back(self, record: dict[str, Any], seconds: float) -> bool:
        """Visible again in `seconds`: reported failed, so the mapping leaves it on the queue.
        Should the change fail, the queue's visibility timeout brings it back instead."""
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self.settings.queue_url,
                ReceiptHandle=record["receiptHandle"],
                VisibilityTimeout=max(0, min(MAX_VISIBILITY_SECONDS, round(seconds))),
            )
        except Exception as error:
            log(
                "WARNING",
                "visibility change failed; the queue's timeout applies",
                destination=self.settings.destination,
                reason=type(error).__name__,
            )
        return False

    def _dead_letter(
        self, record: dict[str, Any], outcome: Outcome, ids: dict[str, str], attempt: int
    ) -> bool:
        """The message, as it came, into the DLQ with why; the mapping then deletes it."""
        attributes = {
            "LastError": {
                "DataType": "String",
                "StringValue": outcome.error or outcome.failure_class or "-",
            },
            "FailureClass": {"DataType": "String", "StringValue": outcome.failure_class or "-"},
            "Attempts": {"DataType": "Number", "StringValue": str(attempt)},
            "Destination": {"DataType": "String", "StringValue": self.settings.destination},
        }
        if outcome.status is not None:
            attributes["LastStatus"] = {"DataType": "Number", "StringValue": str(outcome.status)}
        self._sqs.send_message(
            QueueUrl=self.settings.dlq_url, MessageBody=record["body"], MessageAttributes=attributes
        )
        log(
            "WARNING",
            "delivery failed for good, moved to the DLQ",
            destination=self.settings.destination,
            status=outcome.status,
            failure_class=outcome.failure_class,
            error=outcome.error[:MAX_LOGGED_CHARS],
            attempt=attempt,
            **ids,
        )
        return True

    def _record_attempt(
        self,
        outcome: Outcome,
        attempt: int,
        latency_ms: float,
        ids: dict[str, str],
        identifier: str,
        opened: bool,
    ) -> None:
        """One line per attempt: the log record, its EMF metrics, and the attempt log
        `ops subscribers deliveries` reads (CloudWatch Logs; the local stack's log file)."""
        s = self.settings
        now = self._clock()
        failed = outcome.action != DELIVERED
        dimensions = {"Environment": s.environment, "Destination": s.destination}
        values: dict[str, float] = {
            "DeliveryAttempts": 1,
            "DeliverySucceeded": 0 if failed else 1,
            "DeliveryRetried": 1 if outcome.action == RETRY else 0,
            "DeliveryFailed": 1 if outcome.action == FINAL else 0,
            "DeliveryLatency": round(latency_ms, 1),
            "BreakerOpened": 1 if opened else 0,
        }
        units = {"DeliveryLatency": "Milliseconds"}
        directives = [
            {
                "Namespace": s.metrics_namespace,
                "Dimensions": [list(dimensions)],
                "Metrics": [{"Name": n, "Unit": units.get(n, "Count")} for n in values],
            }
        ]
        line: dict[str, Any] = {
            "_aws": {"Timestamp": round(now * 1000), "CloudWatchMetrics": directives},
            "level": "WARNING" if failed else "INFO",
            "message": "delivery attempt",
            "timestamp": round(now * 1000),
            **dimensions,
            **values,
            "webhook_id": identifier,
            "attempt": attempt,
            "outcome": outcome.action,
            "status": outcome.status,
            "failure_class": outcome.failure_class,
            "error": outcome.error[:MAX_LOGGED_CHARS],
            **ids,
        }
        if failed:
            # Failures by class: a second directive over the same line, one more dimension.
            line["FailureClass"] = outcome.failure_class
            directives.append(
                {
                    "Namespace": s.metrics_namespace,
                    "Dimensions": [[*dimensions, "FailureClass"]],
                    "Metrics": [{"Name": "DeliveryFailures", "Unit": "Count"}],
                }
            )
            line["DeliveryFailures"] = 1
        print(json.dumps(line, separators=(",", ":"), default=str), flush=True)


def _attribute(record: dict[str, Any], name: str, default: int) -> int:
    """A whole-number message attribute of the record (Lambda's SQS shape), else `default`."""
    value = (record.get("messageAttributes") or {}).get(name) or {}
    try:
        return int(value.get("stringValue", default))
    except (TypeError, ValueError):
        return default
