"""The sender side's knowledge of each sender in `ops.signing`, beyond `sign`: event types,
delivery ids, what is signed and where, and where a body carries the delivery id.

What a malformed request gets from the real ingest handler is checked in
tests/handlers/test_ingest.py; the drill plan's reproducibility in tests/drill/test_drill.py.
"""

import base64
import hashlib
import hmac
import json
import random
import re

import pytest

from ops import signing
from webhooks import providers, schemes

NOW = 1_795_885_200
BODY = b'{"type": "e", "note": "caf\xc3\xa9"}'
# A generic HMAC sender that signs its delivery id and timestamp headers too.
HMAC_OPTIONS = {
    "signature_header": "X-Acme-Signature",
    "signature_prefix": "sha256=",
    "timestamp_header": "X-Acme-Timestamp",
    "delivery_id_header": "X-Acme-Delivery",
    "signed_content": "{id}.{timestamp}.{body}",
}
# What each sender's documentation says it signs, for delivery id d-1 sent at NOW.
SIGNED = {
    "github": BODY,
    "stripe": b"%d." % NOW + BODY,
    "shopify": BODY,
    "slack": b"v0:%d:" % NOW + BODY,
    "standard": b"d-1.%d." % NOW + BODY,
    "hmac": b"d-1.%d." % NOW + BODY,
}
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
ID_SHAPES = {  # <marker> is where `new_delivery_id` puts its marker
    "github": "<marker>" + UUID,
    "stripe": "evt_<marker>[0-9a-f]{24}",
    "shopify": "<marker>" + UUID,
    "slack": "Ev<marker>[0-9A-F]{9}",
    "standard": "msg_<marker>[0-9a-f]{27}",
    "hmac": "<marker>" + UUID,
}


def sign(scheme: str, secret: str, body: bytes = BODY, delivery_id: str = "d-1") -> dict[str, str]:
    return signing.sign(
        scheme,
        secret,
        body,
        delivery_id=delivery_id,
        event_type="e",
        timestamp=NOW,
        options=HMAC_OPTIONS,
    )


CLASSIC = tuple(SIGNED)  # the named senders beyond these: tests/ops/test_signing_catalogue.py


def test_the_sender_side_knows_every_registered_scheme() -> None:
    assert schemes.names() == signing.SCHEMES + signing.PUBLIC_KEY_SCHEMES
    assert set(signing.EVENT_TYPES) == set(signing.SCHEMES)
    assert set(SIGNED) == set(ID_SHAPES) == set(signing.SCHEMES[:6])


def test_sample_defaults_to_each_senders_first_event_type() -> None:
    defaults = {scheme: signing.sample(scheme).event_type for scheme in CLASSIC}
    assert defaults == {scheme: signing.EVENT_TYPES[scheme][0] for scheme in CLASSIC}
    assert defaults == {
        "github": "push",
        "stripe": "charge.succeeded",
        "shopify": "orders/create",
        "slack": "app_mention",
        "standard": "invoice.paid",
        "hmac": "ping",
    }


@pytest.mark.parametrize("scheme", CLASSIC)
def test_the_signature_header_holds_the_hmac_of_the_signed_message(scheme: str) -> None:
    secret = schemes.get(scheme).new_development_secret()
    headers = sign(scheme, secret)
    message = signing.signed_message(scheme, BODY, headers, HMAC_OPTIONS)
    lower = {name.lower(): value for name, value in headers.items()}
    assert message == SIGNED[scheme]
    assert signing.signed_message(scheme, BODY, lower, HMAC_OPTIONS) == message
    key = schemes.get(scheme).signing_key(secret)
    digest = hmac.new(key, message, hashlib.sha256).digest()
    signature = lower[signing.signature_header(scheme, HMAC_OPTIONS)]
    assert digest.hex() in signature or base64.b64encode(digest).decode() in signature


def test_a_generic_hmac_senders_message_and_header_follow_its_options() -> None:
    options = HMAC_OPTIONS | {
        "signature_prefix": "sha512=",
        "algorithm": "sha512",
        "encoding": "base64",
        "signed_content": "{timestamp}:{body}:{id}",
    }
    headers = signing.sign("hmac", "s", BODY, delivery_id="d-1", timestamp=NOW, options=options)
    message = signing.signed_message("hmac", BODY, headers, options)
    assert message == b"%d:" % NOW + BODY + b":d-1"
    digest = base64.b64encode(hmac.new(b"s", message, hashlib.sha512).digest()).decode()
    assert headers["X-Acme-Signature"] == "sha512=" + digest
    assert signing.signature_header("hmac", options) == "x-acme-signature"
    assert signing.signature_header("hmac") == "x-signature"  # the scheme's default
    assert signing.signed_message("hmac", BODY, {"X-Signature": "x"}) == BODY


@pytest.mark.parametrize("scheme", CLASSIC)
def test_the_receiver_finds_the_delivery_id_where_id_fields_put_it(scheme: str) -> None:
    """A made-up body with `id_fields` and headers signed for the same id: the receiver reads
    that id, whether the sender carries it in the body or in a header."""
    body = json.dumps({"type": "e", **signing.id_fields(scheme, "d-42")}).encode()
    secret = schemes.get(scheme).new_development_secret()
    headers = {k.lower(): v for k, v in sign(scheme, secret, body, "d-42").items()}
    options = {k: v.lower() for k, v in HMAC_OPTIONS.items()} if scheme == "hmac" else {}
    receiver = providers.build(scheme, scheme, "arn:secret", options)
    keys = (receiver.signing_key(secret),)
    assert receiver.verify(headers, body, keys, NOW) is None
    described = receiver.describe(headers, body, hashlib.sha256(body).hexdigest())
    assert described.delivery_id == "d-42"


@pytest.mark.parametrize("scheme", CLASSIC)
def test_samples_carry_the_id_fields(scheme: str) -> None:
    sample = signing.sample(scheme)
    fields = signing.id_fields(scheme, sample.delivery_id)
    assert fields.items() <= json.loads(sample.body).items()


@pytest.mark.parametrize("scheme", CLASSIC)
@pytest.mark.parametrize("marker", ["", "poison-"])
def test_delivery_ids_are_shaped_like_the_senders_and_reproducible(
    scheme: str, marker: str
) -> None:
    shape = ID_SHAPES[scheme].replace("<marker>", re.escape(marker))
    drawn = signing.new_delivery_id(scheme, rng=random.Random(3), marker=marker)
    assert re.fullmatch(shape, drawn)
    assert signing.new_delivery_id(scheme, rng=random.Random(3), marker=marker) == drawn
    assert signing.new_delivery_id(scheme, rng=random.Random(4), marker=marker) != drawn
    fresh = signing.new_delivery_id(scheme, marker=marker)
    assert re.fullmatch(shape, fresh)
    assert signing.new_delivery_id(scheme, marker=marker) != fresh


@pytest.mark.parametrize(
    "call",
    [
        lambda: signing.signature_header("nope"),
        lambda: signing.id_fields("nope", "d-1"),
        lambda: signing.malformed("nope", BODY),
        lambda: signing.signed_message("nope", BODY, {}),
        lambda: signing.sample("nope"),
        lambda: signing.sign("nope", "s", BODY, delivery_id="d-1"),
        lambda: signing.new_delivery_id("nope"),
        lambda: signing.malformed_headers("nope", {}),
        lambda: signing.reads_options("nope"),
    ],
)
def test_an_unknown_scheme_is_refused(call) -> None:
    with pytest.raises(ValueError, match="unknown scheme 'nope'"):
        call()


def test_only_the_generic_hmac_sender_signs_by_its_options() -> None:
    assert [s for s in signing.SCHEMES if signing.reads_options(s)] == ["hmac", "token"]
