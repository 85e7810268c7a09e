"""HTTP destinations in `make bench`: what delivering an event costs per million next to
EventBridge API destinations, and the local stack's stored -> delivered latency.

Cost: AWS list prices (`prices.json`) applied to the AWS calls one attempt makes
(`hookgate/handlers/webhooks/destination.py`: the breaker read before it and after a success,
the rate-limit slots (one write for a batch's), the stored event's read, the attempt's log line,
a re-send and a breaker count per failure, an S3 read for a claim-checked body; the AWS calls
are counted here, not assumed), the deliver function's CPU per attempt measured here in full
batches (its threads included) with the AWS clients and the destination answered in memory,
and stated assumptions for what cannot be measured without AWS (the destination's answer
time, in-region call latency). Attempts per delivered event at failure rate f: 1 / (1 - f),
each failure retried. The publishing step
(stream, publish function, the bus, the subscriber queue) is the same for every subscriber and
priced in `cost.publishing_step`; API destinations need the event on a bus too.

Latency: EMULATOR FIGURES (moto, local worker processes, a local HTTP receiver on this machine).

`python -m bench.delivery` runs this section alone and writes `bench/results/delivery.*`;
`make bench` runs it among the others (`bench/results/latest.*`).
"""

import argparse
import contextlib
import hashlib
import io
import json
import math
import os
import sys
import time
import uuid
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops import send, signing, subscribers_http
from webhooks.destination import Destination
from webhooks.destination_settings import DestinationSettings

from .cost import GIB, MILLION, lambda_billed_ms, load_prices, sqs_requests
from .endtoend import stored_items
from .payloads import json_body
from .report import http_delivery
from .stats import percentile
from .timing import per_call_ns

SIZES = {"1 KiB": 1024, "100 KiB (claim-checked)": 100 * 1024}
FAILURE_RATES = (0.0, 0.05, 0.20)
INLINE_BODY_LIMIT = 32 * 1024
READ_UNIT_BYTES = 4096
PROVIDER = "github"
SUBSCRIBER = "bench-http"
STATE_DIR = Path(__file__).resolve().parent.parent / ".local" / "bench-http"
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True, slots=True)
class Assumptions:
    memory_mb: int = 256
    batch_size: int = 10  # full batches: a destination with a backlog or steady traffic
    full_vcpu_memory_mb: int = 1769
    destination_ms: float = 100.0  # assumed: the service's answer time
    dynamodb_ms: float = 5.0  # assumed in-region GetItem/UpdateItem/PutItem round trip
    s3_get_ms: float = 20.0


class _Table:
    """The events table and the state table in memory: what one attempt reads and writes,
    counted (`calls`: operation -> count)."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = item
        self.calls: Counter[str] = Counter()

    def get_item(self, TableName: str, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.calls[f"get_item {TableName}"] += 1
        return {"Item": self.item} if TableName == "events" else {}

    def update_item(self, **request: Any) -> dict[str, Any]:
        self.calls["update_item"] += 1
        # Slots from now (the limiter's next start: due, as on a destination keeping up).
        values = request.get("ExpressionAttributeValues", {})
        tat = time.time() + float(values.get(":step", {}).get("N", "0"))
        return {"Attributes": {"tat": {"N": f"{tat:.6f}"}, "failures": {"N": "1"}}}

    def put_item(self, **_: Any) -> dict[str, Any]:
        self.calls["put_item"] += 1
        return {}


class _Nothing:
    def __getattr__(self, name: str) -> Any:
        return lambda **_: {}


def _secrets() -> Any:
    class Secrets:
        def get_secret_value(self, SecretId: str) -> dict[str, str]:
            return {"SecretString": json.dumps({"secrets": [subscribers_http.new_secret()]})}

    return Secrets()


@dataclass(frozen=True, slots=True)
class Attempt:
    """One delivered attempt, measured in full batches: its CPU, its log line, its table
    calls (a batch's, divided by its records)."""

    cpu_us: float
    log_bytes: int
    state_reads: float
    """Breaker reads (eventually consistent) per delivered attempt."""
    state_writes: float
    """State-table writes per delivered attempt (the batch's rate-limit slots: one claim)."""
    event_reads: float


def attempt_cpu_us(size: int, repeat: int, batch_size: int) -> Attempt:
    """Delivered attempts at `size` bytes, `batch_size` to an invocation (`Destination.handle`,
    the records side by side as the deliver function runs them): CPU µs, log line bytes and
    table calls per attempt, measured."""
    body = json_body(size)
    digest = hashlib.sha256(body).hexdigest()
    item = {
        "pk": {"S": "github#1"},
        "body_sha256": {"S": digest},
        "payload": {"B": zlib.compress(body)},
        "headers": {"S": json.dumps({"content-type": "application/json"})},
    }
    detail = {"provider": "github", "delivery_id": "1", "event_type": "push", "body_sha256": digest}
    record = {
        "messageId": "m",
        "receiptHandle": "r",
        "body": json.dumps({"detail": detail}),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time()))},
    }
    settings = DestinationSettings(
        destination="bench",
        url="https://example.invalid/",
        secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:bench",  # noqa: S106
        state_table="state",
        events_table="events",
        archive_bucket="bucket",
        queue_url="q",
        dlq_url="d",
        environment="bench",
        rate_per_second=1000,
    )
    destination = Destination(
        settings,
        sqs=_Nothing(),
        dynamodb=_Table(item),
        s3=_Nothing,
        secrets=_secrets,
        send=lambda url, data, headers, timeout, start: (start(), (204, "", ""))[1],
        clock=time.time,
        sleep=lambda seconds: None,
    )
    batch = [{**record, "messageId": f"m{n}"} for n in range(batch_size)]
    capture = io.StringIO()
    with contextlib.redirect_stdout(capture):
        summary = per_call_ns(lambda: destination.handle(batch), repeat)
    lines = [len(line.encode()) + 1 for line in capture.getvalue().splitlines() if line]
    table: _Table = destination.limiter._table
    runs = sum(1 for line in capture.getvalue().splitlines() if '"delivery attempt"' in line)
    if any('"delivery attempt"' not in line for line in capture.getvalue().splitlines()):
        raise RuntimeError(
            "an attempt was put off or failed: the figures would not be a delivery's"
        )
    return Attempt(
        cpu_us=summary.median / 1000 / batch_size,
        log_bytes=max(lines),
        state_reads=table.calls["get_item state"] / runs,
        state_writes=(table.calls["update_item"] + table.calls["put_item"]) / runs,
        event_reads=table.calls["get_item events"] / runs,
    )


def cost_per_million(
    p: dict[str, float], a: Assumptions, size: int, failure_rate: float, measured: Attempt
) -> dict[str, float]:
    """USD per million delivered events, line by line, for our deliver function."""
    attempts = 1 / (1 - failure_rate)
    failures = attempts - 1
    archived = size > INLINE_BODY_LIMIT
    item_bytes = 400 + (0 if archived else len(zlib.compress(json_body(size))))
    calls = measured.state_reads + measured.state_writes + measured.event_reads
    waits = a.dynamodb_ms * calls + a.destination_ms + (a.s3_get_ms if archived else 0.0)
    # The records of a batch run side by side: a full batch is billed its records' CPU (they
    # share the function's vCPU) and about one record's waits.
    cpu_us = measured.cpu_us * a.batch_size
    batch_ms = lambda_billed_ms(cpu_us, a.memory_mb, a.full_vcpu_memory_mb, waits)
    gb_seconds = a.memory_mb / 1024 * batch_ms / 1000 / a.batch_size
    event_bytes = 1200 + size if not archived else 1500
    receive = sqs_requests(event_bytes * a.batch_size, int(p["sqs_chunk_bytes"])) / a.batch_size
    event_units = math.ceil(item_bytes / READ_UNIT_BYTES) / 2  # eventually consistent
    lines = {
        # Every attempt's copy is received and deleted (a retry is a re-sent copy).
        "SQS receive + delete": attempts
        * (receive + 1 / a.batch_size)
        * p["sqs_standard_per_million"],
        "SQS re-send per retry": failures * p["sqs_standard_per_million"],
        "deliver Lambda requests": attempts / a.batch_size * p["lambda_request_per_million"],
        "deliver Lambda duration": attempts * gb_seconds * p["lambda_arm64_gb_second"] * MILLION,
        # As measured for a delivered attempt (the breaker's reads are eventually consistent:
        # half a unit each); a failed attempt reads the breaker once, the stored event too.
        "DynamoDB reads": (
            measured.state_reads / 2
            + measured.event_reads * event_units
            + failures * (0.5 + event_units)
        )
        * p["dynamodb_on_demand_rru_per_million"],
        # As measured for a delivered attempt (the batch's rate-limit slots, one write for the
        # batch when its guess of busy or idle is right: a wrong guess, after an idle spell, is
        # one more); a failure also counts in the breaker.
        "DynamoDB writes": (attempts * measured.state_writes + failures)
        * p["dynamodb_on_demand_wru_per_million"],
        "S3 GET (claim check)": (attempts if archived else 0.0) * p["s3_get_per_thousand"] * 1000,
        "CloudWatch Logs (one line per attempt)": attempts
        * measured.log_bytes
        / GIB
        * p["cloudwatch_logs_ingest_per_gb"]
        * MILLION,
    }
    return lines


def api_destinations_per_million(p: dict[str, float], failure_rate: float) -> float:
    """EventBridge API destinations: per invocation, retries counted as invocations (an
    assumption: the price page does not say). They cannot send a body above an event's 256 KB,
    nor a claim-checked body's bytes: they send the event JSON."""
    return p["eventbridge_api_destination_per_million"] / (1 - failure_rate)


def run_costs(p: dict[str, float], repeat: int) -> list[dict[str, Any]]:
    a = Assumptions()
    rows = []
    for label, size in SIZES.items():
        measured = attempt_cpu_us(size, repeat, a.batch_size)
        for rate in FAILURE_RATES:
            lines = cost_per_million(p, a, size, rate, measured)
            rows.append(
                {
                    "size": label,
                    "failure_rate": rate,
                    "attempt_cpu_us": measured.cpu_us,
                    "log_bytes": measured.log_bytes,
                    "state_writes_per_attempt": measured.state_writes,
                    "state_reads_per_attempt": measured.state_reads,
                    "lines": lines,
                    "total": sum(lines.values()),
                    "api_destinations": api_destinations_per_million(p, rate),
                }
            )
    return rows


def assumptions() -> dict[str, float]:
    a = Assumptions()
    return {name: getattr(a, name) for name in a.__dataclass_fields__}


def run_local(deliveries: int, concurrency: int) -> dict[str, Any]:
    """Stored -> delivered on the local stack: `deliveries` GitHub deliveries to an HTTP
    destination (a local receiver answering 204), from the item's `stored_at` to the first
    request at the receiver. EMULATOR FIGURES."""
    from local import LocalStack
    from local.receiver import Receiver

    receiver = Receiver()
    http = {"url": receiver.url, "rateLimitPerSecond": 1000}  # latency, not the limiter
    overrides = {
        "processor.timeoutSeconds": 2,
        "subscribers": {SUBSCRIBER: {"providers": [PROVIDER], "http": http}},
    }
    try:
        with LocalStack.start(stack="dev", overrides=overrides, state_dir=STATE_DIR) as stack:
            subscribers_http.rotate(
                stack.client("secretsmanager"),
                stack.outputs["subscriber_http"][SUBSCRIBER]["secret_arn"],
            )
            url = stack.outputs["webhook_urls"][PROVIDER]
            scheme = stack.outputs["providers"][PROVIDER]
            secret = stack.dev_secrets[PROVIDER]
            ids = [str(uuid.uuid4()) for _ in range(deliveries)]

            def post(delivery_id: str) -> int:
                body = json_body(1024, fields={"delivery": delivery_id})
                headers = signing.sign(
                    scheme, secret, body, delivery_id=delivery_id, event_type="push"
                )
                return send.post((url, body, headers)).status

            with ThreadPoolExecutor(concurrency) as pool:
                statuses = list(pool.map(post, ids))
            if any(status != 202 for status in statuses):
                raise RuntimeError(f"not accepted: {sorted(set(statuses))}")
            wanted = {f"{PROVIDER}#{i}" for i in ids}
            deadline = time.time() + 300
            arrived: dict[str, float] = {}
            while time.time() < deadline and not wanted <= arrived.keys():
                for request in receiver.requests():
                    key = f"{PROVIDER}#{request.headers.get('webhook-delivery-id')}"
                    arrived.setdefault(key, request.wall)
                time.sleep(0.5)
            stored = stored_items(stack.client("dynamodb"), stack.outputs["table_name"])
    finally:
        receiver.stop()
    missing = wanted - arrived.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} events not delivered to the receiver in time")
    latencies = [arrived[k] - stored[k] for k in wanted]
    return {
        "deliveries": deliveries,
        "concurrency": concurrency,
        "stored_to_delivered_ms": {
            "p50": percentile(latencies, 50) * 1000,
            "p99": percentile(latencies, 99) * 1000,
            "max": max(latencies) * 1000,
        },
    }


def run(prices: dict[str, float], repeat: int, deliveries: int, concurrency: int) -> dict[str, Any]:
    """The section's results: assumptions, cost rows, and the local latency (when
    `deliveries` > 0)."""
    return {
        "assumptions": assumptions(),
        "cost": run_costs(prices, max(3, repeat // 2)),
        "local": run_local(deliveries, concurrency) if deliveries > 0 else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.delivery", description="HTTP destinations' section of the bench"
    )
    parser.add_argument("--repeat", type=int, default=7, help="repetitions per figure")
    parser.add_argument("--deliveries", type=int, default=200, help="local latency; 0 skips it")
    parser.add_argument("--concurrency", type=int, default=8, help="senders")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    section = run(load_prices(), args.repeat, args.deliveries, args.concurrency)
    results = {"date": date, "load_before": load, "http_delivery": section}
    table = "\n".join(
        [
            f"Run {date} (load average {load} before it), `python -m bench.delivery`.",
            "",
            *http_delivery(section),
        ]
    )
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "delivery.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.output / "delivery.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
