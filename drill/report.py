"""The drill's table (Markdown) from its results dictionary."""


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
    out += ["", "Timeline:", "", "```", *o["events"], "```"]
    return "\n".join(out) + "\n"
