"""The README's verification example accepts a request signed as the deliver function signs it
(`standard.signature_header`, the headers of docs/contract.md) and refuses a tampered one."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from webhooks.schemes import standard

README = Path(__file__).resolve().parents[1] / "README.md"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def readme_example() -> dict[str, object]:
    section = README.read_text().split("## Delivering to your HTTPS services", 1)[1]
    [code] = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace


def signed_request(body: bytes) -> dict[str, str]:
    identifier, timestamp = "msg_2f1c0e", str(int(time.time()))
    keys = (standard.signing_key(SECRET),)
    return {
        "webhook-id": identifier,
        "webhook-timestamp": timestamp,
        "webhook-signature": standard.signature_header(keys, identifier, timestamp, body),
    }


def test_the_readme_example_verifies_what_the_deliver_function_signs() -> None:
    verified = readme_example()["verified"]
    body = b'{"id": "evt_1", "type": "invoice.paid"}'
    headers = signed_request(body)
    verified(body, headers, SECRET)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError):
        verified(body + b" ", headers, SECRET)  # type: ignore[operator]
