"""Every named sender end to end through the local stack, with its catalogue `example` as the
provider entry, written as a user writes it: `ops send` signs as the sender does (stored once,
byte-exact, with the sender's delivery id and event type), a wrong secret gets the status the
sender is refused with, and each handshake is answered the way the sender checks it
(`ops handshake`)."""

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ops import events, handshake, outputs, send, senders, signing

CATALOGUE = {entry["name"]: entry for entry in senders.catalogue()}
SETTLE_SECONDS = 60


GROUP = 12  # providers per local stack: PROVIDERS must fit the function's 4 KB environment
NAMES = sorted(CATALOGUE)


class Stacks:
    """One local stack per group of senders, the previous one stopped when the next starts
    (the tests run sender by sender, in order)."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self._tmp = tmp
        self._group = -1
        self._local: Any = None
        self._outputs: outputs.Outputs | None = None
        self._env = pytest.MonkeyPatch()

    def for_sender(self, name: str) -> outputs.Outputs:
        group = NAMES.index(name) // GROUP
        if group != self._group or self._outputs is None:
            self.stop()
            from local import LocalStack

            names = NAMES[group * GROUP : (group + 1) * GROUP]
            overrides = {f"providers.{n}": CATALOGUE[n]["example"] for n in names}
            state_dir = self._tmp.mktemp(f"senders-{group}")
            self._local = LocalStack.start(stack="dev", overrides=overrides, state_dir=state_dir)
            for variable, value in self._local.client_env().items():
                self._env.setenv(variable, value)
            path = state_dir / "outputs.json"
            path.write_text(json.dumps(self._local.outputs))
            self._outputs, self._group = outputs.load(str(path)), group
        return self._outputs

    def stop(self) -> None:
        if self._local is not None:
            self._local.stop()
            self._local = self._outputs = None
        self._env.undo()


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stacks]:
    made = Stacks(tmp_path_factory)
    try:
        yield made
    finally:
        made.stop()


def stored(stack: outputs.Outputs, provider: str, delivery_id: str) -> list[dict]:
    table = stack.text("table_name")
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        found = events.get_events(stack.client("dynamodb"), table, provider, delivery_id)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


@pytest.mark.parametrize("name", NAMES)
def test_the_sender_end_to_end(stacks: Stacks, name: str) -> None:
    stack = stacks.for_sender(name)
    delivery = send.prepare(stack, name)
    url, body, headers = delivery.signed()
    first = send.post((url, body, headers))
    assert 200 <= first.status < 300, first.text
    again = send.post(delivery.signed())  # the sender's retry, signed afresh
    assert 200 <= again.status < 300, again.text
    keyed = signing.keyed_by_content(name)
    expected = hashlib.sha256(body).hexdigest() if keyed else delivery.delivery_id
    if first.json():
        assert first.json() == {"delivery_id": expected}
    found = stored(stack, name, expected)
    assert len(found) == 1, f"{name}: {len(found)} stored under {expected}"
    item = found[0]
    assert events.body(item, stack.client("s3"), stack.text("archive_bucket")) == body
    assert item.get("event_type", {}).get("S", "") == delivery.event_type

    forged = send.prepare(stack, name, forge=True)
    answer = send.post(forged.signed())
    assert answer.status == 401, answer.text  # Xero's contract; the default for the others

    if name in signing.HANDSHAKES:
        assert handshake.run_handshake(stack, name) == []
    else:  # GET only where the sender makes a GET handshake
        step = signing.HandshakeStep("GET", "challenge=x", {}, b"", lambda *_: None)
        status, answered, _ = handshake.perform(send.provider_url(stack, name), step)
        assert status == 405 and "GET" not in answered.get("allow", ""), (status, answered)


FUNCTION_URL = {
    "api.kind": "functionUrl",
    "api.throttlingRateLimit": None,
    "api.throttlingBurstLimit": None,
    "ingest.reservedConcurrency": 4,
}


def test_the_function_url_carries_the_url_and_the_handshakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a function URL: Twilio's signature over the URL as called verifies, Meta's GET
    and Intercom's HEAD handshakes are answered, and GET is refused for the others."""
    from local import LocalStack

    names = ("twilio", "meta", "intercom", "square")
    overrides = {**FUNCTION_URL, **{f"providers.{n}": CATALOGUE[n]["example"] for n in names}}
    with LocalStack.start(stack="dev", overrides=overrides, state_dir=tmp_path) as local:
        for variable, value in local.client_env().items():
            monkeypatch.setenv(variable, value)
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(local.outputs))
        stack = outputs.load(str(path))
        for name in ("twilio", "square"):
            delivery = send.prepare(stack, name)
            answer = send.post(delivery.signed())
            assert 200 <= answer.status < 300, (name, answer.text)
        assert handshake.run_handshake(stack, "meta") == []
        assert handshake.run_handshake(stack, "intercom") == []
        step = signing.HandshakeStep("GET", "", {}, b"", lambda *_: None)
        assert handshake.perform(send.provider_url(stack, "twilio"), step)[0] == 405
