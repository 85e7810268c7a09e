"""A receiver over recording fakes, for the public-key senders' tests: what was queued, what was
answered, and no AWS (these tests are about verification, keys and answers)."""

import base64
import json
from typing import Any

from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.receiver import Receiver
from webhooks.secrets import SecretsCache

NOW = 1_795_885_200
PLACEHOLDER = "none"
"""The provider secret of a sender with nothing secret: configured, never read."""


class Queue:
    """An SQS client that keeps what it was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, str]:
        self.sent.append(json.loads(MessageBody))
        return {"MessageId": str(len(self.sent))}


class Secrets:
    """A Secrets Manager client whose every secret is `{"secrets": [secret]}`."""

    def __init__(self, secret: str = PLACEHOLDER) -> None:
        self.secret = secret

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        return {"SecretString": json.dumps({"secrets": [self.secret]})}


class Ingest:
    """A receiver for `providers` (name → options with `scheme`), a clock, a recording queue."""

    def __init__(self, providers: dict[str, dict[str, Any]], secret: str = PLACEHOLDER) -> None:
        self.now = float(NOW)
        self.queue = Queue()
        environ = {
            "QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/q",
            "ARCHIVE_BUCKET": "archive",
            "PROVIDERS": json.dumps(
                {
                    name: {**options, "secret_arn": f"arn:aws:secretsmanager:eu-west-1:1:{name}"}
                    for name, options in providers.items()
                }
            ),
            "MAX_BODY_BYTES": "1048576",
            "INLINE_BODY_LIMIT": "32768",
            "SECRETS_REFRESH_SECONDS": "300",
            "METRICS_NAMESPACE": "Webhooks",
            "ENVIRONMENT": "test",
        }
        self.receiver = Receiver(
            IngestHandlerSettings.from_environ(environ),
            sqs=lambda: self.queue,
            s3=lambda: None,
            secrets=SecretsCache(lambda: Secrets(secret), 300),
            clock=lambda: self.now,
        )

    def post(
        self, provider: str, body: bytes, headers: dict[str, str], path: str = ""
    ) -> tuple[int, str]:
        """Status and body of the answer to a POST of `body` with `headers`."""
        event = {
            "version": "2.0",
            "rawPath": path or f"/webhooks/{provider}",
            "pathParameters": {"provider": provider},
            "headers": {name.lower(): value for name, value in headers.items()},
            "requestContext": {
                "http": {"method": "POST", "sourceIp": "203.0.113.9"},
                "requestId": "req-1",
                "domainName": "hooks.example.com",
            },
            "isBase64Encoded": True,
            "body": base64.b64encode(body).decode(),
        }
        result = self.receiver.handle(event)
        return result["statusCode"], result["body"]
