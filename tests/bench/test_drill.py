"""The reliability drill: its plan, the requests it signs, its verdict, and one small real run."""

import json
import time
from types import SimpleNamespace

import pytest
from webhooks import providers

from drill import plan
from drill.__main__ import main, verdict
from drill.run import provider_options

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
        "valid": 8200,
    }


def test_plan_is_shuffled_deterministic_and_consistent():
    requests = plan.build(PROVIDERS, 1000, 200_000, seed=7)
    again = plan.build(PROVIDERS, 1000, 200_000, seed=7)
    assert [r.key for r in requests] == [r.key for r in again]
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
    assert {r.event_type for r in requests} == {t for ts in plan.EVENT_TYPES.values() for t in ts}
    tiers = {json.loads(r.body)["drill"].get("tier") for r in requests if r.kind == "valid"}
    assert tiers == set(plan.TIERS)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_signed_requests_meet_the_verifier_as_planned(provider):
    """Valid ones verify, forged ones don't, malformed ones fail where the plan says."""
    options: dict[str, dict[str, object]] = {
        name: {"scheme": s, "secret_arn": "arn:x"} for name, s in PROVIDERS.items()
    }
    options["acme"] = ACME | {"secret_arn": "arn:x"}
    configured = providers.parse(json.dumps(options))[provider]
    keys = (
        (plan.signing.standard_key(SECRETS[provider]),)
        if configured.scheme.name == "standard"
        else (SECRETS[provider].encode(),)
    )
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
    }
    outcome.update(changes)
    return outcome


def test_verdict_passes_only_a_clean_outcome():
    assert verdict(_outcome(), drained=True) == []
    assert verdict(_outcome(), drained=False) == ["queue drained before the replay"]
    assert "zero lost" in verdict(_outcome(lost=1, stored=9), drained=True)
    assert verdict(_outcome(items_in_table=11), drained=True) == [
        "exactly once: one item per valid unique delivery, nothing else"
    ]
    assert verdict(_outcome(forged_or_malformed_stored=1), drained=True)
    assert verdict(_outcome(dlq_after_replay=2), drained=True) == ["DLQ empty after replay"]


def test_provider_options_come_from_the_declared_ingest_function():
    functions = {
        "a": {"environment": {"variables": {"TABLE_NAME": "t"}}},
        "b": {"environment": {"variables": {"PROVIDERS": json.dumps({"acme": ACME})}}},
    }
    stack = SimpleNamespace(declaration={"functions": functions})
    assert provider_options(stack) == {"acme": ACME}


@pytest.mark.slow
def test_small_drill_passes(tmp_path):
    """300 deliveries through the local stack with every fault; about a minute."""
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
