"""Running a plan against a local stack, then checking what was stored where.

Senders behave like real ones: a delivery answered 5xx, 429 or not answered at all is sent again
(re-signed) with backoff; any 2xx/4xx answer is final. Faults come only from the local runtime:
its fault file fails a share of `PutItem` calls and every poison write, and the processor's
workers are SIGKILLed once half of the requests are sent.
"""

import hashlib
import json
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from local import LocalStack
from ops import dlq_replay, events, send
from ops.errors import OpsError

from .plan import POISON_MARKER, Request, headers

MAX_ATTEMPTS = 8


@dataclass
class Sent:
    """The final answer to one request and how many attempts it took."""

    request: Request
    status: int
    attempts: int
    reason: str = ""


@dataclass
class Drill:
    """A running drill: the stack, its config as the drill needs it, and what happened."""

    stack: LocalStack
    sent: list[Sent] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def note(self, text: str) -> None:
        """Record a step of the timeline, and show it while the drill runs."""
        self.events.append(f"{time.time() - self.started:7.1f}s {text}")
        print(self.events[-1], file=sys.stderr, flush=True)

    # --- sending ------------------------------------------------------------------------------

    def send_all(self, requests: list[Request], concurrency: int, kill_after: int) -> None:
        """Send every request concurrently; kill the processor once `kill_after` are answered."""
        urls = self.stack.outputs["webhook_urls"]
        secrets = self.stack.dev_secrets
        options = provider_options(self.stack)
        answered = 0
        lock = threading.Lock()
        killed = threading.Event()

        def one(request: Request) -> Sent:
            nonlocal answered
            result = _send(urls[request.provider], request, secrets[request.provider], options)
            with lock:
                answered += 1
                kill = answered >= kill_after and not killed.is_set()
                if kill:
                    killed.set()
            if kill:
                workers = self.stack.kill_processor(down_for=2.0)
                self.note(f"killed {workers} processor worker(s) after {kill_after} answers")
            return result

        self.note(f"sending {len(requests)} requests, {concurrency} at a time")
        with ThreadPoolExecutor(concurrency) as pool:
            self.sent = list(pool.map(one, requests))
        self.note("all requests answered")

    # --- waiting ------------------------------------------------------------------------------

    def depth(self, url_output: str) -> int:
        """Messages in the queue an output names: visible, in flight and delayed."""
        return self.depth_of(self.stack.outputs[url_output])

    def depth_of(self, url: str) -> int:
        """Messages in a queue: visible, in flight and delayed."""
        attributes = self.stack.client("sqs").get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(v) for v in attributes.values())

    def wait_drained(self, timeout: float) -> bool:
        """Until the queue holds nothing (three looks in a row), or `timeout` seconds."""
        deadline = time.time() + timeout
        empty_looks = 0
        while time.time() < deadline:
            empty_looks = empty_looks + 1 if self.depth("queue_url") == 0 else 0
            if empty_looks >= 3:
                return True
            time.sleep(1.0)
        return False

    # --- replay -------------------------------------------------------------------------------

    def replay_dlq(self, rounds: int, drain_timeout: float) -> list[dict[str, int]]:
        """Move the DLQ back with the operator CLI's replay until it stays empty."""
        sqs = self.stack.client("sqs")
        journal_path = self.stack.state_dir / "drill-replay.journal"
        results = []
        for _ in range(rounds):
            if self.depth("dlq_url") == 0:
                break
            with dlq_replay.Journal(journal_path) as journal:
                try:
                    moved = dlq_replay.move_messages(
                        sqs,
                        dlq_url=self.stack.outputs["dlq_url"],
                        queue_url=self.stack.outputs["queue_url"],
                        journal=journal,
                    )
                except OpsError as error:
                    self.note(f"replay stopped: {error}")
                    continue
            results.append(
                {
                    "moved": moved.moved,
                    "cleaned": moved.cleaned,
                    "came_back": moved.came_back,
                    "still_pending": moved.still_pending,
                }
            )
            self.note(f"replay round {len(results)}: {results[-1]}")
            self.wait_drained(drain_timeout)
        return results


def provider_options(stack) -> dict[str, dict]:
    """Provider -> its `PROVIDERS` options, from the ingest function the program declared."""
    for function in stack.declaration["functions"].values():
        variables = (function.get("environment") or {}).get("variables") or {}
        if "PROVIDERS" in variables:
            return json.loads(variables["PROVIDERS"])
    raise RuntimeError("no function declares PROVIDERS")


def _send(url: str, request: Request, secret: str, options: dict[str, dict]) -> Sent:
    reason = ""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        signed = headers(request, secret, options.get(request.provider))
        try:
            answer = send.post((url, request.body, signed))
        except OpsError as error:
            reason = str(error)
        else:
            if answer.status < 500 and answer.status != 429:
                return Sent(request, answer.status, attempt, answer.json().get("error", ""))
            reason = f"{answer.status} {answer.text[:80]}"
        time.sleep(min(0.25 * 2**attempt, 8.0))
    return Sent(request, 0, MAX_ATTEMPTS, reason)


def stored(stack) -> dict[str, dict]:
    """Every event by its delivery key (`<provider>#<delivery id>` -> item), key attributes,
    body fields and `stored_at` only. An event deduplicated by content is listed under each
    delivery id it names (`delivery_ids`), not under its content key; a conflict under its own
    key."""
    table = stack.client("dynamodb")
    kwargs = {
        "TableName": stack.outputs["table_name"],
        "ProjectionExpression": "pk, provider, delivery_ids, body_sha256, body_size, "
        "payload_s3_key, stored_at",
    }
    items: dict[str, dict] = {}
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            if "body_sha256" not in item:
                continue
            ids = item.get("delivery_ids", {}).get("SS")
            keys = [f"{item['provider']['S']}#{i}" for i in ids] if ids else [item["pk"]["S"]]
            for key in keys:
                items.setdefault(key, item)
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _get_item(stack, key: str) -> bool:
    """Whether an event is stored for a delivery key, by id or by content (`ops events`)."""
    provider, _, delivery_id = key.partition("#")
    table = stack.outputs["table_name"]
    return events.get_event(stack.client("dynamodb"), table, provider, delivery_id) is not None


def archived_keys(stack) -> set[str]:
    s3 = stack.client("s3")
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=stack.outputs["archive_bucket"]
    ):
        keys.update(entry["Key"] for entry in page.get("Contents", ()))
    return keys


def processor_counts(stack) -> Counter:
    """Sums of the processor's `Stored`, `Duplicate` and `Failed` metric lines (its EMF logs)."""
    return metric_counts(stack, "*process*.log", ("Stored", "Duplicate", "Failed"))


def publisher_counts(stack) -> Counter:
    """Sums of the publish function's `Published` and `PublishFailed` metric lines: a record
    whose PutEvents entry failed (an injected failure) counts once per failed attempt."""
    return metric_counts(stack, "*publish*.log", ("Published", "PublishFailed"))


def metric_counts(stack, log_glob: str, names: tuple[str, ...]) -> Counter:
    """Sums of the named metrics in the EMF lines of the functions' logs matching `log_glob`."""
    totals: Counter = Counter()
    for path in (stack.state_dir / "logs").glob(log_glob):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith('{"_aws"'):
                record = json.loads(line)
                for name in names:
                    totals[name] += int(record.get(name, 0))
    return totals


def check(stack, sent: list[Sent], items: dict[str, dict]) -> dict[str, object]:
    """Compare the table (`items`, from `stored`) and the archive with the plan; the verdict
    and every count."""
    archive = archived_keys(stack)
    s3 = stack.client("s3")
    bucket = stack.outputs["archive_bucket"]
    must_store = {s.request.key: s.request for s in sent if s.request.stores}
    must_not = {s.request.key for s in sent if not s.request.stores}

    wrong_status = [s for s in sent if s.status != s.request.expected_status]
    missing = sorted(k for k in must_store if k not in items)
    lost = [k for k in missing if not _get_item(stack, k)]  # a scan page could miss an item
    corrupted = []
    for key, request in must_store.items():
        item = items.get(key)
        if item is None:
            continue
        digest = hashlib.sha256(request.body).hexdigest()
        if item["body_sha256"]["S"] != digest:
            corrupted.append(key)
        elif "payload_s3_key" in item:
            data = s3.get_object(Bucket=bucket, Key=item["payload_s3_key"]["S"])["Body"].read()
            if hashlib.sha256(data).hexdigest() != digest:
                corrupted.append(key)
    stored_wrongly = sorted(k for k in must_not if k in items)
    unexpected = sorted(k for k in items if k not in must_store and k not in must_not)
    large = [r for r in must_store.values() if r.kind == "large"]
    rejected = Counter(
        f"{s.status} {s.reason}"
        for s in sent
        if s.status != 202 and s.request.kind in ("forged", "malformed")
    )
    attempts = Counter(s.request.kind for s in sent for _ in range(s.attempts - 1))
    return {
        "requests": Counter(s.request.kind for s in sent),
        "accepted": sum(s.status == 202 for s in sent),
        "duplicates_accepted": sum(s.status == 202 and s.request.kind == "duplicate" for s in sent),
        "rejected_by_reason": dict(rejected),
        "unanswered": sum(s.status == 0 for s in sent),
        "sender_retries": dict(attempts),
        "wrong_status": [
            f"{s.request.kind} {s.request.provider} expected {s.request.expected_status} "
            f"got {s.status} {s.reason}"
            for s in wrong_status[:10]
        ],
        "wrong_status_count": len(wrong_status),
        "valid_unique": len(must_store),
        "stored": sum(k in items for k in must_store),
        "items_in_table": len(items),
        "lost": len(lost),
        "lost_examples": lost[:10],
        "missed_by_scan_only": len(missing) - len(lost),
        "corrupted": len(corrupted),
        "forged_or_malformed_stored": len(stored_wrongly),
        "unexpected_items": len(unexpected),
        "large_archived": sum("payload_s3_key" in items.get(r.key, {}) for r in large),
        "large_inline": sum(r.key in items and "payload_s3_key" not in items[r.key] for r in large),
        "archive_objects": len(archive),
        "poison_stored": sum(POISON_MARKER in k and k in items for k in must_store),
    }
