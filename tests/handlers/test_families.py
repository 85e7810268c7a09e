"""The families' building blocks, and their properties: whatever byte of a signed part changes
(body, signed header, URL, form parameter), verification fails; comparisons are constant time.

The senders' own vectors are in test_senders.py; these tests drive the generic family schemes
(`hmac`, `token`, `in-body`) with options, signing with our sender side (`ops.signing`), which is
written from the senders' documentation and not from the verifiers.
"""

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ops import signing
from webhooks import schemes
from webhooks.delivery import json_path_text
from webhooks.providers import build
from webhooks.request import Call, call_of
from webhooks.schemes import generic_hmac, in_body
from webhooks.schemes.generic_hmac import form_text
from webhooks.signatures import INVALID_SIGNATURE, MALFORMED_SIGNATURE, MISSING_SIGNATURE

NOW = 1_795_885_200
URL = "https://hooks.example.com/webhooks/acme?b=2&a=1"


def call(headers: dict[str, str], url: str = URL, method: str = "POST") -> Call:
    made = Call({name.lower(): value for name, value in headers.items()})
    made.method, made.url, made.query = method, url, url.partition("?")[2]
    return made


# ---- HMAC over a composed message -----------------------------------------------------------

COMPOSED = {
    "signature_header": "x-sig",
    "signature_prefix": "v0=",
    "timestamp_header": "x-ts",
    "delivery_id_header": "x-id",
    "signed_content": "{method} {url} {id}.{timestamp}.{body}",
    "tolerance_seconds": 300,
}


def composed_signature(key: bytes, body: bytes, url: str = URL) -> dict[str, str]:
    message = f"POST {url} d-1.{NOW}.".encode() + body
    return {
        "x-sig": "v0=" + hmac.new(key, message, hashlib.sha256).hexdigest(),
        "x-ts": str(NOW),
        "x-id": "d-1",
    }


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=64),
    position=st.integers(min_value=0),
    part=st.sampled_from(["body", "url", "id", "timestamp", "method"]),
)
def test_a_changed_signed_part_fails(body: bytes, position: int, part: str) -> None:
    provider = build("acme", "hmac", "arn", COMPOSED)
    key = b"k" * 16
    headers = composed_signature(key, body)
    assert provider.verify(call(headers), body, (key,), NOW) is None
    if part == "body":
        changed = body + b"x" if not body else bytes([body[position % len(body)] ^ 1])
        changed = (
            body[: position % max(len(body), 1)]
            + changed
            + body[position % max(len(body), 1) + 1 :]
        )
        assert provider.verify(call(headers), changed, (key,), NOW) == INVALID_SIGNATURE
    elif part == "url":
        assert provider.verify(call(headers, URL + "&c=3"), body, (key,), NOW) == INVALID_SIGNATURE
    elif part == "method":
        assert provider.verify(call(headers, method="PUT"), body, (key,), NOW) == INVALID_SIGNATURE
    else:
        name = "x-id" if part == "id" else "x-ts"
        value = "d-2" if part == "id" else str(NOW + 1)
        changed_headers = {**headers, name: value}
        assert provider.verify(call(changed_headers), body, (key,), NOW) == INVALID_SIGNATURE


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=6), st.text(max_size=6)), min_size=1, max_size=6
    )
)
def test_form_parameters_are_sorted_and_a_changed_value_fails(pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    provider = build("sms", "twilio", "arn", {})
    body = urlencode(pairs).encode()
    key = b"auth-token"
    message = (URL + "".join(n + v for n, v in sorted(set(pairs)))).encode()
    signature = base64.b64encode(hmac.new(key, message, hashlib.sha1).digest()).decode()
    headers = {"x-twilio-signature": signature}
    assert provider.verify(call(headers), body, (key,), NOW) is None
    shuffled = urlencode(list(reversed(pairs))).encode()
    assert provider.verify(call(headers), shuffled, (key,), NOW) is None
    name, value = pairs[0]
    changed = urlencode([(name, value + "x"), *pairs[1:]]).encode()
    if set(pairs) != {(name, value + "x"), *pairs[1:]}:
        assert provider.verify(call(headers), changed, (key,), NOW) == INVALID_SIGNATURE


def test_form_text_decodes_and_sorts_as_twilio_signs() -> None:
    assert form_text(b"b=2&a=%2B1&a=0&c=") == "a+1a0b2c"


@pytest.mark.parametrize(
    ("header", "found"),
    [
        ("t=1,v1=aa,v1=bb", ["aa", "bb"]),
        ("v1=aa, t=1", ["aa"]),
        ("t=1", None),  # no signature
        ("t=1," + ",".join(["v1=aa"] * 17), None),  # too many to try
    ],
)
def test_key_value_signature_lists(header: str, found: list[str] | None) -> None:
    values = {**generic_hmac.SCHEME.validate({"signature_list": ",", "signature_header": "s"})}
    options = generic_hmac.HmacOptions(values)
    signatures, _, reason = generic_hmac._signatures(options, {"s": header})
    assert (signatures if reason is None else None) == found


def test_numbered_headers_are_read_until_the_first_missing() -> None:
    values = generic_hmac.SCHEME.validate({"signature_header": "x-sig-{n}"})
    options = generic_hmac.HmacOptions(values)
    headers = {"x-sig-1": "a", "x-sig-2": "b", "x-sig-4": "d"}
    assert generic_hmac._signatures(options, headers)[0] == ["a", "b"]
    assert generic_hmac._signatures(options, {})[2] == MISSING_SIGNATURE


def test_url_unescape_decodes_only_the_listed_escapes() -> None:
    provider = build("crm", "hubspot", "arn", {})
    key = b"client-secret"
    url = "https://h.example.com/webhooks/crm?a=%3A%40%20"
    decoded = "https://h.example.com/webhooks/crm?a=:@%20"  # %20 is not on HubSpot's list
    message = f"POST{decoded}{{}}{NOW}000".encode()
    signature = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    headers = {"x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": f"{NOW}000"}
    assert provider.verify(call(headers, url), b"{}", (key,), NOW) is None


def test_a_plain_mapping_has_no_url_so_a_url_signature_fails() -> None:
    provider = build("shop", "square", "arn", {})
    headers = {"x-square-hmacsha256-signature": "AAAA"}
    assert call_of(headers).url == ""
    assert provider.verify(headers, b"{}", (b"k",), NOW) == INVALID_SIGNATURE


# ---- shared token ----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(secret=st.text(min_size=1, max_size=40).filter(lambda s: s.strip()), position=st.integers(0))
def test_a_token_differing_anywhere_fails(secret: str, position: int) -> None:
    provider = build("ci", "token", "arn", {"token_header": "x-token"})
    key = provider.signing_key(secret)
    assert provider.verify(call({"x-token": secret}), b"", (key,), NOW) is None
    index = position % len(secret)
    changed = secret[:index] + chr(ord(secret[index]) ^ 1) + secret[index + 1 :]
    assert provider.verify(call({"x-token": changed}), b"", (key,), NOW) == INVALID_SIGNATURE
    assert provider.verify(call({"x-token": secret + "x"}), b"", (key,), NOW) == INVALID_SIGNATURE


def test_basic_credentials_are_user_colon_password() -> None:
    provider = build("mail", "basic", "arn", {})
    key = provider.signing_key("user:pa:ss")
    good = "Basic " + base64.b64encode(b"user:pa:ss").decode()
    assert provider.verify(call({"authorization": good}), b"", (key,), NOW) is None
    assert (
        provider.verify(call({"authorization": "Bearer x"}), b"", (key,), NOW)
        == MALFORMED_SIGNATURE
    )
    assert (
        provider.verify(call({"authorization": "Basic !!"}), b"", (key,), NOW)
        == MALFORMED_SIGNATURE
    )
    assert provider.verify(call({}), b"", (key,), NOW) == MISSING_SIGNATURE
    with pytest.raises(ValueError, match="user:password"):
        provider.signing_key("no-colon")


def test_token_comparison_is_constant_time_over_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every listed key is compared, each as a SHA-256 digest with `hmac.compare_digest`: the
    time taken says neither which key matched nor how long the secret is."""
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    provider = build("ci", "token", "arn", {})
    provider.verify(call({"authorization": "second"}), b"", (b"first", b"second", b"third"), NOW)
    assert len(compared) == 3 and all(len(a) == len(b) == 32 for a, b in compared)


def test_hmac_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:

    calls: list[int] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    provider = build("cal", "calendly", "arn", {})
    provider.verify(call({"calendly-webhook-signature": f"t={NOW},v1=00"}), b"{}", (b"k",), NOW)
    assert calls  # compared with compare_digest, never ==


# ---- a signature inside the body ------------------------------------------------------------

IN_BODY = {
    "items": "items",
    "signed_fields": "id,amount.value,ok",
    "joiner": "|",
    "signature_field": "proof.sig",
    "encoding": "base64",
    "delivery_id_field": "id",
    "event_type_field": "kind",
}


def in_body_event(key: bytes, items: list[dict[str, Any]]) -> bytes:
    for item in items:
        message = f"{item['id']}|{item['amount']['value']}|{str(item['ok']).lower()}".encode()
        item["proof"] = {
            "sig": base64.b64encode(hmac.new(key, message, "sha256").digest()).decode()
        }
    return json.dumps({"items": items}).encode()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=8), st.integers(), st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_every_item_is_verified_and_a_changed_signed_field_fails(
    rows: list[tuple[str, int, bool]],
) -> None:
    provider = build("pay", "in-body", "arn", IN_BODY)
    key = b"in-body-key"
    items = [{"id": i, "amount": {"value": v}, "ok": ok, "kind": "k"} for i, v, ok in rows]
    body = in_body_event(key, items)
    assert provider.verify({}, body, (key,), NOW) is None
    data = json.loads(body)
    data["items"][-1]["amount"]["value"] += 1
    assert provider.verify({}, json.dumps(data).encode(), (key,), NOW) == INVALID_SIGNATURE
    assert provider.dedupe == "deliveryId"  # the id is a signed field


def test_in_body_refuses_what_it_cannot_read() -> None:
    provider = build("pay", "in-body", "arn", IN_BODY)
    assert provider.verify({}, b"{not json", (b"k",), NOW) == MALFORMED_SIGNATURE
    assert provider.verify({}, b'{"items": []}', (b"k",), NOW) == MALFORMED_SIGNATURE
    assert provider.verify({}, b'{"items": [{"id": "a"}]}', (b"k",), NOW) == MISSING_SIGNATURE


def test_in_body_options_are_checked() -> None:
    with pytest.raises(schemes.OptionError, match="signed_fields"):
        build("pay", "in-body", "arn", {"signed_fields": ""})
    with pytest.raises(schemes.OptionError, match="tolerance_seconds"):
        build("pay", "in-body", "arn", {"signed_fields": "a", "tolerance_seconds": 5})


def test_the_sender_side_signs_the_in_body_family_as_its_options_say() -> None:
    options = {k: v for k, v in IN_BODY.items()}
    provider = build("pay", "in-body", "arn", options)
    body = json.dumps({"items": [{"id": "a", "amount": {"value": 5}, "ok": "true"}]}).encode()
    signed = signing.sign_body("in-body", "secret", body, options)
    assert provider.verify({}, signed, (b"secret",), NOW) is None
    assert in_body.items(provider.options, signed)[0]["id"] == "a"


def test_json_paths_read_nested_strings() -> None:
    event = {"a": {"b": "x", "n": 1}}
    assert json_path_text(event, "a.b") == "x"
    assert json_path_text(event, "a.n") == ""
    assert json_path_text(event, "a.c.d") == ""


def test_a_placeholder_inside_a_signed_value_is_not_filled_in() -> None:
    """A delivery id that reads `{timestamp}` is signed as sent: else a captured request could
    be replayed under a new id (`a{timestamp}` for `a123`) with its old signature."""
    options = {**COMPOSED, "signed_content": "{id}.{timestamp}.{body}", "tolerance_seconds": 0}
    provider = build("acme", "hmac", "arn", options)
    key = b"k" * 16
    body = b"{}"
    ts = "123"
    legit = hmac.new(key, b"a123.123." + body, hashlib.sha256).hexdigest()
    replayed = {"x-sig": "v0=" + legit, "x-ts": ts, "x-id": "a{timestamp}"}
    assert provider.verify(call(replayed), body, (key,), NOW) == INVALID_SIGNATURE
    sent = {"x-sig": "v0=" + legit, "x-ts": ts, "x-id": "a123"}
    assert provider.verify(call(sent), body, (key,), NOW) is None
