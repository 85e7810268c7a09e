"""The drill's deliveries: what is sent, to which provider, and what the answer must be.

A plan is a shuffled list of requests built from a seed, so a run can be repeated exactly. Shares
of the total: duplicates (a delivery sent again, re-signed as a sender's retry is), forged (signed
with a wrong secret), malformed (each sender's own defect, `ops.signing.malformed`, answered with
the status it names), large (valid, above the inline limit: claim-checked to S3), poison (valid,
but its delivery id carries the marker on which the local runtime fails every `PutItem`),
poison_body (valid JSON that once failed every publish attempt or went out as an event AWS
refuses: a lone surrogate, `1e400`, an integer beyond 64 bits; `POISON_BODY`), huge_match (a
filtered path, `drill.tier`, holding a list far beyond what `detail.match` carries:
`HUGE_TIERS`); the rest are plain valid deliveries.

Event types and bodies vary so that the drill's subscriber filters split the traffic: each
delivery gets one of its sender's event types (`ops.signing.EVENT_TYPES`) and a `drill` object in
its JSON body with a `region` and, for most, a `tier` (`TIERS`; `None`: no tier field at all).

What differs between senders (event types, the shape of delivery ids, the malformed request) is
the sender side's knowledge, in `ops.signing`: the plan names no scheme.
"""

import json
import random
from dataclasses import dataclass, field

from ops import signing
from webhooks import schemes

POISON_MARKER = "poison-"
SHARES = {
    "duplicate": 0.10,
    "forged": 0.05,
    "malformed": 0.01,
    "large": 0.01,
    "poison": 0.01,
    "poison_body": 0.01,
    "huge_match": 0.01,
}
POISON_BODY = (
    '{"surrogate": "\\ud800", "infinite": 1e400, "beyond_int64": 123456789012345678901234567890}'
)
"""JSON text spliced into a poison_body delivery's body (as text: `json.dumps` cannot write it)."""
HUGE_TIERS = ["gold", *(f"tier-{n:05}-of-a-huge-list" for n in range(3000))]
"""A huge_match delivery's `drill.tier`: "gold" among 3,000 others, about 90 KB."""
ACCEPTED = 202
FORGED = 401
BODY_BYTES = 1024
TIERS = ("gold", "silver", "bronze", None)
REGIONS = ("eu", "us")


@dataclass(frozen=True)
class Request:
    """One HTTP request of the drill; `key` is the table key a stored delivery must have."""

    kind: str  # valid, duplicate, large, poison, poison_body, huge_match, forged, malformed
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
        return self.kind in ("valid", "duplicate", "large", "poison", "poison_body", "huge_match")


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
        delivery_id = signing.new_delivery_id(scheme, rng=rng, marker=marker)
        event_type = rng.choice(signing.EVENT_TYPES[scheme])
        fields: dict[str, object] = dict(_fields(rng))
        if kind == "huge_match":
            fields["tier"] = HUGE_TIERS
        body = _body(scheme, delivery_id, event_type, size, fields)
        if kind == "poison_body":
            body = body[:-1] + b', "poison": ' + POISON_BODY.encode() + b"}"
        status = FORGED if kind == "forged" else ACCEPTED
        if kind == "malformed":  # after the draws above, so each kind draws the same numbers
            body, status = signing.malformed(scheme, body)
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
    requests += [fresh("poison_body", i, BODY_BYTES) for i in range(numbers["poison_body"])]
    requests += [fresh("huge_match", i, BODY_BYTES) for i in range(numbers["huge_match"])]
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


def headers(request: Request, secret: str, options: dict | None) -> dict[str, str]:
    """The request's headers, signed now (a retry is signed afresh, as senders do)."""
    if request.kind == "forged":
        secret = schemes.get(request.scheme).new_development_secret()
    signed = signing.sign(
        request.scheme,
        secret,
        request.body,
        delivery_id=request.delivery_id,
        event_type=request.event_type,
        options=options,
    )
    if request.kind == "malformed":
        return signing.malformed_headers(request.scheme, signed, options)
    return signed
