"""The drill's deliveries: what is sent, to which provider, and what the answer must be.

A plan is a shuffled list of requests built from a seed, so a run can be repeated exactly. Shares
of the total: duplicates (a delivery sent again, re-signed as a sender's retry is), forged (signed
with a wrong secret), malformed (a scheme-specific defect, below), large (valid, above the inline
limit: claim-checked to S3), poison (valid, but its delivery id carries the marker on which the
local runtime fails every `PutItem`); the rest are plain valid deliveries.

Event types and bodies vary so that the drill's subscriber filters split the traffic: each
delivery gets one of its scheme's event types (`EVENT_TYPES`) and a `drill` object in its JSON
body with a `region` and, for most, a `tier` (`TIERS`; `None`: no tier field at all).

Malformed, per scheme, with the answer it must get:
- github, shopify: authentic signature but no delivery-id header: 400;
- stripe, slack: authentic signature over a body that is not JSON (no `id`/`event_id`): 400;
- standard: `webhook-signature` without a value: 401;
- hmac: signature without the configured prefix: 401.
"""

import json
import random
import uuid
from dataclasses import dataclass, field

from ops import signing

POISON_MARKER = "poison-"
SHARES = {"duplicate": 0.10, "forged": 0.05, "malformed": 0.01, "large": 0.01, "poison": 0.01}
MALFORMED_STATUS = {
    "github": 400,
    "shopify": 400,
    "stripe": 400,
    "slack": 400,
    "standard": 401,
    "hmac": 401,
}
ACCEPTED = 202
FORGED = 401
BODY_BYTES = 1024
EVENT_TYPES = {
    "github": ("push", "pull_request", "issues"),
    "stripe": (
        "invoice.paid",
        "invoice.payment_failed",
        "charge.succeeded",
        "customer.subscription.updated",
    ),
    "shopify": ("orders/create", "orders/paid", "products/update"),
    "slack": ("app_mention", "message"),
    "standard": ("invoice.paid", "user.created"),
    "hmac": ("invoice.created", "ping"),
}
TIERS = ("gold", "silver", "bronze", None)
REGIONS = ("eu", "us")


@dataclass(frozen=True)
class Request:
    """One HTTP request of the drill; `key` is the table key a stored delivery must have."""

    kind: str  # valid, duplicate, large, poison, forged, malformed
    provider: str
    scheme: str
    delivery_id: str
    event_type: str
    body: bytes = field(repr=False)
    expected_status: int

    @property
    def key(self) -> str:
        return f"{self.provider}#{self.delivery_id}"

    @property
    def stores(self) -> bool:
        """The delivery must end up stored (once), whatever else happens."""
        return self.kind in ("valid", "duplicate", "large", "poison")


def counts(total: int) -> dict[str, int]:
    """Requests per kind for `total` requests; plain valid deliveries take the remainder."""
    numbers = {kind: round(total * share) for kind, share in SHARES.items()}
    numbers["valid"] = total - sum(numbers.values())
    if numbers["valid"] < numbers["duplicate"]:
        raise ValueError(f"{total} requests leave too few originals for the duplicates")
    return numbers


def build(providers: dict[str, str], total: int, large_bytes: int, seed: int = 1) -> list[Request]:
    """`total` requests over `providers` (name -> scheme), shuffled; see the module doc."""
    rng = random.Random(seed)
    names = sorted(providers)
    numbers = counts(total)
    requests: list[Request] = []

    def fresh(kind: str, index: int, size: int, marker: str = "") -> Request:
        provider = names[index % len(names)]
        scheme = providers[provider]
        delivery_id = _delivery_id(scheme, rng, marker)
        event_type = rng.choice(EVENT_TYPES[scheme])
        status = {"forged": FORGED, "malformed": MALFORMED_STATUS[scheme]}.get(kind, ACCEPTED)
        body = (
            b"{not json"
            if kind == "malformed" and scheme in ("stripe", "slack")
            else _body(scheme, delivery_id, event_type, size, _fields(rng))
        )
        return Request(kind, provider, scheme, delivery_id, event_type, body, status)

    originals = [fresh("valid", i, BODY_BYTES) for i in range(numbers["valid"])]
    requests += originals
    requests += [
        Request("duplicate", o.provider, o.scheme, o.delivery_id, o.event_type, o.body, ACCEPTED)
        for o in rng.sample(originals, numbers["duplicate"])
    ]
    requests += [fresh("forged", i, BODY_BYTES) for i in range(numbers["forged"])]
    requests += [fresh("malformed", i, BODY_BYTES) for i in range(numbers["malformed"])]
    requests += [fresh("large", i, large_bytes) for i in range(numbers["large"])]
    requests += [fresh("poison", i, BODY_BYTES, POISON_MARKER) for i in range(numbers["poison"])]
    rng.shuffle(requests)
    return requests


def _fields(rng: random.Random) -> dict[str, str]:
    """The body's `drill` object: what the payload filters of the drill's subscribers read."""
    tier = rng.choice(TIERS)
    return {"region": rng.choice(REGIONS)} | ({"tier": tier} if tier else {})


def _body(scheme: str, delivery_id: str, event_type: str, size: int, fields: dict) -> bytes:
    """The scheme's sample body with `fields` under `drill`, padded to `size` bytes."""
    sample = signing.sample(scheme, delivery_id=delivery_id, event_type=event_type, timestamp=0)
    data = json.loads(sample.body) | {"drill": fields}
    if size > len(json.dumps(data).encode()):
        data["padding"] = ""
        data["padding"] = "x" * (size - len(json.dumps(data).encode()))
    return json.dumps(data).encode()


def _delivery_id(scheme: str, rng: random.Random, marker: str) -> str:
    token = uuid.UUID(int=rng.getrandbits(128), version=4).hex
    if scheme == "stripe":
        return f"evt_{marker}{token[:24]}"
    if scheme == "slack":
        return f"Ev{marker}{token[:12].upper()}"
    if scheme == "standard":
        return f"msg_{marker}{token[:27]}"
    return f"{marker}{uuid.UUID(token)}"


def headers(request: Request, secret: str, options: dict | None) -> dict[str, str]:
    """The request's headers, signed now (a retry is signed afresh, as senders do)."""
    if request.kind == "forged":
        secret = signing.random_secret(request.scheme)
    signed = signing.sign(
        request.scheme,
        secret,
        request.body,
        delivery_id=request.delivery_id,
        event_type=request.event_type,
        options=options,
    )
    if request.kind != "malformed":
        return signed
    lower = {name.lower(): name for name in signed}
    if request.scheme == "github":
        del signed[lower["x-github-delivery"]]
    elif request.scheme == "shopify":
        del signed[lower["x-shopify-webhook-id"]]
    elif request.scheme == "standard":
        signed[lower["webhook-signature"]] = "v1,"
    elif request.scheme == "hmac":
        name = lower[str((options or {}).get("signature_header", "x-signature")).lower()]
        prefix = str((options or {}).get("signature_prefix", ""))
        signed[name] = signed[name].removeprefix(prefix) if prefix else "sha256=" + signed[name]
    return signed
