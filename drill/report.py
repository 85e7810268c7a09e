"""The drill's table (Markdown) from its results dictionary."""

import json


def markdown(results: dict) -> str:
    o = results["outcome"]
    requests = o["requests"]
    verdict = "PASS" if results["passed"] else "FAIL: " + "; ".join(results["failures"])
    injected = o["injected"]
    rows = [
        ("requests sent", f"{sum(requests.values()):,} ({results['concurrency']} at a time)"),
        (
            "  plain valid / duplicates / large / poison",
            f"{requests.get('valid', 0):,} / {requests.get('duplicate', 0):,} / "
            f"{requests.get('large', 0):,} / {requests.get('poison', 0):,}",
        ),
        (
            "  poison bodies (to the publisher) / huge filtered lists",
            f"{requests.get('poison_body', 0):,} / {requests.get('huge_match', 0):,}",
        ),
        (
            "  forged / malformed",
            f"{requests.get('forged', 0):,} / {requests.get('malformed', 0):,}",
        ),
        ("accepted (202)", f"{o['accepted']:,}"),
    ]
    rows += [
        (f"rejected: {reason}", f"{n:,}") for reason, n in sorted(o["rejected_by_reason"].items())
    ]
    rows += [
        ("answers not as expected", f"{o['wrong_status_count']:,}"),
        (
            "sender retries (5xx/no answer)",
            ", ".join(f"{k} {v}" for k, v in o["sender_retries"].items()) or "0",
        ),
        ("valid unique deliveries", f"{o['valid_unique']:,}"),
        (
            "stored (one item each)",
            f"{o['stored']:,} of {o['valid_unique']:,}; items in table {o['items_in_table']:,}",
        ),
        ("large bodies archived to S3", f"{o['large_archived']:,} (inline: {o['large_inline']})"),
        ("poison stored after replay", f"{o['poison_stored']:,}"),
        ("duplicate requests accepted", f"{o['duplicates_accepted']:,}"),
        (
            "duplicates suppressed by the conditional put",
            f"{o['duplicates_suppressed']:,} (sender duplicates and redeliveries after "
            "failures or the kill)",
        ),
        ("forged/malformed stored", f"{o['forged_or_malformed_stored']:,}"),
        (
            "injected PutItem failures / poison refusals",
            f"{injected['throttled']:,} ({injected['put_item_failure_rate']:.0%}) / "
            f"{injected['poisoned']:,}",
        ),
        ("processor killed and restarted", f"{injected['processor_restarts']} worker restart(s)"),
        ("in DLQ before replay", f"{o['dlq_before_replay']:,}"),
        ("replay rounds (moved)", ", ".join(str(r["moved"]) for r in o["replay_rounds"]) or "none"),
        ("in DLQ after replay", f"{o['dlq_after_replay']:,}"),
        ("lost", f"{o['lost']:,}"),
        ("corrupted bodies", f"{o['corrupted']:,}"),
        *_subscriber_rows(o),
        *_destination_rows(o["http_destination"]),
        ("verdict", verdict),
    ]
    out = [
        f"Drill {results['date']}: {results['deliveries']:,} deliveries, seed {results['seed']}, "
        f"{results['seconds']} s, local stack (moto).",
        "",
        "| | |",
        "| --- | --- |",
    ]
    out += [f"| {name} | {value} |" for name, value in rows]
    out += ["", *_subscriber_table(o)]
    out += ["", "Timeline:", "", "```", *o["events"], "```"]
    return "\n".join(out) + "\n"


def _subscriber_rows(o: dict) -> list[tuple[str, str]]:
    """The subscriber lines of the main table: totals, faults, latency."""
    totals = o["subscriber_totals"]
    kinds = o["subscriber_by_kind"]
    latency = o["subscriber_latency_ms"]
    clock = " and ".join(o["subscriber_clock"]) or "no arrivals"
    retried = sum(p["retries"] for p in o["local_stack_stats"]["stream_pollers"])
    return [
        (
            f"injected PutEvents failures ({o['injected']['put_events_failure_rate']:.0%} of "
            "calls)",
            f"{o['injected'].get('put_events_failed', 0):,} calls failed: "
            f"{o['publisher'].get('PublishFailed', 0):,} records, {retried:,} stream "
            "batches retried",
        ),
        ("events published", f"{o['publisher'].get('Published', 0):,}"),
        ("publish DLQ / subscriber DLQs", f"{o['publish_dlq']:,} / {o['subscriber_dlqs']:,}"),
        (
            "subscriber deliveries expected / received",
            f"{totals['expected']:,} / {totals['received']:,}",
        ),
        (
            "  of large / poison / poison-body / huge-match deliveries",
            " / ".join(
                f"{kinds.get(k, {}).get('received', 0):,} of "
                f"{kinds.get(k, {}).get('expected', 0):,}"
                for k in ("large", "poison", "poison_body", "huge_match")
            ),
        ),
        ("most copies of one event at one subscriber", f"{o['subscriber_most_copies']:,}"),
        ("lost at subscribers", f"{totals['lost']:,}"),
        (
            "misrouted / forged or malformed / unplanned at subscribers",
            f"{totals['misrouted']:,} / {totals['forged_or_malformed']:,} / "
            f"{totals['unexpected']:,}",
        ),
        ("duplicates seen by subscribers (copies beyond the first)", f"{totals['duplicates']:,}"),
        (
            f"stored -> subscriber latency p50 / p99 / max ({clock})",
            f"{latency['p50']:,.0f} / {latency['p99']:,.0f} / {latency['max']:,.0f} ms"
            if latency
            else "none",
        ),
        (
            "not delivered locally (left out)",
            ", ".join(f"`{t}`" for t in o["not_delivered_locally"]) or "none",
        ),
    ]


def _destination_rows(d: dict) -> list[tuple[str, str]]:
    """The HTTP destination's lines: faults injected at the receiver and what came of them."""
    answers = d["answers"]
    return [
        (
            f"HTTP destination `{d['subscriber']}` ({json.dumps(d['filter'])}): injected",
            f"503 on {d['injected']['failure_share']:.0%}, stall past the timeout on "
            f"{d['injected']['timeout_share']:.0%}, down "
            + (", ".join(map(str, d["down_seconds"])) or "never")
            + " s",
        ),
        (
            "  attempts: ok / 503 / stalled",
            f"{answers.get('ok', 0):,} / {answers.get('failed', 0):,} / "
            f"{answers.get('stalled', 0):,} ({d['attempts']:,} requests)",
        ),
        (
            "  events expected / delivered / lost",
            f"{d['expected']:,} / {d['delivered']:,} / {d['lost']:,}",
        ),
        ("  duplicates delivered (2xx beyond the first)", f"{d['duplicates']:,}"),
        (
            "  copies the service received beyond the first (stalled answers included)",
            f"{d['copies_received']:,}",
        ),
        (
            "  unverified signatures / bodies not byte-exact",
            f"{d['unverified']:,} / {d['not_byte_exact']:,}",
        ),
        (
            f"  most requests in any 1 s / any 10 s (allowed at {d['rate_limit_per_second']}/s)",
            f"{d['most_in_any_second']} / {d['most_in_any_10_seconds']}"
            f" ({d['allowed_in_any_second']} / {d['allowed_in_any_10_seconds']})",
        ),
        ("  its DLQ at the end", f"{d['dlq']:,}"),
    ]


def _subscriber_table(o: dict) -> list[str]:
    """One line per managed subscriber: what the oracle expected and what arrived."""
    out = [
        "Subscribers (managed queues; expected from the subscriber config by the drill's oracle):",
        "",
        "| subscriber | filter | expected | received | lost | misrouted | forged/malformed "
        "| duplicates |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, c in o["subscribers"].items():
        config = json.dumps(o["subscriber_config"][name])
        out.append(
            f"| {name} | `{config}` | {c['expected']:,} | {c['received']:,} | {c['lost']:,} | "
            f"{c['misrouted']:,} | {c['forged_or_malformed']:,} | {c['duplicates']:,} |"
        )
    return out
