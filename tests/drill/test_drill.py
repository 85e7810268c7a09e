"""The reliability drill: its plan, the requests it signs, its verdict, and one small real run."""

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest
from moto.events.models import EventPattern

from drill import __main__ as drill_main
from drill import plan, subscribers
from drill.__main__ import STACK, main, missing_scheme_providers, verdict
from drill.run import provider_options
from hookgate.components.subscribers import match_paths, read_subscribers
from ops import signing
from webhooks import providers, schemes
from webhooks.publish import match_values

PROVIDERS = {
    "acme": "hmac",
    "github": "github",
    "shopify": "shopify",
    "slack": "slack",
    "standard-webhooks": "standard",
    "stripe": "stripe",
}
ACME = {
    "scheme": "hmac",
    "signature_header": "x-acme-signature",
    "signature_prefix": "sha256=",
    "timestamp_header": "x-acme-timestamp",
    "tolerance_seconds": 300,
    "delivery_id_header": "x-acme-delivery",
    "signed_content": "{id}.{timestamp}.{body}",
}
SECRETS = {
    "acme": "acme-secret",
    "github": "github-secret",
    "shopify": "shopify-secret",
    "slack": "slack-secret",
    "standard-webhooks": "whsec_c3RhbmRhcmQtd2ViaG9va3MtZHJpbGwta2V5",
    "stripe": "whsec_stripe",
}


def test_counts_follow_the_shares():
    assert plan.counts(10_000) == {
        "duplicate": 1000,
        "forged": 500,
        "malformed": 100,
        "large": 100,
        "poison": 100,
        "poison_body": 100,
        "huge_match": 100,
        "valid": 8000,
    }


def test_plan_is_shuffled_deterministic_and_consistent():
    requests = plan.build(PROVIDERS, 1000, 200_000, seed=7)
    assert requests == plan.build(PROVIDERS, 1000, 200_000, seed=7)  # every field, bodies too
    assert [r.key for r in requests] != [r.key for r in plan.build(PROVIDERS, 1000, 200_000, 8)]
    assert len(requests) == 1000
    originals = {r.key: r for r in requests if r.kind == "valid"}
    duplicates = [r for r in requests if r.kind == "duplicate"]
    assert duplicates and all(originals[d.key].body == d.body for d in duplicates)
    unique = [r for r in requests if r.kind != "duplicate"]
    assert len({r.key for r in unique}) == len(unique)
    assert all(plan.POISON_MARKER in r.delivery_id for r in requests if r.kind == "poison")
    assert not any(plan.POISON_MARKER in r.delivery_id for r in requests if r.kind != "poison")
    assert all(len(r.body) == 200_000 for r in requests if r.kind == "large")
    assert {r.provider for r in requests} == set(PROVIDERS)
    assert requests[:50] != sorted(requests[:50], key=lambda r: r.kind)
    assert all(len(r.body) == plan.BODY_BYTES for r in requests if r.kind == "valid")
    assert {r.event_type for r in requests} == {
        t for scheme in PROVIDERS.values() for t in signing.EVENT_TYPES[scheme]
    }
    tiers = {json.loads(r.body)["drill"].get("tier") for r in requests if r.kind == "valid"}
    assert tiers == set(plan.TIERS)
    for request in requests:  # valid JSON, the poison ones included
        if request.kind not in ("poison_body", "huge_match"):
            continue
        data = json.loads(request.body)
        if request.kind == "poison_body":
            assert data["poison"]["infinite"] == float("inf")
            assert data["poison"]["surrogate"] == "\ud800"
        if request.kind == "huge_match":
            assert data["drill"]["tier"] == plan.HUGE_TIERS


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_signed_requests_meet_the_verifier_as_planned(provider):
    """Valid ones verify, forged ones don't, malformed ones fail where the plan says."""
    options: dict[str, dict[str, object]] = {
        name: {"scheme": s, "secret_arn": "arn:x"} for name, s in PROVIDERS.items()
    }
    options["acme"] = ACME | {"secret_arn": "arn:x"}
    configured = providers.parse(json.dumps(options))[provider]
    keys = (configured.signing_key(SECRETS[provider]),)
    requests = plan.build(PROVIDERS, 3000, 1024, seed=3)
    by_kind = {r.kind: r for r in requests if r.provider == provider}
    for kind, request in by_kind.items():
        headers = plan.headers(request, SECRETS[provider], options.get(provider))
        lower = {k.lower(): v for k, v in headers.items()}
        reason = configured.verify(lower, request.body, keys, int(time.time()))
        if kind == "forged":
            assert reason == "invalid signature"
        elif kind == "malformed" and request.expected_status == 401:
            assert reason is not None
        else:  # valid, duplicate, poison, and malformed-with-400 (authentic, unreadable)
            assert reason is None, (kind, reason)


def test_every_sender_scheme_gets_a_provider_besides_the_dev_stacks_own():
    """The registry's schemes that no dev provider uses are added, named after the scheme."""
    added = missing_scheme_providers(STACK)
    assert {"providers.shopify", "providers.slack"} <= set(added)
    # every named sender the drill can send as (ops.signing.drillable)
    assert "providers.twilio" not in added and "providers.square" not in added
    assert "providers.okta" in added and added["providers.okta"] == {"scheme": "okta"}


def test_a_registered_scheme_gets_a_provider_too(monkeypatch):
    names = (*schemes.names(), "tickets")
    monkeypatch.setattr(schemes, "names", lambda: names)
    assert missing_scheme_providers(STACK)["providers.tickets"] == {"scheme": "tickets"}


def test_a_scheme_the_sender_side_cannot_sign_stops_the_drill_before_it_starts(
    monkeypatch, tmp_path, capsys
):
    names = (*schemes.names(), "tickets")
    monkeypatch.setattr(schemes, "names", lambda: names)
    monkeypatch.setattr(drill_main.LocalStack, "start", _must_not_start)
    with pytest.raises(SystemExit) as exited:
        drill_main.main(["--state-dir", str(tmp_path / "state")])
    assert exited.value.code == 2
    assert "ops/signing.py has no sender for scheme(s) tickets" in capsys.readouterr().err


def _must_not_start(*args: object, **kwargs: object) -> None:
    raise AssertionError("the local stack started")


def _request(provider: str, event_type: str, fields: dict[str, Any], kind: str = "valid"):
    body = json.dumps({"id": "x", "drill": fields}).encode()
    scheme = PROVIDERS[provider]
    return plan.Request(kind, provider, scheme, "d-" + event_type, event_type, body, 202)


ORACLE_CONFIG: dict[str, dict[str, Any]] = {
    "stripe": {"providers": ["stripe"]},
    "invoices": {"eventTypes": ["invoice.*", "ping"]},
    "gold": {"payload": {"drill.tier": ["gold"], "drill.n": [1]}},
    "flags": {"payload": {"drill.flag": [True]}},
    "all": {},
    "far": {"target": "arn:aws:events:eu-west-1:210987654321:event-bus/central"},
}


@pytest.mark.parametrize(
    ("provider", "event_type", "fields", "receivers"),
    [
        ("stripe", "invoice.paid", {}, {"stripe", "invoices", "all"}),
        ("stripe", "charge.succeeded", {"tier": "gold", "n": 1}, {"stripe", "gold", "all"}),
        ("github", "invoice", {}, {"all"}),  # "invoice.*" needs the dot
        ("github", "ping", {"tier": "gold"}, {"invoices", "all"}),  # ping.x would not match
        ("github", "push", {"tier": ["silver", "gold"], "n": 1}, {"gold", "all"}),  # any element
        ("github", "push", {"tier": "gold", "n": 2}, {"all"}),  # every path must match
        ("github", "push", {"tier": {"gold": 1}, "n": 1}, {"all"}),  # an object is no value
        ("github", "push", {"flag": True}, {"flags", "all"}),
        ("github", "push", {"flag": 1, "n": True, "tier": "gold"}, {"all"}),  # 1 is not true
        ("acme", "", {}, {"all"}),  # no type: detail-type "unknown"
    ],
)
def test_the_oracle_reads_the_short_form(provider, event_type, fields, receivers):
    request = _request(provider, event_type, fields)
    assert subscribers.matching(ORACLE_CONFIG, request) == receivers


def test_the_oracle_expects_nothing_for_what_is_not_stored_and_no_target():
    assert subscribers.managed(ORACLE_CONFIG) == ["all", "flags", "gold", "invoices", "stripe"]
    for kind in ("forged", "malformed"):
        assert subscribers.matching(ORACLE_CONFIG, _request("stripe", "ping", {}, kind)) == set()
    for kind in ("duplicate", "large", "poison"):
        assert "all" in subscribers.matching(ORACLE_CONFIG, _request("stripe", "ping", {}, kind))


def test_the_drills_subscribers_split_its_traffic():
    """Each filter takes some deliveries and leaves others, large and poison ones included."""
    requests = plan.build(PROVIDERS, 10_000, 200_000, seed=1)
    wanted = subscribers.expected(subscribers.CONFIG, requests)
    assert "central" not in wanted
    everything = set(wanted["everything"])
    assert len(everything) == len({r.key for r in requests if r.stores})
    for name, keys in wanted.items():
        if name != "everything":
            assert 0 < len(keys) < len(everything), name
    for kind in ("large", "poison"):
        of_kind = {r.key for r in requests if r.kind == kind}
        assert 0 < len(of_kind & set(wanted["gold"])) < len(of_kind), kind
    huge = {r.key for r in requests if r.kind == "huge_match"}  # "gold" is in each tier list
    assert huge and not huge & (set(wanted["gold"]) | set(wanted["eu-orders"]))
    assert huge <= set(wanted["everything"])


def test_the_program_routes_the_drill_as_the_oracle_says():
    """The program's generated patterns, matched by moto as the local stack's bus matches them,
    against the oracle: a difference here is the generator's or moto's, not the stack's."""
    settings = read_subscribers({"subscribers": subscribers.CONFIG}, tuple(PROVIDERS))
    paths = match_paths(settings)
    for request in plan.build(PROVIDERS, 3000, 1024, seed=5):
        if not request.stores:
            continue
        event: Any = {
            "source": "webhooks." + request.provider,
            "detail-type": request.event_type or "unknown",
            "detail": {"match": match_values(json.loads(request.body), paths)[0]},
        }
        routed = {
            s.name
            for s in settings
            if s.managed and EventPattern(None, s.event_pattern()).matches_event(event)
        }
        assert routed == subscribers.matching(subscribers.CONFIG, request), request


def test_subscriber_check_counts_each_kind_of_arrival():
    config = {"stripe": {"providers": ["stripe"]}, "all": {}}
    invoice = _request("stripe", "invoice.paid", {})
    push = _request("github", "push", {})
    forged = plan.Request("forged", "github", "github", "f", "push", b"{}", 401)
    duplicate = plan.Request("duplicate", "stripe", "stripe", invoice.delivery_id, "x", b"", 202)
    stored_at = {invoice.key: "2026-11-28T17:00:00.000Z", push.key: "2026-11-28T17:00:01.000Z"}
    t0 = 1_795_885_200.0  # 2026-11-28T17:00:00Z
    got = {
        "stripe": {invoice.key: [t0 + 0.5, t0 + 0.2], push.key: [t0 + 9]},  # a copy; misrouted
        "all": {invoice.key: [t0 + 0.1], forged.key: [t0], "unreadable: x": [t0]},  # push lost
    }
    result = subscribers.check(config, [duplicate, invoice, push, forged], stored_at, got)
    assert result["subscribers"]["stripe"] == {
        "expected": 1,
        "received": 1,
        "lost": 0,
        "misrouted": 1,
        "forged_or_malformed": 0,
        "unexpected": 0,
        "duplicates": 1,
    }
    all_ = result["subscribers"]["all"]
    assert (all_["expected"], all_["received"], all_["lost"]) == (2, 1, 1)
    assert (all_["forged_or_malformed"], all_["unexpected"], all_["duplicates"]) == (1, 1, 0)
    assert result["subscriber_totals"]["lost"] == 1
    assert result["subscriber_totals"]["duplicates"] == 1
    assert result["subscriber_by_kind"] == {"valid": {"expected": 3, "received": 2}}
    latency = result["subscriber_latency_ms"]  # the first copy of each: 200 ms and 100 ms
    assert latency["count"] == 2
    assert latency["max"] == pytest.approx(200)
    assert latency["p50"] == pytest.approx(150)


class _Queues:
    """An SQS client with one batch of messages per queue, then nothing."""

    def __init__(self, batches: dict[str, list[dict[str, Any]]]) -> None:
        self.batches = batches
        self.deleted: list[str] = []

    def receive_message(self, QueueUrl: str, **_: Any) -> dict[str, Any]:
        batch = self.batches.pop(QueueUrl, [])
        if not batch:
            time.sleep(0.05)
        return {"Messages": batch}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> None:
        self.deleted += [e["ReceiptHandle"] for e in Entries]


def _message(provider: str, delivery_id: str, sent_ms: int | None) -> dict[str, Any]:
    body = json.dumps({"detail": {"provider": provider, "delivery_id": delivery_id}})
    message: dict[str, Any] = {"Body": body, "ReceiptHandle": delivery_id}
    if sent_ms is not None:
        message["Attributes"] = {"SentTimestamp": str(sent_ms)}
    return message


def test_inbox_receives_deletes_and_times_each_arrival():
    sqs = _Queues({"q1": [_message("stripe", "a", 1_000_500)], "q2": [_message("acme", "b", None)]})
    inbox = subscribers.Inbox(sqs, {"one": "q1", "two": "q2"})
    before = time.time()
    inbox.start()
    wanted: subscribers.Arrivals = {"one": {"stripe#a": []}, "two": {"acme#b": []}}
    assert inbox.finish(wanted, settle=0.1, quiet=5, timeout=10) is True
    assert inbox.got["one"] == {"stripe#a": [1000.5]}
    [[received]] = inbox.got["two"].values()
    assert received >= before
    assert inbox.clock == {"SentTimestamp": 1, "receive time": 1}
    assert sorted(sqs.deleted) == ["a", "b"]
    assert subscribers.delivery_key("not json") == "unreadable: not json"


def test_inbox_gives_up_when_nothing_comes():
    inbox = subscribers.Inbox(_Queues({}), {"one": "q1"})
    inbox.start()
    assert inbox.finish({"one": {"stripe#a": []}}, settle=0.1, quiet=0.3, timeout=10) is False


def _outcome(**changes):
    outcome = {
        "unanswered": 0,
        "wrong_status_count": 0,
        "stored": 10,
        "valid_unique": 10,
        "lost": 0,
        "corrupted": 0,
        "items_in_table": 10,
        "unexpected_items": 0,
        "forged_or_malformed_stored": 0,
        "large_inline": 0,
        "dlq_after_replay": 0,
        "queue_after": 0,
        "subscriber_totals": {"lost": 0, "misrouted": 0, "unexpected": 0, "forged_or_malformed": 0},
        "publish_dlq": 0,
        "subscriber_most_copies": 1,
        "http_destination": _destination(),
    }
    outcome.update(changes)
    return outcome


def _destination(**changes):
    return {
        "expected": 5,
        "lost": 0,
        "unverified": 0,
        "not_byte_exact": 0,
        "most_in_any_second": 31,
        "most_in_any_10_seconds": 256,
        "allowed_in_any_second": 31,
        "allowed_in_any_10_seconds": 256,
        "rate_limit_per_second": 25,
        "down_seconds": [60.0],
        "down_planned_seconds": 60.0,
        "dlq": 0,
    } | changes


def _subscribers(**changes):
    return {"lost": 0, "misrouted": 0, "unexpected": 0, "forged_or_malformed": 0} | changes


def test_verdict_passes_only_a_clean_outcome():
    assert verdict(_outcome(), drained=True) == []
    assert verdict(_outcome(), drained=False) == ["queue drained before the replay"]
    assert "zero lost" in verdict(_outcome(lost=1, stored=9), drained=True)
    assert verdict(_outcome(items_in_table=11), drained=True) == [
        "exactly once: one item per valid unique delivery, nothing else"
    ]
    assert verdict(_outcome(forged_or_malformed_stored=1), drained=True)
    assert verdict(_outcome(dlq_after_replay=2), drained=True) == ["DLQ empty after replay"]
    assert verdict(_outcome(publish_dlq=1), drained=True) == [
        "no stored event in the publish DLQ (none is poison to the publisher)"
    ]
    assert verdict(_outcome(subscriber_most_copies=11), drained=True) == []
    assert verdict(_outcome(subscriber_most_copies=12), drained=True) == [
        "no event published more often than the stream retry policy allows"
    ]
    reached = "every stored delivery reached every subscriber it matches"
    only = "no subscriber received a delivery it does not match, nor anything unplanned"
    forged = "nothing forged/malformed reached a subscriber"
    for changes, failed in [
        ({"lost": 1}, reached),
        ({"misrouted": 2}, only),
        ({"unexpected": 1}, only),
        ({"forged_or_malformed": 1}, forged),
    ]:
        outcome = _outcome(subscriber_totals=_subscribers(**changes))
        assert verdict(outcome, drained=True) == [failed]


def test_verdict_fails_each_http_destination_condition():
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lost": 1}, "every event matching the HTTP destination delivered at least once"),
        ({"expected": 0}, "every event matching the HTTP destination delivered at least once"),
        ({"unverified": 1}, "every HTTP request signed"),
        ({"not_byte_exact": 1}, "every HTTP request signed"),
        ({"most_in_any_10_seconds": 257}, "rate limit held over every 1 s and 10 s"),
        ({"most_in_any_second": 32}, "rate limit held over every 1 s and 10 s"),
        ({"down_seconds": []}, "planned outage happened"),
        ({"dlq": 1}, "DLQ is empty"),
    ]
    for changes, failed in cases:
        [failure] = verdict(_outcome(http_destination=_destination(**changes)), drained=True)
        assert failed in failure
    assert (
        verdict(
            _outcome(http_destination=_destination(down_seconds=[], down_planned_seconds=0)),
            drained=True,
        )
        == []
    )


def test_provider_options_come_from_the_declared_ingest_function():
    functions = {
        "a": {"environment": {"variables": {"TABLE_NAME": "t"}}},
        "b": {"environment": {"variables": {"PROVIDERS": json.dumps({"acme": ACME})}}},
    }
    stack = SimpleNamespace(declaration={"functions": functions})
    assert provider_options(stack) == {"acme": ACME}


@pytest.mark.slow
def test_small_drill_passes(tmp_path):
    """300 deliveries through the local stack with every pipeline fault and the HTTP
    destination's (fewer failures, a 5 s outage); about a minute. The processor's timeout is
    1 s (its queue's visibility 6 s), so the poison deliveries reach the DLQ sooner."""
    code = main(
        [
            "--deliveries",
            "300",
            "--concurrency",
            "8",
            "--output",
            str(tmp_path / "results"),
            "--state-dir",
            str(tmp_path / "state"),
            "--processor-timeout",
            "1",
            "--destination-down",
            "5",
            "--destination-down-after",
            "2",
            "--destination-failure-share",
            "0.1",
            "--destination-timeout-share",
            "0.05",
        ]
    )
    results = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert code == 0, results["failures"]
    outcome = results["outcome"]
    assert outcome["lost"] == 0
    assert outcome["stored"] == outcome["valid_unique"] == outcome["items_in_table"]
    assert outcome["injected"]["throttled"] > 0
    assert outcome["injected"]["processor_restarts"] >= 1
    assert outcome["dlq_before_replay"] >= outcome["requests"]["poison"] > 0
    totals = outcome["subscriber_totals"]
    assert totals["received"] == totals["expected"] > outcome["valid_unique"]
    assert totals["lost"] == totals["misrouted"] == totals["forged_or_malformed"] == 0
    assert totals["unexpected"] == 0
    for kind in ("large", "poison", "poison_body", "huge_match"):
        counts = outcome["subscriber_by_kind"][kind]
        assert counts["received"] == counts["expected"] > 0, kind
    assert outcome["publish_dlq"] == 0
    assert outcome["subscriber_most_copies"] <= 11
    assert outcome["publisher"]["PublishFailed"] > 0  # PutEvents failures were injected
    assert outcome["subscriber_latency_ms"]["count"] == totals["received"]
    http = outcome["http_destination"]
    assert http["delivered"] == http["expected"] > 0 and http["lost"] == 0
    assert http["injected"] == {"failure_share": 0.1, "timeout_share": 0.05}
    assert http["answers"].get("failed", 0) + http["answers"].get("stalled", 0) > 0
    assert len(http["down_seconds"]) == 1  # the outage happened, and the events came through
    assert http["unverified"] == http["not_byte_exact"] == 0
    assert http["most_in_any_second"] <= http["allowed_in_any_second"]
    assert http["dlq"] == 0 and "duplicates" in http
    assert outcome["not_delivered_locally"] == [subscribers.CONFIG["central"]["target"]]
    table = (tmp_path / "results" / "latest.md").read_text()
    assert "| lost at subscribers | 0 |" in table


def test_the_destination_check_counts_a_stalled_then_retried_request_as_a_copy() -> None:
    """A stalled request reached the service whole; its retry is a second copy there, though
    only one 2xx came back."""
    from drill import destination

    def attempt(key: str, answer: str) -> destination.Attempt:
        return destination.Attempt(
            key=key, answer=answer, verified=True, body_sha256="00", webhook_id="msg"
        )

    fake = SimpleNamespace(
        attempts=[
            attempt("stripe#a", "stalled"),
            attempt("stripe#a", "ok"),
            attempt("stripe#b", "failed"),
            attempt("stripe#b", "ok"),
        ],
        receiver=SimpleNamespace(most_in_any_second=lambda: 1, most_in_any=lambda _: 2),
        down=[],
        failure_share=0.2,
        timeout_share=0.05,
    )
    outcome = destination.check(fake, {"stripe#a", "stripe#b"}, {})  # type: ignore[arg-type]
    assert (outcome["delivered"], outcome["lost"], outcome["duplicates"]) == (2, 0, 0)
    assert outcome["copies_received"] == 1
