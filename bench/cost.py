"""Cost per million deliveries, from AWS list prices (`prices.json`) and measured quantities.

Three designs, each priced line by line so the table shows where the money goes:

- `ours`: HTTP API -> ingest Lambda (verifies, claim-checks large bodies to S3) -> SQS ->
  process Lambda (batches) -> on-demand DynamoDB with the `by_provider` index.
- `rest_recipe`: REST API with a direct SQS integration (no verification) -> the same processor
  and table shape on provisioned capacity (the AWS recipe shape).
- `unverified`: HTTP API with a direct SQS integration (no verification) -> the same processor
  and on-demand table.

The reference designs keep our processor and item, so the comparison isolates the front door and
the table's capacity mode. Lambda bills wall-clock time rounded up to 1 ms, so a function's billed
duration is its CPU time measured here, scaled to its vCPU share, plus the assumed latency of the
AWS calls it waits on (no AWS account here: those latencies are stated assumptions, not figures).
Storage (DynamoDB, S3, logs retention), data transfer and idle queue polling are left out: they
depend on retention and traffic shape rather than on the number of deliveries.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from webhooks.process_settings import DEFAULT_WRITE_CONCURRENCY

PRICES_FILE = Path(__file__).with_name("prices.json")
PRICE_KEYS = (
    "http_api_per_million",
    "http_api_metering_bytes",
    "rest_api_per_million",
    "sqs_standard_per_million",
    "sqs_chunk_bytes",
    "lambda_arm64_gb_second",
    "lambda_request_per_million",
    "dynamodb_on_demand_wru_per_million",
    "dynamodb_provisioned_wcu_hour",
    "s3_put_per_thousand",
    "s3_get_per_thousand",
    "secrets_manager_per_10k_calls",
    "cloudwatch_logs_ingest_per_gb",
    "eventbridge_custom_event_per_million",
    "eventbridge_chunk_bytes",
    "eventbridge_api_destination_per_million",
    "dynamodb_on_demand_rru_per_million",
)
MILLION = 1_000_000
GIB = 1024**3
WRITE_UNIT_BYTES = 1024


def load_prices(path: Path = PRICES_FILE) -> dict[str, float]:
    """Price name -> value; every entry must carry its value, unit, source and date read."""
    entries = json.loads(path.read_text())["prices"]
    prices = {}
    for key in PRICE_KEYS:
        entry = entries.get(key)
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: price {key!r} is missing")
        for attribute in ("value", "unit", "source", "read"):
            if attribute not in entry:
                raise ValueError(f"{path}: price {key!r} has no {attribute!r}")
        value = entry["value"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError(f"{path}: price {key!r} must be a positive number, got {value!r}")
        prices[key] = float(value)
    return prices


@dataclass(frozen=True, slots=True)
class Assumptions:
    """Configuration and stated assumptions the prices are applied to."""

    ingest_memory_mb: int = 256
    process_memory_mb: int = 256
    batch_size: int = 10
    full_vcpu_memory_mb: int = 1769  # Lambda: 1 vCPU at 1,769 MB, CPU share linear in memory
    sqs_send_ms: float = 5.0  # assumed in-region SendMessage round trip
    dynamodb_put_ms: float = 5.0  # assumed in-region PutItem round trip
    write_concurrency: int = DEFAULT_WRITE_CONCURRENCY  # PutItems in flight per invocation
    s3_put_ms: float = 20.0  # assumed in-region PutObject round trip (small object)
    # Lambda's START, END and REPORT lines per invocation: about 350 bytes in the Text log
    # format (before), none at system log level WARN (hookgate/components/function.py, after).
    platform_log_bytes: int = 0
    text_platform_log_bytes: int = 350
    provisioned_utilisation: float = 0.7  # auto-scaling target of the provisioned table
    secrets_refresh_seconds: float = 300.0
    providers: int = 5
    warm_containers: int = 2
    deliveries_per_second: float = 100.0
    # The publishing step (hookgate/components/publisher.py): stream records per publish
    # invocation, one
    # PutEvents call of up to 10 entries per batch, its assumed round trip, the event's envelope
    # around the body (source, detail-type, the detail's fields), the managed subscriber queues
    # an event matches, and the publish function's CPU per record (assumed: not measured here).
    publish_batch_size: int = 10
    put_events_ms: float = 20.0
    event_overhead_bytes: int = 700
    matching_subscribers: int = 1
    publish_cpu_us: float = 60.0
    publish_memory_mb: int = 256

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Delivery:
    """Measured quantities of one delivery of a given body size."""

    body_bytes: int
    message_bytes: int  # SQS MessageBody (the envelope)
    item_bytes: int  # DynamoDB size of the stored item
    index_item_bytes: int  # DynamoDB size of its `by_provider` index entry
    inline_item_bytes: int  # the item with the body inline (compressed): no claim check
    archived: bool  # body went to S3 (claim check)
    ingest_cpu_us: float  # ingest handler per request, one full core of this machine
    process_cpu_us: float  # process handler per record, one full core of this machine
    ingest_log_bytes: float  # our log and metric lines per request
    process_log_bytes: float  # our log and metric lines per record


@dataclass(slots=True)
class Design:
    """A design's cost per million deliveries, line by line."""

    name: str
    lines: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.lines.values())


def lambda_billed_ms(cpu_us: float, memory_mb: int, full_vcpu_memory_mb: int, wait_ms: float):
    """Billed milliseconds: CPU time scaled to the vCPU share, plus waiting, rounded up to 1 ms."""
    share = min(1.0, memory_mb / full_vcpu_memory_mb)
    return max(1, math.ceil(cpu_us / 1000 / share + wait_ms))


def sqs_requests(payload_bytes: int, chunk_bytes: int) -> int:
    """Billed SQS requests for one call carrying `payload_bytes`: one per started 64 KiB chunk."""
    return max(1, math.ceil(payload_bytes / chunk_bytes))


def write_units(item_bytes: int) -> int:
    """DynamoDB write units of one standard write: one per started 1 KB."""
    return max(1, math.ceil(item_bytes / WRITE_UNIT_BYTES))


def _gb_seconds_per_million(memory_mb: int, billed_ms: float, price: float) -> float:
    return memory_mb / 1024 * billed_ms / 1000 * price * MILLION


def _processor_and_table(
    design: Design, p: dict[str, float], a: Assumptions, d: Delivery, message_bytes: int
) -> None:
    """Lines shared by all designs: SQS consume, process Lambda, logs of the processor."""
    chunk = int(p["sqs_chunk_bytes"])
    batch = a.batch_size
    receive = sqs_requests(message_bytes * batch, chunk) / batch
    delete = 1 / batch  # DeleteMessageBatch carries receipt handles only
    design.lines["SQS send"] = sqs_requests(message_bytes, chunk) * p["sqs_standard_per_million"]
    design.lines["SQS receive+delete"] = (receive + delete) * p["sqs_standard_per_million"]
    design.lines["process Lambda requests"] = p["lambda_request_per_million"] / batch
    batch_ms = lambda_billed_ms(
        d.process_cpu_us * batch,
        a.process_memory_mb,
        a.full_vcpu_memory_mb,
        # Concurrent writes: the batch waits one round trip per round of writers.
        a.dynamodb_put_ms * math.ceil(batch / a.write_concurrency),
    )
    design.lines["process Lambda duration"] = (
        _gb_seconds_per_million(a.process_memory_mb, batch_ms, p["lambda_arm64_gb_second"]) / batch
    )


def _logs(p: dict[str, float], bytes_per_delivery: float) -> float:
    return bytes_per_delivery / GIB * p["cloudwatch_logs_ingest_per_gb"] * MILLION


def ours(p: dict[str, float], a: Assumptions, d: Delivery) -> Design:
    design = Design("ours: HTTP API + verifying Lambda + SQS + on-demand DynamoDB")
    metered = max(1, math.ceil(d.body_bytes / p["http_api_metering_bytes"]))
    design.lines["API requests"] = metered * p["http_api_per_million"]
    _ours_lambda_and_rest(design, p, a, d)
    return design


def ours_function_url(p: dict[str, float], a: Assumptions, d: Delivery) -> Design:
    """`api.kind: functionUrl`: the same function behind a Lambda function URL, which has no
    request charge of its own (`no_charge` in bench/prices.json): each request is billed as the
    function's invocation, counted below."""
    design = Design("ours, functionUrl: function URL + verifying Lambda + SQS + DynamoDB")
    design.lines["API requests"] = 0.0
    _ours_lambda_and_rest(design, p, a, d)
    return design


def publishing_step(p: dict[str, float], a: Assumptions, d: Delivery) -> Design | None:
    """What delivering each stored event to its subscribers adds (the table as the outbox).

    The stream's reads by the Lambda trigger are free (DynamoDB pricing: GetRecords calls of
    Lambda triggers are not charged). PutEvents bills each started 64 KB chunk of an entry as
    one custom event; an event is at most 256 KB, larger bodies travel as a claim check. Each
    matching managed subscriber queue receives one SQS send and its consumer one receive and
    one delete (batched by 10 as our processor's).
    """
    design = Design("publishing: stream → publish Lambda → EventBridge → subscriber queues")
    chunk = int(p["eventbridge_chunk_bytes"])
    inline = d.body_bytes + a.event_overhead_bytes <= 256 * 1024 and not d.archived
    event_bytes = (d.body_bytes if inline else 0) + a.event_overhead_bytes
    chunks = max(1, math.ceil(event_bytes / chunk))
    design.lines["EventBridge PutEvents"] = chunks * p["eventbridge_custom_event_per_million"]
    design.lines["DynamoDB stream reads"] = 0.0
    batch = a.publish_batch_size
    design.lines["publish Lambda requests"] = p["lambda_request_per_million"] / batch
    batch_ms = lambda_billed_ms(
        a.publish_cpu_us * batch, a.publish_memory_mb, a.full_vcpu_memory_mb, a.put_events_ms
    )
    design.lines["publish Lambda duration"] = (
        _gb_seconds_per_million(a.publish_memory_mb, batch_ms, p["lambda_arm64_gb_second"]) / batch
    )
    sqs_chunk = int(p["sqs_chunk_bytes"])
    sends = sqs_requests(event_bytes, sqs_chunk)
    consume = sqs_requests(event_bytes * 10, sqs_chunk) / 10 + 1 / 10
    design.lines["subscriber queue send+receive+delete"] = (
        a.matching_subscribers * (sends + consume) * p["sqs_standard_per_million"]
    )
    return design


def _ours_lambda_and_rest(design: Design, p: dict[str, float], a: Assumptions, d: Delivery) -> None:
    """Every line of ours after the front door: ingest Lambda, archive, secrets, processor."""
    design.lines["ingest Lambda requests"] = p["lambda_request_per_million"]
    wait = a.sqs_send_ms + (a.s3_put_ms if d.archived else 0.0)
    ingest_ms = lambda_billed_ms(d.ingest_cpu_us, a.ingest_memory_mb, a.full_vcpu_memory_mb, wait)
    design.lines["ingest Lambda duration"] = _gb_seconds_per_million(
        a.ingest_memory_mb, ingest_ms, p["lambda_arm64_gb_second"]
    )
    design.lines["S3 archive PUT"] = p["s3_put_per_thousand"] * 1000 if d.archived else 0.0
    secret_calls = (
        a.providers * a.warm_containers / (a.secrets_refresh_seconds * a.deliveries_per_second)
    )
    design.lines["Secrets Manager"] = secret_calls * p["secrets_manager_per_10k_calls"] * 100
    _processor_and_table(design, p, a, d, d.message_bytes)
    # The item and its `by_provider` entry, whatever the dedupe mode: an event deduplicated by
    # content writes nothing under its delivery id (store.py); only a duplicate writes again.
    units = write_units(d.item_bytes) + write_units(d.index_item_bytes)
    design.lines["DynamoDB writes"] = units * p["dynamodb_on_demand_wru_per_million"]
    # The processor reads an archived body back and hashes it before storing its event.
    design.lines["S3 archive GET (check)"] = p["s3_get_per_thousand"] * 1000 if d.archived else 0.0
    log_bytes = (
        d.ingest_log_bytes
        + a.platform_log_bytes
        + d.process_log_bytes
        + a.platform_log_bytes / a.batch_size
    )
    design.lines["CloudWatch Logs"] = _logs(p, log_bytes)


def _direct_sqs(name: str, api_per_million: float, p, a: Assumptions, d: Delivery) -> Design:
    design = Design(name)
    design.lines["API requests"] = api_per_million
    # A direct integration sends the raw body as the message: no envelope, no claim check, so
    # the processor stores every body inline.
    _processor_and_table(design, p, a, d, d.body_bytes)
    return design


def _direct_write_units(d: Delivery) -> int:
    return write_units(d.inline_item_bytes) + write_units(d.index_item_bytes)


def rest_recipe(p: dict[str, float], a: Assumptions, d: Delivery) -> Design:
    design = _direct_sqs(
        "REST API + direct SQS + provisioned DynamoDB (AWS recipe)",
        p["rest_api_per_million"],
        p,
        a,
        d,
    )
    per_unit = p["dynamodb_provisioned_wcu_hour"] / 3600 / a.provisioned_utilisation
    design.lines["DynamoDB writes"] = _direct_write_units(d) * per_unit * MILLION
    design.lines["CloudWatch Logs"] = _logs(
        p, d.process_log_bytes + a.platform_log_bytes / a.batch_size
    )
    return design


def unverified(p: dict[str, float], a: Assumptions, d: Delivery) -> Design:
    metered = max(1, math.ceil(d.body_bytes / p["http_api_metering_bytes"]))
    design = _direct_sqs(
        "HTTP API + direct SQS, no verification",
        metered * p["http_api_per_million"],
        p,
        a,
        d,
    )
    design.lines["DynamoDB writes"] = (
        _direct_write_units(d) * p["dynamodb_on_demand_wru_per_million"]
    )
    design.lines["CloudWatch Logs"] = _logs(
        p, d.process_log_bytes + a.platform_log_bytes / a.batch_size
    )
    return design


def compare(p: dict[str, float], a: Assumptions, d: Delivery) -> dict[str, Design]:
    """The three designs for one delivery size, keyed `ours`, `rest_recipe`, `unverified`."""
    designs = {
        "ours": ours(p, a, d),
        "ours_function_url": ours_function_url(p, a, d),
        "rest_recipe": rest_recipe(p, a, d),
        "unverified": unverified(p, a, d),
    }
    extra = publishing_step(p, a, d)
    if extra is not None:
        publishing = Design(f"ours + {extra.name}", dict(designs["ours"].lines))
        for name, value in extra.lines.items():
            publishing.lines[name] = publishing.lines.get(name, 0.0) + value
        designs["ours_publishing"] = publishing
    return designs


def dynamodb_item_size(item: dict[str, dict]) -> int:
    """Size DynamoDB bills for an item in the low-level `{"name": {"S": ...}}` form.

    Attribute name bytes plus value bytes: UTF-8 length for S, raw length for B, about one byte
    per two significant digits plus one for N, one byte for BOOL and NULL; a set (SS, BS, NS,
    such as a content-deduped event's `delivery_ids`) is the sum of its elements.
    """
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        ((kind, data),) = value.items()
        if kind in ("SS", "BS", "NS"):
            size += sum(_value_size(kind[0], element, name) for element in data)
        else:
            size += _value_size(kind, data, name)
    return size


def _value_size(kind: str, data: object, name: str) -> int:
    if kind == "S" and isinstance(data, str):
        return len(data.encode())
    if kind == "B" and isinstance(data, bytes | bytearray):
        return len(data)
    if kind == "N" and isinstance(data, str):
        digits = data.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    raise ValueError(f"attribute {name!r}: type {kind!r} not sized here")
