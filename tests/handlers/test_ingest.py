"""The ingest function against moto: what is answered, what reaches the queue and the bucket."""

import base64
import functools
import hashlib
import importlib
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from ops import signing
from webhooks import envelope, schemes
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.receiver import Receiver
from webhooks.secrets import SecretsCache

NOW = 1_795_885_200
TIME_EPOCH_MS = NOW * 1000 + 123
QUEUE = "webhooks-queue-test"
BUCKET = "webhooks-archive-test"
SECRETS = {
    "github": "gh-secret",
    "stripe": "whsec_stripe_secret",
    "shopify": "shopify-secret",
    "slack": "slack-signing-secret",
    "standard": "whsec_" + base64.b64encode(b"standard webhooks key").decode(),
    "acme": "acme-secret",
}
ACME_OPTIONS = {
    "scheme": "hmac",
    "signature_header": "X-Acme-Signature",
    "signature_prefix": "sha256=",
    "delivery_id_header": "X-Acme-Delivery",
    "event_type_header": "X-Acme-Event",
}
SCHEME = {name: name for name in SECRETS} | {"acme": "hmac"}


@functools.cache
def session() -> boto3.session.Session:
    """One session for every test's clients (made inside the first `aws` fixture, so with its
    fake credentials): moto intercepts it all the same, and its service models load once."""
    return boto3.session.Session(region_name="eu-west-1")


class Stack:
    """The ingest function's AWS resources in moto, a receiver over them, and a settable clock."""

    def __init__(
        self,
        max_body_bytes: int = 1_048_576,
        inline_body_limit: int = 32_768,
        acme_options: dict[str, str] = ACME_OPTIONS,
    ) -> None:
        self.now = float(NOW)
        self.sqs = session().client("sqs")
        self.s3 = session().client("s3")
        self.secretsmanager = session().client("secretsmanager")
        self.queue_url = self.sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
        self.s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        self.arns = {
            name: self.secretsmanager.create_secret(
                Name=f"webhooks/{name}", SecretString=json.dumps({"secrets": [secret]})
            )["ARN"]
            for name, secret in SECRETS.items()
        }
        providers = {
            name: {"scheme": SCHEME[name], "secret_arn": arn} for name, arn in self.arns.items()
        }
        providers["acme"].update(acme_options)
        self.environ = {
            "QUEUE_URL": self.queue_url,
            "ARCHIVE_BUCKET": BUCKET,
            "PROVIDERS": json.dumps(providers),
            "MAX_BODY_BYTES": str(max_body_bytes),
            "INLINE_BODY_LIMIT": str(inline_body_limit),
            "SECRETS_REFRESH_SECONDS": "300",
            "METRICS_NAMESPACE": "Webhooks",
            "ENVIRONMENT": "test",
        }
        self.secret_fetches = 0
        self.secretsmanager.meta.events.register(
            "before-call.secrets-manager.GetSecretValue", self._count_fetch
        )
        self.receiver = Receiver(
            IngestHandlerSettings.from_environ(self.environ),
            sqs=lambda: self.sqs,
            s3=lambda: self.s3,
            secrets=SecretsCache(lambda: self.secretsmanager, 300),
            clock=lambda: self.now,
        )

    def _count_fetch(self, **_: object) -> None:
        self.secret_fetches += 1

    def messages(self) -> list[envelope.Envelope]:
        found: list[envelope.Envelope] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            if not batch.get("Messages"):
                return found
            found += [envelope.parse(m["Body"]) for m in batch["Messages"]]
            for m in batch["Messages"]:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def stack(aws: None) -> Stack:
    return Stack()


def http_event(
    provider: str | None,
    body: bytes,
    headers: dict[str, str],
    *,
    method: str = "POST",
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """An HTTP API payload-2.0 event as API Gateway delivers it (header names lower-cased)."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "POST /webhooks/{provider}",
        "rawPath": f"/webhooks/{provider}",
        "headers": {name.lower(): value for name, value in headers.items()},
        "requestContext": {
            "http": {"method": method, "path": f"/webhooks/{provider}", "sourceIp": "203.0.113.9"},
            "requestId": "req-1",
            "timeEpoch": TIME_EPOCH_MS,
        },
        "isBase64Encoded": base64_encoded,
    }
    if provider is not None:
        event["pathParameters"] = {"provider": provider}
    if body:
        event["body"] = base64.b64encode(body).decode() if base64_encoded else body.decode()
    return event


def delivery(
    provider: str,
    *,
    body: bytes | None = None,
    secret: str | None = None,
    timestamp: int = NOW,
    **sample_args: Any,
) -> tuple[signing.Sample, dict[str, str]]:
    """A sample delivery for `provider`, signed as its sender would."""
    scheme = SCHEME[provider]
    sample = signing.sample(scheme, timestamp=timestamp, **sample_args)
    if body is not None:
        sample = sample._replace(body=body)
    headers = signing.sign(
        scheme,
        secret or SECRETS[provider],
        sample.body,
        delivery_id=sample.delivery_id,
        event_type=sample.event_type,
        timestamp=timestamp,
        options=ACME_OPTIONS,
    )
    return sample, headers


def answer(result: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    assert result["headers"]["content-type"] == "application/json"
    return result["statusCode"], json.loads(result["body"])


@pytest.mark.parametrize("provider", list(SECRETS))
def test_accepted_delivery_is_queued_with_its_envelope(stack: Stack, provider: str) -> None:
    sample, headers = delivery(provider)
    status, body = answer(stack.receiver.handle(http_event(provider, sample.body, headers)))
    assert status == 202
    [message] = stack.messages()
    assert body == {"delivery_id": message.delivery_id}
    assert message.provider == provider
    assert message.delivery_id == sample.delivery_id
    assert message.event_type == sample.event_type
    assert message.received_at == "2026-11-28T17:00:00.123Z"
    assert message.source_ip == "203.0.113.9"
    assert message.body == sample.body
    assert message.body_sha256 == hashlib.sha256(sample.body).hexdigest()
    assert message.body_size == len(sample.body)
    assert message.body_s3_key is None
    assert message.headers["content-type"].startswith("application/json")
    assert not any("signature" in name or "hmac" in name for name in message.headers)


def test_envelope_keeps_the_allow_listed_headers_only(stack: Stack) -> None:
    sample, headers = delivery("github")
    headers |= {"Authorization": "Bearer x", "Cookie": "c=1", "User-Agent": "GitHub-Hookshot/1"}
    stack.receiver.handle(http_event("github", sample.body, headers))
    [message] = stack.messages()
    assert message.headers == {
        "user-agent": "GitHub-Hookshot/1",
        "content-type": "application/json",
        "x-github-delivery": sample.delivery_id,
        "x-github-event": "push",
    }


def test_generic_hmac_without_delivery_header_uses_the_body_hash(aws: None) -> None:
    stack = Stack()
    sample, headers = delivery("acme")
    del headers["X-Acme-Delivery"]
    status, _ = answer(stack.receiver.handle(http_event("acme", sample.body, headers)))
    assert status == 400  # configured but missing: the sender broke its own contract
    options = {k: v for k, v in ACME_OPTIONS.items() if k != "delivery_id_header"}
    providers = json.loads(stack.environ["PROVIDERS"])
    providers["acme"] = {**options, "secret_arn": stack.arns["acme"]}
    receiver = Receiver(
        IngestHandlerSettings.from_environ({**stack.environ, "PROVIDERS": json.dumps(providers)}),
        sqs=lambda: stack.sqs,
        s3=lambda: stack.s3,
        secrets=SecretsCache(lambda: stack.secretsmanager, 300),
        clock=lambda: stack.now,
    )
    assert answer(receiver.handle(http_event("acme", sample.body, headers)))[0] == 202
    [message] = stack.messages()
    assert message.delivery_id == hashlib.sha256(sample.body).hexdigest()


@pytest.mark.parametrize(
    ("body", "event_type"),
    [
        (b'{"type": "invoice.paid", "data": {}}', "invoice.paid"),
        (b' \n\t{"type": "invoice.paid"}', "invoice.paid"),  # a fix: was "" before
        (b'{"type": 42}', ""),
        (b'["invoice.paid"]', ""),
        (b"type=invoice.paid", ""),
        (b"", ""),
    ],
)
def test_standard_event_type_is_the_type_of_a_json_object_body(
    stack: Stack, body: bytes, event_type: str
) -> None:
    sample, headers = delivery("standard", body=body)
    result = stack.receiver.handle(http_event("standard", body, headers))
    assert answer(result) == (202, {"delivery_id": sample.delivery_id})  # any body is allowed
    [message] = stack.messages()
    assert (message.event_type, message.body) == (event_type, body)


@pytest.mark.parametrize("time_epoch", [5, -1, 10**15, "1795885200123", None])
def test_implausible_time_epoch_falls_back_to_the_clock(stack: Stack, time_epoch: object) -> None:
    stack.now = NOW + 0.456
    sample, headers = delivery("github")
    event = http_event("github", sample.body, headers)
    event["requestContext"]["timeEpoch"] = time_epoch
    assert answer(stack.receiver.handle(event))[0] == 202
    assert stack.messages()[0].received_at == "2026-11-28T17:00:00.456Z"


def test_shopify_event_id_header_is_accepted_too(stack: Stack) -> None:
    sample, headers = delivery("shopify")
    headers["X-Shopify-Event-Id"] = headers.pop("X-Shopify-Webhook-Id")
    assert answer(stack.receiver.handle(http_event("shopify", sample.body, headers)))[0] == 202
    assert stack.messages()[0].delivery_id == sample.delivery_id


def test_base64_encoded_binary_body_is_verified_and_queued_as_bytes(stack: Stack) -> None:
    raw = bytes(range(256)) * 4
    _, headers = delivery("github", body=raw)
    event = http_event("github", raw, headers, base64_encoded=True)
    assert answer(stack.receiver.handle(event))[0] == 202
    [message] = stack.messages()
    assert message.body == raw


def test_body_above_the_inline_limit_goes_to_the_bucket(aws: None) -> None:
    stack = Stack(inline_body_limit=2048)
    sample, headers = delivery("stripe", size=5000)
    assert answer(stack.receiver.handle(http_event("stripe", sample.body, headers)))[0] == 202
    [message] = stack.messages()
    key = envelope.archive_key("stripe", hashlib.sha256(sample.body).hexdigest())
    assert message.body is None
    assert message.body_s3_key == key
    assert message.body_size == 5000
    stored = stack.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert stored == sample.body
    assert hashlib.sha256(stored).hexdigest() == message.body_sha256


def test_message_that_would_exceed_256_kib_goes_to_the_bucket(aws: None) -> None:
    stack = Stack(inline_body_limit=196_608)
    # within the inline limit, but every control character becomes six bytes of JSON
    raw = b"\x01" * 60_000
    _, headers = delivery("github", body=raw)
    assert answer(stack.receiver.handle(http_event("github", raw, headers)))[0] == 202
    [message] = stack.messages()
    assert message.body_s3_key == envelope.archive_key("github", hashlib.sha256(raw).hexdigest())
    assert stack.s3.get_object(Bucket=BUCKET, Key=message.body_s3_key)["Body"].read() == raw


def test_retried_large_delivery_overwrites_the_same_object(aws: None) -> None:
    stack = Stack(inline_body_limit=100)
    sample, headers = delivery("github", size=500)
    for _ in range(2):
        assert answer(stack.receiver.handle(http_event("github", sample.body, headers)))[0] == 202
    assert stack.s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1
    assert len(stack.messages()) == 2  # both queued; the table stores the event once


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", ""])
def test_other_methods_answer_405(stack: Stack, method: str) -> None:
    sample, headers = delivery("github")
    result = stack.receiver.handle(http_event("github", sample.body, headers, method=method))
    assert answer(result) == (405, {"error": "method not allowed"})
    assert result["headers"]["allow"] == "POST"


@pytest.mark.parametrize("provider", ["nope", "GitHub", "", None])
def test_unknown_provider_answers_404(stack: Stack, provider: str | None) -> None:
    sample, headers = delivery("github")
    result = stack.receiver.handle(http_event(provider, sample.body, headers))
    assert answer(result) == (404, {"error": "unknown provider"})


def test_provider_from_the_raw_path_when_no_path_parameter(stack: Stack) -> None:
    sample, headers = delivery("github")
    event = http_event("github", sample.body, headers)
    del event["pathParameters"]
    event["rawPath"] = "/prod/webhooks/github"
    assert answer(stack.receiver.handle(event))[0] == 202


@pytest.mark.parametrize("base64_encoded", [False, True])
def test_body_over_the_limit_answers_413(aws: None, base64_encoded: bool) -> None:
    stack = Stack(max_body_bytes=1000)
    sample, headers = delivery("github", size=1001)
    event = http_event("github", sample.body, headers, base64_encoded=base64_encoded)
    assert answer(stack.receiver.handle(event)) == (413, {"error": "body too large"})
    sample, headers = delivery("github", size=1000)
    event = http_event("github", sample.body, headers, base64_encoded=base64_encoded)
    assert answer(stack.receiver.handle(event))[0] == 202


def test_unreadable_base64_answers_400(stack: Stack) -> None:
    sample, headers = delivery("github")
    event = http_event("github", sample.body, headers)
    event["isBase64Encoded"] = True
    event["body"] = "not base64!"
    assert answer(stack.receiver.handle(event)) == (400, {"error": "body is not valid base64"})


@pytest.mark.parametrize(
    ("provider", "body", "reason"),
    [
        ("stripe", b'{"object": "event", "type": "x"}', "body has no 'id' string"),
        ("stripe", b'{"id": 42}', "body has no 'id' string"),
        ("stripe", b"{not json", "body is not valid JSON"),
        ("stripe", b"[1, 2]", "body is not a JSON object"),
        ("stripe", b"[" * 100_000, "body is not valid JSON"),
        ("slack", b'{"type": "event_callback"}', "body has no 'event_id' string"),
        ("slack", b"payload=%7B%7D", "body is not valid JSON"),
        ("slack", b'{"type": "url_verification"}', "body has no 'challenge' string"),
    ],
)
def test_authentic_but_unreadable_body_answers_400(
    stack: Stack, provider: str, body: bytes, reason: str
) -> None:
    _, headers = delivery(provider, body=body)
    result = stack.receiver.handle(http_event(provider, body, headers))
    assert answer(result) == (400, {"error": reason})
    assert stack.messages() == []


def test_missing_delivery_header_answers_400(stack: Stack) -> None:
    sample, headers = delivery("github")
    del headers["X-GitHub-Delivery"]
    result = stack.receiver.handle(http_event("github", sample.body, headers))
    assert answer(result) == (400, {"error": "missing x-github-delivery header"})


def test_delivery_id_too_long_answers_400(stack: Stack) -> None:
    sample, headers = delivery("github", delivery_id="d" * 257)
    result = stack.receiver.handle(http_event("github", sample.body, headers))
    assert answer(result)[0] == 400


UNPREFIXED_ACME = {k: v for k, v in ACME_OPTIONS.items() if k != "signature_prefix"}


@pytest.mark.parametrize(
    ("provider", "acme_options"),
    [*((provider, ACME_OPTIONS) for provider in SECRETS), ("acme", UNPREFIXED_ACME)],
    ids=[*SECRETS, "acme-unprefixed"],
)
def test_each_senders_malformed_request_gets_the_status_it_names(
    aws: None, provider: str, acme_options: dict[str, str]
) -> None:
    """`ops.signing.malformed`, which the drill expects, holds for the real handler; the same
    request without the defect is accepted."""
    stack = Stack(acme_options=acme_options)
    scheme = SCHEME[provider]
    sample = signing.sample(scheme, timestamp=NOW)

    def sent(body: bytes) -> dict[str, str]:
        return signing.sign(
            scheme,
            SECRETS[provider],
            body,
            delivery_id=sample.delivery_id,
            event_type=sample.event_type,
            timestamp=NOW,
            options=acme_options,
        )

    malformed = signing.malformed(scheme, sample.body)
    headers = signing.malformed_headers(scheme, sent(malformed.body), acme_options)
    result = stack.receiver.handle(http_event(provider, malformed.body, headers))
    assert answer(result)[0] == malformed.status
    assert stack.messages() == []
    result = stack.receiver.handle(http_event(provider, sample.body, sent(sample.body)))
    assert answer(result)[0] == 202


@pytest.mark.parametrize("provider", list(SECRETS))
def test_forged_delivery_answers_401_and_queues_nothing(stack: Stack, provider: str) -> None:
    secret = schemes.get(SCHEME[provider]).new_development_secret()
    sample, headers = delivery(provider, secret=secret)
    result = stack.receiver.handle(http_event(provider, sample.body, headers))
    assert answer(result) == (401, {"error": "invalid signature"})
    assert stack.messages() == []


@pytest.mark.parametrize("provider", ["stripe", "slack", "standard"])
def test_replayed_old_delivery_answers_401(stack: Stack, provider: str) -> None:
    sample, headers = delivery(provider, timestamp=NOW - 301)
    result = stack.receiver.handle(http_event(provider, sample.body, headers))
    assert answer(result) == (401, {"error": "stale timestamp"})


def test_unsigned_delivery_answers_401(stack: Stack) -> None:
    sample, _ = delivery("github")
    result = stack.receiver.handle(http_event("github", sample.body, {"X-GitHub-Delivery": "d"}))
    assert answer(result) == (401, {"error": "missing signature"})


def test_slack_url_verification_is_answered_with_its_challenge(stack: Stack) -> None:
    sample, headers = delivery("slack", event_type="url_verification", delivery_id="chal-123")
    result = stack.receiver.handle(http_event("slack", sample.body, headers))
    assert answer(result) == (200, {"challenge": "chal-123"})
    assert stack.messages() == []


def test_slack_url_verification_needs_a_valid_signature(stack: Stack) -> None:
    sample, headers = delivery("slack", event_type="url_verification", secret="wrong")
    result = stack.receiver.handle(http_event("slack", sample.body, headers))
    assert answer(result) == (401, {"error": "invalid signature"})


def test_queue_failure_answers_503(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    stack.sqs.delete_queue(QueueUrl=stack.queue_url)
    sample, headers = delivery("github")
    capsys.readouterr()
    result = stack.receiver.handle(http_event("github", sample.body, headers))
    assert answer(result) == (503, {"error": "queue unavailable"})
    [line] = log_lines(capsys)
    assert (line["level"], line["Unavailable"], line["Reason"]) == ("ERROR", 1, "queue unavailable")
    assert line["delivery_id"] == sample.delivery_id
    assert line["error"] == "QueueDoesNotExist: AWS.SimpleQueueService.NonExistentQueue"


def test_archive_failure_answers_503_and_queues_nothing(aws: None) -> None:
    stack = Stack(inline_body_limit=100)
    stack.s3.delete_bucket(Bucket=BUCKET)
    sample, headers = delivery("github", size=500)
    result = stack.receiver.handle(http_event("github", sample.body, headers))
    assert answer(result) == (503, {"error": "archive unavailable"})
    assert stack.messages() == []


def test_secret_fetch_failure_answers_503(stack: Stack) -> None:
    stack.secretsmanager.delete_secret(
        SecretId=stack.arns["github"], ForceDeleteWithoutRecovery=True
    )
    sample, headers = delivery("github")
    result = stack.receiver.handle(http_event("github", sample.body, headers))
    assert answer(result) == (503, {"error": "signing secret unavailable"})
    assert stack.messages() == []


@pytest.mark.parametrize("value", ["not json", '{"secrets": []}', '{"secrets": [1]}', '["a"]'])
def test_malformed_secret_value_answers_503(stack: Stack, value: str) -> None:
    stack.secretsmanager.put_secret_value(SecretId=stack.arns["github"], SecretString=value)
    sample, headers = delivery("github")
    result = stack.receiver.handle(http_event("github", sample.body, headers))
    assert answer(result) == (503, {"error": "signing secret unavailable"})


def rotate(stack: Stack, provider: str, *secrets: str) -> None:
    stack.secretsmanager.put_secret_value(
        SecretId=stack.arns[provider], SecretString=json.dumps({"secrets": list(secrets)})
    )


def send(stack: Stack, provider: str, secret: str) -> int:
    sample, headers = delivery(provider, secret=secret, timestamp=int(stack.now))
    return answer(stack.receiver.handle(http_event(provider, sample.body, headers)))[0]


def test_secret_is_fetched_once_per_refresh_interval(stack: Stack) -> None:
    assert send(stack, "stripe", SECRETS["stripe"]) == 202
    assert send(stack, "stripe", SECRETS["stripe"]) == 202
    stack.now += 299
    assert send(stack, "stripe", SECRETS["stripe"]) == 202
    assert stack.secret_fetches == 1
    stack.now += 2
    assert send(stack, "stripe", SECRETS["stripe"]) == 202
    assert stack.secret_fetches == 2


def test_rotated_secret_is_picked_up_after_the_refresh_interval(stack: Stack) -> None:
    assert send(stack, "github", SECRETS["github"]) == 202
    rotate(stack, "github", "new-secret", SECRETS["github"])
    assert send(stack, "github", "new-secret") == 401  # still the cached keys
    stack.now += 301
    assert send(stack, "github", "new-secret") == 202
    assert send(stack, "github", SECRETS["github"]) == 202  # both active during the rotation
    rotate(stack, "github", "new-secret")
    stack.now += 301
    assert send(stack, "github", SECRETS["github"]) == 401
    assert stack.secret_fetches == 3


def test_failed_refresh_keeps_the_cached_keys(stack: Stack) -> None:
    assert send(stack, "github", SECRETS["github"]) == 202
    stack.secretsmanager.delete_secret(
        SecretId=stack.arns["github"], ForceDeleteWithoutRecovery=True
    )
    stack.now += 301
    assert send(stack, "github", SECRETS["github"]) == 202
    assert send(stack, "github", SECRETS["github"]) == 202
    assert stack.secret_fetches == 2  # the retry waits a little instead of hammering


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_logs_are_json_with_provider_and_delivery_id_and_no_payload(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    body = b'{"id": "evt_log", "type": "t", "card": "PAYLOAD-MARKER"}'
    _, headers = delivery("stripe", body=body)
    stack.receiver.handle(http_event("stripe", body, headers))
    _, forged_headers = delivery("stripe", body=body, secret="whsec_wrong")
    stack.receiver.handle(http_event("stripe", body, forged_headers))
    out = capsys.readouterr().out
    assert SECRETS["stripe"] not in out
    assert "PAYLOAD-MARKER" not in out
    assert headers["Stripe-Signature"].split("v1=")[1] not in out
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 2  # one line per request: the log record and its metric together
    for line in lines:
        assert line["provider"] == "stripe"
        assert "delivery_id" in line
        assert "_aws" in line
    assert lines[0]["message"] == "accepted"
    assert lines[0]["delivery_id"] == "evt_log"
    assert (lines[1]["message"], lines[1]["status"]) == ("rejected", 401)


def test_metrics_count_accepted_and_rejected_by_reason(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    sample, headers = delivery("github")
    stack.receiver.handle(http_event("github", sample.body, headers))
    stack.receiver.handle(http_event("github", sample.body + b" ", headers))
    stack.receiver.handle(http_event("whatever-an-attacker-sends", sample.body, headers))
    emf = [line for line in log_lines(capsys) if "_aws" in line]
    assert [line.get("Accepted") for line in emf] == [1, None, None]
    assert [line.get("Rejected") for line in emf] == [None, 1, 1]
    definition = emf[0]["_aws"]["CloudWatchMetrics"][0]
    assert definition["Namespace"] == "Webhooks"
    assert definition["Metrics"] == [{"Name": "Accepted", "Unit": "Count"}]
    assert (emf[0]["Environment"], emf[0]["Provider"]) == ("test", "github")
    assert (emf[1]["Rejected"], emf[1]["Reason"]) == (1, "invalid signature")
    assert emf[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["Environment", "Provider", "Reason"]
    ]
    assert (emf[2]["Provider"], emf[2]["Reason"]) == ("unknown", "unknown provider")
    assert emf[2]["requested"] == "whatever-an-attacker-sends"  # a log field, not a dimension


def test_unexpected_error_answers_500_without_details(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> Any:
        raise RuntimeError("secret detail")

    stack.receiver._sqs = broken  # an AWS failure: 503
    sample, headers = delivery("github")
    assert answer(stack.receiver.handle(http_event("github", sample.body, headers)))[0] == 503
    # a bug: 500, never a traceback in the answer (None is deliberately no SecretsCache)
    stack.receiver._secrets = None  # type: ignore[assignment]
    result = stack.receiver.handle(http_event("github", sample.body, headers))
    assert answer(result) == (500, {"error": "internal error"})
    assert "secret detail" not in capsys.readouterr().out


# --- the Lambda entry point: configuration from the environment, clients from boto3 ----------


@pytest.fixture
def ingest_module(aws: None, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Load `ingest` as a cold container would, with the given environment."""

    def load(environ: dict[str, str]) -> Any:
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        import ingest

        return importlib.reload(ingest)

    return load


def test_lambda_entry_point_queues_a_delivery(ingest_module: Callable[..., Any]) -> None:
    stack = Stack()
    ingest = ingest_module(stack.environ)
    sample, headers = delivery("standard", timestamp=_wall_clock())
    result = ingest.handler(http_event("standard", sample.body, headers), None)
    assert answer(result) == (202, {"delivery_id": sample.delivery_id})
    assert stack.messages()[0].delivery_id == sample.delivery_id
    client_config = ingest._receiver._sqs().meta.config  # fails fast, inside the API's 30 s
    assert (client_config.connect_timeout, client_config.read_timeout) == (2, 5)
    assert client_config.retries == {"mode": "standard", "total_max_attempts": 3}


def test_misconfigured_function_answers_503(
    ingest_module: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    stack = Stack()
    providers = '{"x": {"scheme": "nosuchsender", "secret_arn": "arn:x"}}'
    ingest = ingest_module({**stack.environ, "PROVIDERS": providers})
    sample, headers = delivery("github")
    result = ingest.handler(http_event("github", sample.body, headers), None)
    assert answer(result) == (503, {"error": "service misconfigured"})
    [line] = log_lines(capsys)
    assert (line["level"], line["message"]) == ("ERROR", "invalid configuration")
    assert line["reason"] == (
        "PROVIDERS['x'].scheme = 'nosuchsender' is not allowed; "
        f"allowed: one of {', '.join(schemes.names())}"
    )


def test_function_without_environment_answers_503(
    ingest_module: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack = Stack()
    monkeypatch.delenv("ENVIRONMENT", raising=False)  # required now: it used to default to "dev"
    ingest = ingest_module({k: v for k, v in stack.environ.items() if k != "ENVIRONMENT"})
    sample, headers = delivery("github")
    result = ingest.handler(http_event("github", sample.body, headers), None)
    assert answer(result) == (503, {"error": "service misconfigured"})
    [line] = log_lines(capsys)
    assert line["reason"] == "environment variable ENVIRONMENT is required"


def test_lambda_entry_point_uses_the_log_level_setting(
    ingest_module: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from webhooks import observability

    monkeypatch.setattr(observability, "_threshold", observability._threshold)  # restored after
    stack = Stack()
    handshake, handshake_headers = delivery(
        "slack", event_type="url_verification", timestamp=_wall_clock()
    )
    for level, logged in (("INFO", True), ("ERROR", False)):
        ingest = ingest_module({**stack.environ, "LOG_LEVEL": level})
        capsys.readouterr()
        result = ingest.handler(http_event("slack", handshake.body, handshake_headers), None)
        assert answer(result)[0] == 200
        lines = log_lines(capsys)
        assert [line["message"] for line in lines] == (
            ["answered url_verification"] if logged else []
        )
    sample, headers = delivery("github")
    ingest.handler(http_event("github", sample.body, headers), None)
    [line] = log_lines(capsys)  # metric lines are never dropped
    assert (line["message"], line["Accepted"]) == ("accepted", 1)


def _wall_clock() -> int:
    import time

    return int(time.time())


def test_a_rejection_names_the_source_ip_for_ops_rejections_and_no_header_value(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ops rejections` reads the receiver's own line: its source_ip column is the caller's
    address (it showed `-`), and the line carries no header value and no signature."""
    from ops import rejections

    capsys.readouterr()
    sample, headers = delivery("github")
    forged = {**headers, "X-Hub-Signature-256": "sha256=" + "ab" * 32}
    stack.receiver.handle(http_event("github", sample.body, forged))
    stack.receiver.handle(http_event("nobody", sample.body, headers))
    lines = capsys.readouterr().out.splitlines()
    found = [rejections.parse(line) for line in lines]
    assert [(r.status, r.source_ip) for r in found if r] == [
        (401, "203.0.113.9"),
        (404, "203.0.113.9"),
    ]
    text = "\n".join(lines)
    assert "ab" * 32 not in text
    assert not any(value in text for value in headers.values() if len(value) > 8)
