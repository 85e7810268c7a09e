"""Property tests: whatever arrives, the ingest path answers; it never raises, and it answers
5xx only when the queue (or the archive) is unavailable. A 202 always means queued."""

import base64
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops import signing
from webhooks import envelope
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.receiver import Receiver
from webhooks.secrets import SecretsCache

NOW = 1_795_885_200
SECRET = "whsec_" + base64.b64encode(b"property key").decode()  # usable by every scheme
PROVIDERS = {
    "github": {"scheme": "github"},
    "stripe": {"scheme": "stripe"},
    "shopify": {"scheme": "shopify"},
    "slack": {"scheme": "slack"},
    "standard": {"scheme": "standard"},
    "acme": {"scheme": "hmac", "delivery_id_header": "x-id", "event_type_header": "x-type"},
}
SIGNATURE_HEADERS = [
    "x-hub-signature-256",
    "x-github-delivery",
    "stripe-signature",
    "x-shopify-hmac-sha256",
    "x-shopify-webhook-id",
    "x-slack-signature",
    "x-slack-request-timestamp",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-signature",
    "x-id",
    "content-type",
]
LIMITS = {"MAX_BODY_BYTES": "2048", "INLINE_BODY_LIMIT": "512"}


class Queue:
    def __init__(self, healthy: bool = True) -> None:
        self.healthy = healthy
        self.messages: list[str] = []

    def send_message(self, *, QueueUrl: str, MessageBody: str) -> dict:
        if not self.healthy:
            raise ConnectionError("queue down")
        self.messages.append(MessageBody)
        return {"MessageId": str(len(self.messages))}


class Bucket:
    def __init__(self, healthy: bool = True) -> None:
        self.healthy = healthy
        self.objects: dict[str, bytes] = {}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes) -> dict:
        if not self.healthy:
            raise ConnectionError("bucket down")
        self.objects[Key] = Body
        return {}


class SecretStore:
    def get_secret_value(self, *, SecretId: str) -> dict:
        return {"SecretString": json.dumps({"secrets": [SECRET]})}


def receiver(queue: Queue, bucket: Bucket) -> Receiver:
    providers = {
        name: {**options, "secret_arn": f"arn:{name}"} for name, options in PROVIDERS.items()
    }
    environ = {
        "QUEUE_URL": "https://queue",
        "ARCHIVE_BUCKET": "bucket",
        "PROVIDERS": json.dumps(providers),
        "ENVIRONMENT": "test",
        **LIMITS,
    }
    return Receiver(
        IngestHandlerSettings.from_environ(environ),
        sqs=lambda: queue,
        s3=lambda: bucket,
        secrets=SecretsCache(SecretStore, 300),
        clock=lambda: NOW,
    )


header_names = st.sampled_from(SIGNATURE_HEADERS) | st.text(max_size=20)
header_values = st.text(max_size=80) | st.sampled_from(["sha256=", "t=1,v1=", "v0=", "v1,"]).map(
    lambda prefix: prefix + "ab" * 32
)
bodies = st.binary(max_size=3000) | st.text(max_size=600).map(str.encode)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    body = draw(bodies)
    as_base64 = draw(st.booleans())
    event: dict[str, Any] = {
        "version": "2.0",
        "headers": draw(st.dictionaries(header_names, header_values, max_size=6)),
        "requestContext": {
            "http": {
                "method": draw(
                    st.sampled_from(["POST", "GET", "PUT", "post"]) | st.text(max_size=8)
                ),
                "sourceIp": draw(st.text(max_size=15)),
            },
            "timeEpoch": draw(st.integers(min_value=-(2**40), max_value=2**45)),
        },
        "isBase64Encoded": as_base64,
    }
    provider = draw(st.sampled_from([*PROVIDERS, "unknown"]) | st.text(max_size=12) | st.none())
    if provider is not None:
        event["pathParameters"] = {"provider": provider}
    event["rawPath"] = draw(st.text(max_size=40))
    if as_base64:
        event["body"] = draw(st.just(base64.b64encode(body).decode()) | st.text(max_size=50))
    else:
        event["body"] = body.decode(errors="replace")
    return event


def check_answer(result: dict[str, Any]) -> int:
    assert result["headers"]["content-type"] == "application/json"
    payload = json.loads(result["body"])
    assert isinstance(payload, dict)
    if result["statusCode"] >= 400:
        assert isinstance(payload["error"], str)
        assert "Traceback" not in payload["error"]
    return result["statusCode"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=events())
def test_never_raises_and_never_5xx_with_a_healthy_queue(event: dict[str, Any]) -> None:
    queue, bucket = Queue(), Bucket()
    status = check_answer(receiver(queue, bucket).handle(event))
    assert status in (200, 202, 400, 401, 404, 405, 413)
    assert len(queue.messages) == (1 if status == 202 else 0)


@settings(max_examples=150, deadline=None)
@given(event=events())
def test_only_503_when_the_queue_and_archive_are_down(event: dict[str, Any]) -> None:
    status = check_answer(receiver(Queue(healthy=False), Bucket(healthy=False)).handle(event))
    assert status < 500 or status == 503
    assert status != 202


@settings(max_examples=60, deadline=None)
@given(
    event=st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
    )
)
def test_arbitrary_event_shapes_get_an_answer(event: object) -> None:
    status = check_answer(receiver(Queue(), Bucket()).handle(event))
    assert 400 <= status < 500


@settings(max_examples=120, deadline=None)
@given(
    provider=st.sampled_from(["github", "shopify", "standard", "acme"]),
    body=st.binary(max_size=2048),
    as_base64=st.booleans(),
    delivery_id=st.text(min_size=1, max_size=40).filter(lambda s: s.isprintable() and s.isascii()),
)
def test_authentic_delivery_of_any_bytes_is_queued_exactly(
    provider: str, body: bytes, as_base64: bool, delivery_id: str
) -> None:
    if not as_base64:
        try:
            body.decode()
        except UnicodeDecodeError:
            as_base64 = True  # API Gateway base64-encodes what is not text
    scheme = PROVIDERS[provider]["scheme"]
    options = {"delivery_id_header": "x-id", "event_type_header": "x-type"}
    headers = signing.sign(
        scheme,
        SECRET,
        body,
        delivery_id=delivery_id,
        event_type="e",
        timestamp=NOW,
        options=options,
    )
    event = {
        "headers": {k.lower(): v for k, v in headers.items()},
        "pathParameters": {"provider": provider},
        "requestContext": {"http": {"method": "POST", "sourceIp": "192.0.2.1"}},
        "isBase64Encoded": as_base64,
        "body": base64.b64encode(body).decode() if as_base64 else body.decode(),
    }
    queue, bucket = Queue(), Bucket()
    assert check_answer(receiver(queue, bucket).handle(event)) == 202
    [text] = queue.messages
    message = envelope.parse(text)
    assert message.delivery_id == delivery_id
    if message.body is not None:
        stored = message.body
    else:
        assert message.body_s3_key is not None, "an envelope without a body must name its key"
        stored = bucket.objects[message.body_s3_key]
    assert stored == body


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
_ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32-be"])


@given(
    st.binary(max_size=40).map(lambda tail: b"{" + tail)
    | st.binary(max_size=40)
    | st.tuples(_JSON_VALUES, _ENCODINGS).map(lambda v: json.dumps(v[0]).encode(v[1]))
    | st.tuples(_JSON_VALUES, _ENCODINGS).map(
        lambda v: json.dumps(v[0], ensure_ascii=False).encode(v[1], "surrogatepass")
    )
)
def test_body_json_is_read_as_json_loads_reads_bytes(body: bytes) -> None:
    from webhooks import delivery

    try:
        value = json.loads(body)
        expected: tuple = ("ok", value) if isinstance(value, dict) else ("error", "not an object")
    except (ValueError, RecursionError):
        expected = ("error", "body is not valid JSON")
    try:
        got: tuple = ("ok", delivery.json_object(body))
    except delivery.UnreadableDelivery as error:
        reason = str(error)
        got = ("error", "not an object" if reason == "body is not a JSON object" else reason)
    assert got == expected
