"""Items 2 and 3: the ingest and process handlers, whole path, AWS faked at the boto3 boundary.

The handler modules are loaded from `hookgate/handlers/` exactly as Lambda loads them, with the
contract's
environment; clients are built by their first call (secrets cache warmed by it) and the timed
calls start after that. Each handler runs at two depths (see `fakes`), interleaved with the
verification floor of the same body so the ratio is taken under the same load.
"""

import hashlib
import importlib.util
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType, SimpleNamespace
from typing import TypedDict

from ops import signing
from webhooks import providers, storage
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.process_settings import ProcessHandlerSettings
from webhooks.publish_settings import PublishHandlerSettings

from . import HANDLERS, fakes, payloads, verification
from .cost import dynamodb_item_size
from .stats import paired_ratios, summarize
from .timing import interleaved_ns, per_call_ns

SCHEMES = verification.SCHEMES
BATCH_SIZE = 10
INDEX_ATTRIBUTES = ("pk", "provider", "received_at", "delivery_id", "event_type", "body_size")
# Both functions' environments as the program renders them, at the defaults (one provider per
# scheme, named after it).
ENVIRONMENT = (
    IngestHandlerSettings(
        queue_url=fakes.QUEUE_URL,
        archive_bucket=fakes.ARCHIVE_BUCKET,
        providers={s: providers.build(s, s, fakes.secret_arn(s), {}) for s in SCHEMES},
        environment="bench",
    ).to_environ()
    | ProcessHandlerSettings(
        table_name=fakes.TABLE_NAME,
        ttl_days=30,
        environment="bench",
        archive_bucket=fakes.ARCHIVE_BUCKET,
    ).to_environ()
    | PublishHandlerSettings(
        event_bus_name="webhooks-bench", environment="bench", archive_bucket=fakes.ARCHIVE_BUCKET
    ).to_environ()
    | {"AWS_DEFAULT_REGION": fakes.REGION}
)


class CountingSink:
    """Stands in for stdout while timing: counts the log bytes, keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text)
        return len(text)

    def flush(self) -> None:
        pass


@contextmanager
def captured_stdout() -> Iterator[CountingSink]:
    sink, saved = CountingSink(), sys.stdout
    sys.stdout = sink
    try:
        yield sink
    finally:
        sys.stdout = saved


def load(name: str, factory: Callable[..., object], tag: str) -> ModuleType:
    """A private copy of `hookgate/handlers/<name>.py` whose boto3 clients come from `factory`."""
    os.environ.update(ENVIRONMENT)
    path = HANDLERS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}__{tag}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # The handlers build their clients lazily through the module's `boto3` name: rebind it in
    # this copy's namespace.
    vars(module)["boto3"] = SimpleNamespace(client=factory)
    return module


def api_event(provider: str, body: bytes, headers: dict[str, str], now_ms: int) -> dict:
    """An HTTP API payload-2.0 event for `POST /webhooks/{provider}`."""
    return {
        "version": "2.0",
        "routeKey": "POST /webhooks/{provider}",
        "rawPath": f"/webhooks/{provider}",
        "rawQueryString": "",
        "headers": headers | {"content-length": str(len(body)), "host": "api.example.com"},
        "requestContext": {
            "accountId": fakes.ACCOUNT,
            "apiId": "bench",
            "domainName": "api.example.com",
            "http": {
                "method": "POST",
                "path": f"/webhooks/{provider}",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": "bench-request",
            "routeKey": "POST /webhooks/{provider}",
            "stage": "$default",
            "timeEpoch": now_ms,
        },
        "pathParameters": {"provider": provider},
        "body": body.decode(),
        "isBase64Encoded": False,
    }


def signed_event(scheme: str, size: int, delivery_id: str | None = None) -> tuple[dict, bytes]:
    """A signed request of `size` bytes for the provider named after `scheme`, and its body."""
    delivery_id = delivery_id or verification.DELIVERY_ID
    now = int(time.time())
    body, headers = payloads.signed_request(scheme, size, now, delivery_id, seed=size)
    return api_event(scheme, body, headers, now * 1000), body


def sqs_event(messages: list[str]) -> dict:
    """The event source mapping's event for one batch of message bodies."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{fakes.REGION}:{fakes.ACCOUNT}:webhooks-queue",
                "awsRegion": fakes.REGION,
            }
            for body in messages
        ]
    }


class Pipeline:
    """Both handlers at both depths, sharing one recorder."""

    def __init__(self) -> None:
        self.recorder = fakes.Recorder()
        self.ingest = load("ingest", fakes.FakeClients(self.recorder), "fake")
        self.ingest_sdk = load("ingest", fakes.NetworkFake(self.recorder), "sdk")
        self.process = load("process", fakes.FakeClients(self.recorder), "fake")
        self.process_sdk = load("process", fakes.NetworkFake(self.recorder), "sdk")

    def accept(self, module: ModuleType, event: dict) -> str:
        """Run ingest once (creating its clients); the message it queued."""
        with captured_stdout():
            answer = module.handler(event, None)
        if answer["statusCode"] != 202:
            raise RuntimeError(f"ingest answered {answer['statusCode']}: {answer['body']}")
        return self.recorder.messages[-1]

    def store(self, module: ModuleType, event: dict) -> None:
        """Run the batch once; raise unless every record succeeded (never time a failure)."""
        answer = module.handler(event, None)
        if answer["batchItemFailures"]:
            raise RuntimeError(f"process failed records: {answer}")

    def messages(self, scheme: str, size: int, count: int) -> list[str]:
        """`count` distinct queued messages of bodies of `size` bytes."""
        return [
            self.accept(self.ingest, signed_event(scheme, size, f"bench-{i:04d}-{uuid.uuid4()}")[0])
            for i in range(count)
        ]


def run_ingest(pipeline: Pipeline, repeat: int) -> list[dict[str, object]]:
    """Per request, 1 KiB, every scheme: handler, handler + botocore, and the floor."""
    return [_ingest_row(pipeline, scheme, repeat) for scheme in SCHEMES]


def _ingest_row(pipeline: Pipeline, scheme: str, repeat: int) -> dict[str, object]:
    event, body = signed_event(scheme, 1024)
    pipeline.accept(pipeline.ingest, event)
    pipeline.accept(pipeline.ingest_sdk, event)
    headers = {k.lower(): v for k, v in event["headers"].items()}
    fns = {
        "handler": lambda: pipeline.ingest.handler(event, None),
        "handler_sdk": lambda: pipeline.ingest_sdk.handler(event, None),
        "floor": verification.floor(scheme, body, headers),
    }
    pipeline.recorder.keep = False
    with captured_stdout():
        samples = interleaved_ns(fns, repeat)
    pipeline.recorder.keep = True
    return _row(scheme, samples)


def run_process(pipeline: Pipeline, repeat: int) -> list[dict[str, object]]:
    """Per record in a batch of 10, 1 KiB bodies: handler, handler + botocore, and the floor."""
    messages = pipeline.messages(payloads.SAMPLE_SCHEME, 1024, BATCH_SIZE)
    event = sqs_event(messages)
    with captured_stdout():
        pipeline.store(pipeline.process, event)
        pipeline.store(pipeline.process_sdk, event)
    _, body = signed_event(payloads.SAMPLE_SCHEME, 1024)
    headers = payloads.signed_headers(payloads.SAMPLE_SCHEME, body, int(time.time()), "x")
    floor = verification.floor(payloads.SAMPLE_SCHEME, body, headers)
    fns = {
        "handler": lambda: pipeline.process.handler(event, None),
        "handler_sdk": lambda: pipeline.process_sdk.handler(event, None),
        "floor": lambda: [floor() for _ in range(BATCH_SIZE)],
    }
    pipeline.recorder.keep = False
    with captured_stdout():
        samples = interleaved_ns(fns, repeat)
    pipeline.recorder.keep = True
    per_record = {name: [v / BATCH_SIZE for v in values] for name, values in samples.items()}
    return [_row(payloads.SAMPLE_SCHEME, per_record)]


def _row(scheme: str, samples: dict[str, list[float]]) -> dict[str, object]:
    return {
        "scheme": scheme,
        "size": "1 KiB",
        "handler_ns": summarize(samples["handler"]).as_dict(),
        "handler_sdk_ns": summarize(samples["handler_sdk"]).as_dict(),
        "floor_ns": summarize(samples["floor"]).as_dict(),
        "handler_vs_floor": paired_ratios(samples["handler"], samples["floor"]).as_dict(),
        "handler_sdk_vs_floor": paired_ratios(samples["handler_sdk"], samples["floor"]).as_dict(),
    }


class Quantities(TypedDict):
    """One body size's measurements: the fields of `cost.Delivery`, and the stored payload's
    size (which the report shows)."""

    body_bytes: int
    message_bytes: int
    item_bytes: int
    index_item_bytes: int
    inline_item_bytes: int
    payload_bytes: int
    archived: bool
    ingest_cpu_us: float
    process_cpu_us: float
    ingest_log_bytes: float
    ingest_rejected_log_bytes: float
    process_log_bytes: float


def quantities(pipeline: Pipeline, size: int, repeat: int) -> Quantities:
    """What the cost model needs for one body size: sizes, log bytes, CPU time per call."""
    pipeline.recorder.objects.clear()
    messages = pipeline.messages(payloads.SAMPLE_SCHEME, size, BATCH_SIZE)
    archived = bool(pipeline.recorder.objects)
    pipeline.recorder.items.clear()
    event = sqs_event(messages)
    with captured_stdout() as process_log:
        pipeline.store(pipeline.process, event)
    item = pipeline.recorder.items[-1]
    index_entry = {name: item[name] for name in INDEX_ATTRIBUTES if name in item}
    inline = {k: v for k, v in item.items() if k != "payload_s3_key"}
    if "payload" not in inline:  # what a design without claim check would store
        body = pipeline.recorder.objects[item["payload_s3_key"]["S"]]
        inline["payload"] = {"B": storage.compress(body)}
    ingest_event, _ = signed_event(payloads.SAMPLE_SCHEME, size)
    with captured_stdout() as ingest_log:
        pipeline.ingest.handler(ingest_event, None)
    forged = dict(
        ingest_event,
        headers={
            **ingest_event["headers"],
            signing.signature_header(payloads.SAMPLE_SCHEME): "sha256=" + "0" * 64,
        },
    )
    with captured_stdout() as rejected_log:
        answer = pipeline.ingest.handler(forged, None)
    if answer["statusCode"] != 401:
        raise RuntimeError(f"a forged delivery got {answer['statusCode']}, not 401")
    # Durations with the real botocore clients: Lambda bills their CPU time too.
    pipeline.accept(pipeline.ingest_sdk, ingest_event)
    with captured_stdout():
        pipeline.store(pipeline.process_sdk, event)
    pipeline.recorder.keep = False
    with captured_stdout():
        ingest_ns = per_call_ns(lambda: pipeline.ingest_sdk.handler(ingest_event, None), repeat)
        process_ns = per_call_ns(lambda: pipeline.process_sdk.handler(event, None), repeat)
    pipeline.recorder.keep = True
    return {
        "body_bytes": size,
        "message_bytes": len(messages[-1]),
        "item_bytes": dynamodb_item_size(item),
        "index_item_bytes": dynamodb_item_size(index_entry),
        "inline_item_bytes": dynamodb_item_size(inline),
        "payload_bytes": len(item["payload"]["B"]) if "payload" in item else 0,
        "archived": archived,
        "ingest_cpu_us": ingest_ns.median / 1000,
        "process_cpu_us": process_ns.median / 1000 / BATCH_SIZE,
        "ingest_log_bytes": ingest_log.bytes,
        "ingest_rejected_log_bytes": rejected_log.bytes,
        "process_log_bytes": process_log.bytes / BATCH_SIZE,
    }
