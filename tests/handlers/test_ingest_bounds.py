"""Every input is bounded: what the receiver answers at and beyond each bound (issue: inputs)."""

import json

import pytest

from tests.handlers.test_ingest import Stack, answer, delivery, http_event
from webhooks import envelope

JSON_SCHEMES = ("stripe", "slack", "standard")


@pytest.fixture
def stack(aws: None) -> Stack:
    return Stack()


def _event(kind: str, delivery_id: str, **fields: object) -> bytes:
    """A body of `kind` whose id field is `delivery_id`, plus `fields`."""
    if kind == "stripe":
        data: dict[str, object] = {"id": delivery_id, "type": "charge.succeeded"}
    elif kind == "slack":
        data = {"event_id": delivery_id, "type": "event_callback", "event": {"type": "message"}}
    else:
        data = {"type": "invoice.paid"}
    data.update(fields)
    return json.dumps(data).encode()


def _send(target: Stack, provider: str, body: bytes) -> tuple[int, dict]:
    _, headers = delivery(provider, body=body, delivery_id="id-1")
    return answer(target.receiver.handle(http_event(provider, body, headers)))


@pytest.mark.parametrize("length", [257, 300_000])
def test_event_type_beyond_256_characters_is_a_400_not_a_503(stack: Stack, length: int) -> None:
    status, body = _send(stack, "standard", _event("standard", "id-1", type="t" * length))
    assert (status, body) == (400, {"error": "event type longer than 256 characters"})
    assert stack.messages() == []


def test_event_type_of_256_characters_is_queued(stack: Stack) -> None:
    assert _send(stack, "standard", _event("standard", "id-1", type="t" * 256))[0] == 202
    assert stack.messages()[0].event_type == "t" * 256


def test_an_event_type_header_beyond_256_characters_is_a_400(stack: Stack) -> None:
    sample, headers = delivery("github", event_type="e" * 257)
    status, body = answer(stack.receiver.handle(http_event("github", sample.body, headers)))
    assert (status, body) == (400, {"error": "event type longer than 256 characters"})


def test_a_source_ip_beyond_its_bound_is_a_400(stack: Stack) -> None:
    sample, headers = delivery("github")
    event = http_event("github", sample.body, headers)
    event["requestContext"]["http"]["sourceIp"] = "1" * (envelope.LIMITS["source_ip"] + 1)
    status, body = answer(stack.receiver.handle(event))
    assert (status, body) == (400, {"error": "source ip longer than 64 characters"})
    assert stack.messages() == []


def test_a_kept_header_beyond_its_bound_is_a_400(stack: Stack) -> None:
    sample, headers = delivery("github")
    headers["User-Agent"] = "u" * (envelope.MAX_HEADER_VALUE_LENGTH + 1)
    status, body = answer(stack.receiver.handle(http_event("github", sample.body, headers)))
    assert status == 400
    assert body == {"error": "header user-agent longer than 2048 characters"}


def test_an_envelope_too_big_even_when_archived_is_a_413_and_nothing_is_written(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(envelope, "MAX_MESSAGE_BYTES", 400)  # the fields alone exceed it
    sample, headers = delivery("github", size=40_000)
    status, body = answer(stack.receiver.handle(http_event("github", sample.body, headers)))
    assert (status, body) == (413, {"error": "delivery too large to queue"})
    assert stack.messages() == []
    assert "Contents" not in stack.s3.list_objects_v2(Bucket="webhooks-archive-test")


@pytest.mark.parametrize("provider", ["stripe", "standard"])
def test_more_than_16_signature_candidates_is_malformed(stack: Stack, provider: str) -> None:
    sample, headers = delivery(provider)
    name = "Stripe-Signature" if provider == "stripe" else "webhook-signature"
    junk = ",v1=" + "0" * 64 if provider == "stripe" else " v1," + "A" * 44

    def send(extra: int) -> tuple[int, dict]:
        signed = {**headers, name: headers[name] + junk * extra}
        return answer(stack.receiver.handle(http_event(provider, sample.body, signed)))

    assert send(15)[0] == 202  # 16 candidates, the real one among them
    assert send(16) == (401, {"error": "malformed signature"})
    assert send(250_000)[1] == {"error": "malformed signature"}


@pytest.mark.parametrize(
    ("provider", "field"), [("stripe", "id"), ("slack", "event_id"), ("standard", "type")]
)
def test_a_duplicated_key_we_read_is_a_400(stack: Stack, provider: str, field: str) -> None:
    text = _event(provider, "id-1").decode()
    body = (text[:-1] + f', "{field}": "other"}}').encode()
    status, answered = _send(stack, provider, body)
    assert (status, answered) == (400, {"error": f"body has the {field!r} key more than once"})
    assert stack.messages() == []


def test_a_duplicated_type_in_slacks_inner_event_is_a_400(stack: Stack) -> None:
    text = _event("slack", "id-1").decode()
    assert '"event": {' in text
    body = text.replace('"event": {', '"event": {"type": "other", ', 1).encode()
    status, answered = _send(stack, "slack", body)
    assert (status, answered) == (400, {"error": "body has the 'type' key more than once"})


def test_a_duplicated_inner_event_in_slacks_body_is_a_400(stack: Stack) -> None:
    """Its event type is read from `event`: which copy counts must not be left to a parser."""
    text = _event("slack", "id-1").decode()
    body = (text[:-1] + ', "event": {"type": "other"}}').encode()
    status, answered = _send(stack, "slack", body)
    assert (status, answered) == (400, {"error": "body has the 'event' key more than once"})


def test_a_duplicated_key_we_do_not_read_is_accepted(stack: Stack) -> None:
    body = _event("stripe", "evt_dup").decode()[:-1] + ', "note": 1, "note": 2}'
    assert _send(stack, "stripe", body.encode()) == (202, {"delivery_id": "evt_dup"})


@pytest.mark.parametrize("provider", JSON_SCHEMES)
def test_an_authentic_body_with_a_huge_integer_is_valid_json(stack: Stack, provider: str) -> None:
    text = _event(provider, "evt_big").decode()
    body = (text[:-1] + ', "amount": ' + "9" * 5000 + "}").encode()
    assert _send(stack, provider, body)[0] == 202
    assert stack.messages()[0].body == body  # the raw bytes, untouched


@pytest.mark.parametrize("provider", JSON_SCHEMES)
def test_leading_whitespace_is_parsed_like_any_json(stack: Stack, provider: str) -> None:
    plain = _event(provider, "evt_ws")
    for body in (plain, b" \r\n\t" + plain + b"\n"):
        assert _send(stack, provider, body)[0] == 202
    first, second = stack.messages()
    assert first.event_type == second.event_type != ""
    assert (first.delivery_id, second.delivery_id) == ((first.delivery_id,) * 2)
