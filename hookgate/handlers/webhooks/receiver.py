"""The ingest path: verify a webhook delivery, queue it durably, answer the sender.

Order matters for cost and safety: cheap checks first (method, provider, size), then the
signature, and only then the body parsing some senders need. Nothing is acknowledged (202) until
the message is on the queue; any AWS failure answers 503 so the sender retries.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from . import envelope, request
from .delivery import Answer, UnreadableDelivery
from .envelope import json_string
from .ingest_settings import IngestHandlerSettings
from .keys import KeysUnavailable
from .observability import log, metrics
from .secrets import SecretsCache, SecretsUnavailable

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
        settings: IngestHandlerSettings,
        *,
        sqs: Callable[[], Any],
        s3: Callable[[], Any],
        secrets: SecretsCache,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._sqs = sqs
        self._s3 = s3
        self._secrets = secrets
        self._clock = clock
        self._dimensions = {"Environment": settings.environment}

    def handle(self, event: object) -> dict[str, Any]:
        """Answer one request; never raises."""
        try:
            return self._handle(request.parse(event if isinstance(event, dict) else {}))
        except Exception as error:
            import traceback  # only on this path: keeps the import cost off every cold start

            frames = traceback.format_tb(error.__traceback__)  # code lines only, not the message
            log("ERROR", "unexpected error", error_type=type(error).__name__, frames=frames)
            return response(500, "error", "internal error")

    def _handle(self, req: request.Request) -> dict[str, Any]:
        name = req.provider
        provider = self._settings.providers.get(name) if name else None
        label = provider.name if provider else _UNKNOWN
        handshake = provider.handshake if provider else None
        allowed = (
            f"{handshake.method}, POST" if handshake and handshake.method != "POST" else "POST"
        )
        if req.method not in allowed.split(", "):
            # GET (Meta, Dropbox, Okta) or HEAD (Intercom) only for a provider whose sender
            # makes such a handshake
            result = self._reject(405, "method not allowed", label, req)
            result["headers"]["allow"] = allowed
            return result
        if provider is None:
            requested = (name or "")[:64]  # shows a mistyped URL; truncated, it is the caller's
            return self._reject(404, "unknown provider", label, req, requested=requested)
        try:
            body = req.body(self._settings.max_body_bytes)
        except request.BodyError as error:
            return self._reject(error.status, error.reason, label, req)

        headers = req.headers
        now = self._clock()
        try:
            keys = self._secrets.keys(provider, now)
        except SecretsUnavailable as error:
            return self._unavailable("signing secret unavailable", error, label, "")
        try:
            if handshake is not None and handshake.method == req.method:
                answer = handshake.answer(headers, body, keys, int(now))
                if answer is not None:
                    return self._handshake(answer, handshake.name, label, req.request_id)
                if req.method == "GET":
                    return self._reject(400, "not a handshake", label, req)
            reason = provider.verify(headers, body, keys, int(now))
        except KeysUnavailable as error:  # the sender's keys could not be fetched: it retries
            return self._unavailable("sender keys unavailable", error, label, "")
        if reason:
            return self._reject(401, reason, label, req)

        body_sha256 = hashlib.sha256(body).hexdigest()
        try:
            delivery = provider.describe(headers, body, body_sha256)
        except UnreadableDelivery as error:
            return self._reject(400, str(error), label, req)
        if delivery.challenge is not None:
            log("INFO", "answered url_verification", provider=label, delivery_id="")
            return response(200, "challenge", delivery.challenge)

        received_ms = req.received_ms if req.received_ms is not None else int(now * 1000)
        # The delivery id and event type were bounded by `delivery.delivery` already.
        problem = envelope.field_problem({"source_ip": req.source_ip}, delivery.headers)
        if problem:
            return self._reject(400, problem, label, req)
        fields = {
            "provider": provider.name,
            "delivery_id": delivery.delivery_id,
            "event_type": delivery.event_type,
            "received_at": envelope.format_received_at(received_ms),
            "source_ip": req.source_ip,
            "headers": delivery.headers,
            "body": body,
            "body_sha256": body_sha256,
            "dedupe": provider.dedupe,
        }
        try:
            self._enqueue(fields, body)
        except _TooLarge:
            return self._reject(413, "delivery too large to queue", label, req)
        except _Unavailable as failure:
            return self._unavailable(failure.reason, failure.error, label, delivery.delivery_id)

        metrics(
            self._settings.metrics_namespace,
            {**self._dimensions, "Provider": label},
            {"Accepted": 1},
            level="INFO",
            message="accepted",
            provider=label,
            delivery_id=delivery.delivery_id,
            event_type=delivery.event_type,
            body_size=len(body),
            request_id=req.request_id,
        )
        if provider.accepted in ("json", "json-200"):
            status = 202 if provider.accepted == "json" else 200
            return response(status, "delivery_id", delivery.delivery_id)
        if provider.accepted == "empty":  # Xero: 200, no body
            return {"statusCode": 200, "headers": {}, "body": ""}
        return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "[accepted]"}

    def _enqueue(self, fields: dict[str, Any], body: bytes) -> None:
        """Send the envelope; a body too big to travel inline goes to the archive bucket first."""
        message = None
        if len(body) <= self._settings.inline_body_limit:
            message = envelope.text(**fields)
            if len(message) > envelope.MAX_MESSAGE_BYTES:
                message = None
        if message is None:
            key = envelope.archive_key(fields["provider"], fields["body_sha256"])
            message = envelope.text(**fields, body_s3_key=key)
            if len(message) > envelope.MAX_MESSAGE_BYTES:
                raise _TooLarge  # the fields alone exceed a message: no retry can help
            # The key is the body's hash and S3 checks the bytes against ChecksumSHA256, so the
            # object under a key is always exactly those bytes (the processor reads it back).
            request = envelope.archive_object(fields["provider"], body, fields["body_sha256"])
            try:
                self._s3().put_object(Bucket=self._settings.archive_bucket, **request)
            except Exception as error:
                raise _Unavailable("archive unavailable", error) from None
        try:
            self._sqs().send_message(QueueUrl=self._settings.queue_url, MessageBody=message)
        except Exception as error:
            raise _Unavailable("queue unavailable", error) from None

    def _handshake(self, answer: Answer, kind: str, label: str, request_id: str) -> dict[str, Any]:
        """Answer a sender's handshake; one line is both the log record and the `Handshake`
        metric. Never stored: a handshake is not an event."""
        metrics(
            self._settings.metrics_namespace,
            {**self._dimensions, "Provider": label},
            {"Handshake": 1},
            level="INFO" if answer.status < 400 else "WARNING",
            message="handshake",
            provider=label,
            delivery_id="",
            handshake=kind,
            status=answer.status,
            request_id=request_id,
        )
        headers = {"content-type": answer.content_type, "x-content-type-options": "nosniff"}
        return {"statusCode": answer.status, "headers": headers, "body": answer.body}

    def _reject(
        self, status: int, reason: str, label: str, req: request.Request, **details: str
    ) -> dict[str, Any]:
        """Answer a 4xx; one line is both the log record and the `Rejected` metric. It names
        the caller's address (`ops rejections`), never a header value or a signature."""
        metrics(
            self._settings.metrics_namespace,
            {**self._dimensions, "Provider": label, "Reason": reason},
            {"Rejected": 1},
            level="WARNING",
            message="rejected",
            provider=label,
            delivery_id="",
            status=status,
            request_id=req.request_id,
            source_ip=req.source_ip[:64],  # API Gateway's peer address; bounded all the same
            **details,
        )
        return response(status, "error", reason)

    def _unavailable(
        self, reason: str, error: Exception, label: str, delivery_id: str
    ) -> dict[str, Any]:
        """Answer 503 so the sender retries: nothing was durably queued."""
        metrics(
            self._settings.metrics_namespace,
            {**self._dimensions, "Provider": label, "Reason": reason},
            {"Unavailable": 1},
            level="ERROR",
            message=reason,
            provider=label,
            delivery_id=delivery_id,
            error=_error_summary(error),
        )
        return response(503, "error", reason)


class _TooLarge(Exception):
    """The envelope exceeds a queue message even with the body archived (answered 413)."""


class _Unavailable(Exception):
    """An AWS call on the way to the queue failed; the sender must retry."""

    def __init__(self, reason: str, error: Exception) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


def _error_summary(error: Exception) -> str:
    """Type and AWS error code of a failure; never its message, which may quote a request."""
    if isinstance(error, (SecretsUnavailable, KeysUnavailable)):
        return str(error)  # says what is wrong with the secret value, never the value
    code = getattr(error, "response", {}).get("Error", {}).get("Code")
    return f"{type(error).__name__}: {code}" if code else type(error).__name__
