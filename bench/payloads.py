"""Benchmark inputs: realistic JSON bodies of an exact size and sender-signed headers.

Bodies look like webhook events (nested objects, ids, URLs, timestamps, prose), so their
compressed size is representative; they are deterministic per seed, so runs are comparable.
Headers come from the operator CLI's sender-side signing (`ops.signing`, written independently of
the receiving side); the benchmark checks every one against our verifier before timing it.
"""

import json
import random

from ops import signing
from webhooks import schemes

WORDS = tuple(
    [
        "merge",
        "pull",
        "request",
        "fix",
        "update",
        "add",
        "remove",
        "refactor",
        "handler",
        "queue",
        "table",
        "event",
        "delivery",
        "signature",
        "retry",
        "timeout",
        "customer",
        "invoice",
        "payment",
        "order",
        "shipped",
        "created",
        "deleted",
        "branch",
        "main",
        "release",
        "version",
        "config",
        "deploy",
        "stack",
        "secret",
        "rotate",
        "archive",
        "body",
        "limit",
        "test",
        "docs",
    ]
)

SAMPLE_SCHEME = "github"
"""The scheme of the figures taken for one scheme only (process, cost, first response): GitHub's,
whose verification the Powertools comparator (`bench/powertools/`) does too."""

# One fixed secret per registered scheme, in the scheme's own development format.
SECRETS = {
    name: schemes.get(name).development_secret(f"{name}-bench-key-32-bytes!!".encode()[:24])
    for name in signing.shared_secret_schemes()
}


def json_body(size: int, seed: int = 0, fields: dict[str, object] | None = None) -> bytes:
    """A JSON object of exactly `size` bytes shaped like a webhook event; `fields` go first."""
    rng = random.Random(seed)
    event: dict[str, object] = {"id": f"evt_{rng.getrandbits(64):016x}", "type": "push"}
    event |= fields or {}
    commits: list[dict[str, object]] = []
    event["commits"] = commits
    event["pad"] = ""
    while len(_dump(event)) < size:
        sha = f"{rng.getrandbits(160):040x}"
        commits.append(
            {
                "id": sha,
                "message": " ".join(rng.choices(WORDS, k=rng.randint(4, 14))),
                "timestamp": f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z",
                "url": f"https://github.com/acme/repo-{rng.randint(1, 40)}/commit/{sha}",
                "author": {"name": f"dev{rng.randint(1, 300)}", "email": "dev@example.com"},
                "added": [f"src/{rng.choice(WORDS)}.py" for _ in range(rng.randint(0, 3))],
            }
        )
    while len(_dump(event)) > size and commits:
        commits.pop()
    missing = size - len(_dump(event))
    if missing < 0:
        raise ValueError(f"a body of {size} bytes is too small for these fields")
    event["pad"] = "x" * missing
    return _dump(event)


def _dump(event: dict[str, object]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def signed_request(
    scheme: str, size: int, now: int, delivery_id: str, seed: int
) -> tuple[bytes, dict[str, str]]:
    """A body of about `size` bytes carrying what the sender's body carries (its delivery id,
    Mailgun's signature object), signed as the sender signs it, and its lower-case headers."""
    fields = signing.body_fields(scheme, delivery_id, now)
    body = signing.sign_body(scheme, SECRETS[scheme], json_body(size, seed=seed, fields=fields))
    return body, signed_headers(scheme, body, now, delivery_id)


def signed_headers(scheme: str, body: bytes, now: int, delivery_id: str) -> dict[str, str]:
    """Lower-case request headers a sender using `scheme` sends with `body` at `now`."""
    headers = signing.sign(
        scheme, SECRETS[scheme], body, delivery_id=delivery_id, event_type="push", timestamp=now
    )
    return {name.lower(): value for name, value in headers.items()}


def signing_key(scheme: str) -> bytes:
    """The HMAC key behind `SECRETS[scheme]`, as the scheme decodes it."""
    return schemes.get(scheme).signing_key(SECRETS[scheme])
