"""The ingest path: verify a webhook delivery, queue it durably, answer the sender.

Order matters for cost and safety: cheap checks first (method, provider, size), then the
signature, and only then the body parsing some senders need. Nothing is acknowledged (202) until
the message is on the queue; any AWS failure answers 503 so the sender retries.
"""

import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import envelope, request
from .envelope import json_string
from .ingest_config import IngestConfig
from .observability import log, metrics
from .secrets import SecretsCache, SecretsUnavailable
from .senders import UnreadableDelivery, describe
from .signatures import verify

_JSON = {"content-type": "application/json"}
_UNKNOWN = "unknown"  # metric dimension for unconfigured names: keeps cardinality bounded


def response(status: int, field: str, value: str) -> dict[str, Any]:
    """An HTTP API (payload 2.0) response whose body is the JSON object `{field: value}`."""
    body = f"{{{json_string(field)}: {json_string(value)}}}"
    return {"statusCode": status, "headers": dict(_JSON), "body": body}


class Receiver:
    """Handles one API Gateway event at a time; holds what lives as long as the container.

    `sqs` and `s3` are callables returning boto3 clients, so a client is only created when first
    needed (the S3 client often never is).
    """

    def __init__(
        self,
        config: IngestConfig,
        *,
        sqs: Callable[[], Any],
        s3: Callable[[], Any],
        secrets: SecretsCache,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._sqs = sqs
        self._s3 = s3
        self._secrets = secrets
        self._clock = clock
        self._dimensions = {"Environment": config.environment}

    def handle(self, event: Mapping) -> dict[str, Any]:
        """Answer one request; never raises."""
        try:
            return self._handle(event if isinstance(event, dict) else {})
        except Exception as error:
            import traceback  # only on this path: keeps the import cost off every cold start

            frames = traceback.format_tb(error.__traceback__)  # code lines only, not the message
            log("ERROR", "unexpected error", error_type=type(error).__name__, frames=frames)
            return response(500, "error", "internal error")

    def _handle(self, event: dict) -> dict[str, Any]:
        name = request.provider_name(event)
        provider = self._config.providers.get(name) if name else None
        label = provider.name if provider else _UNKNOWN
        request_id = _request_id(event)
        method = request.http_method(event)
        if method != "POST":
            result = self._reject(405, "method not allowed", label, request_id)
            result["headers"]["allow"] = "POST"
            return result
        if provider is None:
            requested = (name or "")[:64]  # shows a mistyped URL; truncated, it is the caller's
            return self._reject(404, "unknown provider", label, request_id, requested=requested)
        try:
            body = request.raw_body(event, self._config.max_body_bytes)
        except request.BodyError as error:
            return self._reject(error.status, error.reason, label, request_id)

        headers = request.headers(event)
        now = self._clock()
        try:
            keys = self._secrets.keys(provider, now)
        except SecretsUnavailable as error:
            return self._unavailable("signing secret unavailable", error, label, "")
        reason = verify(provider, headers, body, keys, int(now))
        if reason:
            return self._reject(401, reason, label, request_id)

        body_sha256 = hashlib.sha256(body).hexdigest()
        try:
            delivery = describe(provider, headers, body, body_sha256)
        except UnreadableDelivery as error:
            return self._reject(400, str(error), label, request_id)
        if delivery.challenge is not None:
            log("INFO", "answered url_verification", provider=label, delivery_id="")
            return response(200, "challenge", delivery.challenge)

        fields = {
            "provider": provider.name,
            "delivery_id": delivery.delivery_id,
            "event_type": delivery.event_type,
            "received_at": envelope.format_received_at(request.received_ms(event, int(now * 1000))),
            "source_ip": request.source_ip(event),
            "headers": delivery.headers,
            "body": body,
            "body_sha256": body_sha256,
        }
        try:
            self._enqueue(fields, body)
        except _Unavailable as failure:
            return self._unavailable(failure.reason, failure.error, label, delivery.delivery_id)

        metrics(
            self._config.metrics_namespace,
            {**self._dimensions, "Provider": label},
            {"Accepted": 1},
            level="INFO",
            message="accepted",
            provider=label,
            delivery_id=delivery.delivery_id,
            event_type=delivery.event_type,
            body_size=len(body),
            request_id=request_id,
        )
        return response(202, "delivery_id", delivery.delivery_id)

    def _enqueue(self, fields: dict[str, Any], body: bytes) -> None:
        """Send the envelope; a body too big to travel inline goes to the archive bucket first."""
        message = None
        if len(body) <= self._config.inline_body_limit:
            message = envelope.text(**fields)
            if len(message) > envelope.MAX_MESSAGE_BYTES:
                message = None
        if message is None:
            key = envelope.archive_key(fields["provider"], fields["delivery_id"])
            try:
                self._s3().put_object(Bucket=self._config.archive_bucket, Key=key, Body=body)
            except Exception as error:
                raise _Unavailable("archive unavailable", error) from None
            message = envelope.text(**fields, body_s3_key=key)
        try:
            self._sqs().send_message(QueueUrl=self._config.queue_url, MessageBody=message)
        except Exception as error:
            raise _Unavailable("queue unavailable", error) from None

    def _reject(
        self, status: int, reason: str, label: str, request_id: str, **details: str
    ) -> dict[str, Any]:
        """Answer a 4xx; one line is both the log record and the `Rejected` metric."""
        metrics(
            self._config.metrics_namespace,
            {**self._dimensions, "Provider": label, "Reason": reason},
            {"Rejected": 1},
            level="WARNING",
            message="rejected",
            provider=label,
            delivery_id="",
            status=status,
            request_id=request_id,
            **details,
        )
        return response(status, "error", reason)

    def _unavailable(
        self, reason: str, error: Exception, label: str, delivery_id: str
    ) -> dict[str, Any]:
        """Answer 503 so the sender retries: nothing was durably queued."""
        metrics(
            self._config.metrics_namespace,
            {**self._dimensions, "Provider": label, "Reason": reason},
            {"Unavailable": 1},
            level="ERROR",
            message=reason,
            provider=label,
            delivery_id=delivery_id,
            error=_error_summary(error),
        )
        return response(503, "error", reason)


class _Unavailable(Exception):
    """An AWS call on the way to the queue failed; the sender must retry."""

    def __init__(self, reason: str, error: Exception) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


def _error_summary(error: Exception) -> str:
    """Type and AWS error code of a failure; never its message, which may quote a request."""
    if isinstance(error, SecretsUnavailable):
        return str(error)  # says what is wrong with the secret value, never the value
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return f"{type(error).__name__}: {code}" if code else type(error).__name__


def _request_id(event: Mapping) -> str:
    context = event.get("requestContext")
    value = context.get("requestId") if isinstance(context, dict) else None
    return value if isinstance(value, str) else ""
