"""Property tests of `Publisher.entry`: for any valid JSON body (deep nesting, huge and special
numbers, every Unicode class, long strings, long lists at filtered paths) and any event type
ingest accepts, the entry is one PutEvents accepts (tests/handlers/putevents.py), the body
comes back byte for byte, and moto's pattern matcher routes it to exactly the subscribers whose
pattern matches the body itself, but for a path the event reports as not matchable."""

import base64
import hashlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hookgate.components.subscribers import match_paths, read_subscribers
from tests.handlers.putevents import assert_accepted, matches
from tests.handlers.test_publish import BUS, item
from webhooks import envelope
from webhooks.publish import Publisher, match_values

SUBSCRIBERS = read_subscribers(
    {
        "subscribers": {
            "gold": {"payload": {"tier": ["gold", 7, True]}},
            "nested": {"payload": {"a.b": ["x", 1.5, 9223372036854775807]}},
            "both": {"eventTypes": ["push*"], "payload": {"tier": ["gold"], "a.b": ["x"]}},
            "pushes": {"providers": ["github"], "eventTypes": ["push", "push.*"]},
            "all": {},
        }
    },
    ("github",),
)
PATHS = match_paths(SUBSCRIBERS)

special_numbers = st.sampled_from(
    [
        "1e400",
        "-1e400",
        "1E5",
        "-0",
        "0.0000001",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "1.7976931348623157e308",
        "4.9e-324",
    ]
)
numbers = (
    special_numbers
    | st.integers().map(str)
    | st.floats(allow_nan=False).filter(lambda f: f == f and abs(f) != float("inf")).map(repr)
)
texts = st.text(st.characters(codec=None, categories=None), max_size=40) | st.sampled_from(
    ["\ud800", "\udfff", "a\ud83dz", "\ud83d\ude00", "\x00", "\u2028", "\ufffe", "gold", "x"]
)
strings = texts.map(json.dumps)  # ASCII escapes: a lone surrogate is valid JSON text
scalars = st.sampled_from(["null", "true", "false"]) | numbers | strings


def sizes(largest: int) -> st.SearchStrategy[int]:
    """Counts up to `largest`, the large ones as often as the small (Hypothesis favours small)."""
    return st.integers(0, 16) | st.integers(largest // 2, largest)


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


def _object(members: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in members) + "}"


values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4).map(_array)
        | st.lists(st.tuples(texts, inner), max_size=4).map(_object)
    ),
    max_leaves=20,
)
filtered = (
    scalars
    | st.lists(st.sampled_from(['"gold"', '"x"', "7", "1.5", "true", '"silver"']), max_size=6).map(
        _array
    )
    | st.tuples(st.sampled_from(['"gold"', '"x"', '"y"']), sizes(20_000)).map(
        lambda t: _array([t[0]] * t[1])  # a long list of one value
    )
    | sizes(12_000).map(lambda n: _array([json.dumps(f"file-{i}") for i in range(n)]))
    | st.integers(250, 300).map(lambda n: json.dumps("g" * n))  # around the value bound
    | st.integers(250, 300).map(lambda n: _array([json.dumps("g" * n), '"gold"', "1e400"]))
)
deep = (st.sampled_from([997, 998, 999, 1000, 3000]) | st.integers(1, 3000)).map(
    lambda d: "[" * d + "]" * d
)
long_text = sizes(400_000).map(lambda n: json.dumps("\x01" * (n // 6) + "é" * (n // 2)))


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    members: list[tuple[str, str]] = []
    if draw(st.booleans()):
        members.append(("tier", draw(filtered)))
    if draw(st.booleans()):
        members.append(("a", _object([("b", draw(filtered))])))
    extra = draw(st.sampled_from(["none", "value", "deep", "long"]))
    if extra != "none":
        strategy = {"value": values, "deep": deep, "long": long_text}[extra]
        members.append(("extra", draw(strategy)))
    draw(st.randoms()).shuffle(members)
    return _object(members).encode()


event_types = st.sampled_from(["push", "push.x", "ping", ""]) | st.text(
    st.characters(codec="utf-8"), max_size=256
).map(lambda t: "push." + t)


class Archive:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def write(self, request: Any) -> None:
        checksum = base64.b64encode(hashlib.sha256(request["Body"]).digest()).decode()
        assert request["ChecksumSHA256"] == checksum
        self.objects[request["Key"]] = request["Body"]


def _body_back(detail: dict[str, Any], archive: Archive) -> bytes:
    if "body_s3_key" in detail:
        return archive.objects[detail["body_s3_key"]]
    if detail.get("body_base64"):
        return base64.b64decode(detail["body"])
    return detail["body"].encode()


def _oracle_event(raw: bytes, event_type: str) -> dict[str, Any] | None:
    """The event a rule would see if `detail.match` held every filtered value in full."""
    try:
        data = json.loads(raw)
    except RecursionError:
        return None
    match: dict[str, Any] = {}
    for path in PATHS:
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, dict):
            node = match
            *parents, leaf = path.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
    return {
        "source": "webhooks.github",
        "detail-type": event_type or "unknown",
        "detail": {"match": match},
    }


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies(), event_type=event_types, archived=st.booleans())
def test_every_valid_body_makes_an_accepted_entry_routed_as_its_body(
    body: bytes, event_type: str, archived: bool
) -> None:
    archive = Archive()
    stored = item(body, event_type=event_type, archived=archived)
    if archived:  # as ingest stores it: at the content key
        key = envelope.archive_key("github", hashlib.sha256(body).hexdigest())
        archive.objects[key] = body
        stored["payload_s3_key"] = {"S": key}
    publisher = Publisher(
        BUS,
        match_paths=PATHS,
        archive_bucket="archive",
        read_archived=archive.objects.__getitem__,
        write_archived=archive.write,
    )
    event = assert_accepted(publisher.entry(stored))
    detail = event["detail"]
    assert detail["event_type"] == event_type
    if "payload" in detail:
        assert detail["payload"] == json.loads(body)
    else:
        assert _body_back(detail, archive) == body
    for key, value in archive.objects.items():  # every object at its own bytes' key
        assert key.endswith(hashlib.sha256(value).hexdigest())

    oracle = _oracle_event(body, event_type)
    unmatched = set(detail.get("unmatched", ()))
    for subscriber in SUBSCRIBERS:
        pattern = subscriber.event_pattern()
        got = matches(pattern, event)
        if oracle is None:  # deeper than any parser here: only subscribers without filters
            assert got == (not subscriber.payload and matches(pattern, event)), subscriber.name
            continue
        wanted = matches(pattern, oracle)
        assert wanted or not got, f"{subscriber.name} got an event its pattern does not match"
        if not any(path in unmatched for path, _ in subscriber.payload):
            assert got == wanted, subscriber.name


def test_the_oracle_sees_what_the_bounds_leave_out() -> None:
    """The property above can fail: a value the publisher leaves out still matches in the
    oracle, so dropping a matchable value would show."""
    raw = json.dumps({"tier": ["silver"] * 3 + ["gold"]}).encode()
    oracle = _oracle_event(raw, "push")
    assert oracle is not None
    gold = next(s for s in SUBSCRIBERS if s.name == "gold")
    assert matches(gold.event_pattern(), oracle)
    assert not matches(gold.event_pattern(), {**oracle, "detail": {"match": {}}})
    assert match_values(json.loads(raw), PATHS)[0] == {"tier": ["silver", "gold"]}
