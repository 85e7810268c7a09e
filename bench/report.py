"""The benchmark's tables (Markdown) and the target checks, from the results dictionary."""

from . import verification

TARGETS = {
    "verification_vs_official": 1.0,
    "verification_vs_floor": 1.5,
    "ingest_us": 50.0,
    "process_us": 30.0,
    "cold_start_ms": 15.0,
    "cost_vs_rest": 0.5,
    "cost_vs_unverified": 1.10,
    "url_vs_unverified": 0.80,
    "url_vs_rest": 0.50,
    "concurrent_writes_speedup": 5.0,
    "first_response_vs_powertools": 0.5,
}


def _us(summary: dict) -> str:
    return f"{summary['median'] / 1000:,.1f} µs ±{summary['spread'] * 50:.0f}%"


def _x(summary: dict | None) -> str:
    return "—" if summary is None else f"{summary['median']:.2f}x"


def end_to_end(e2e: dict | None) -> list[str]:
    """The "Local stack end to end" part: throughput and latencies, labelled emulator figures."""
    title = "**5. Local stack end to end — EMULATOR FIGURES (moto on this machine, not AWS)**"
    out = ["", title, ""]
    if not e2e:
        return [*out, "not run"]
    subscriber = e2e["stored_to_subscriber_ms"]
    return [
        *out,
        f"Stored → subscriber: from the item's `stored_at` to the event's arrival in the "
        f"`{e2e['subscriber']}` subscriber's queue (its {e2e['subscriber_clock']}), through the "
        "table's stream, the publish function and the emulator's EventBridge.",
        "",
        "| deliveries | concurrency | deliveries/s | ack p50 | ack p99 | stored p50 | "
        "stored p99 | stored → subscriber p50 | stored → subscriber p99 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| {e2e['deliveries']} x {e2e['body_bytes']} B | {e2e['concurrency']} | "
        f"{e2e['deliveries_per_second']:.0f} | {e2e['ack_ms']['p50']:.0f} ms | "
        f"{e2e['ack_ms']['p99']:.0f} ms | {e2e['stored_ms']['p50']:.0f} ms | "
        f"{e2e['stored_ms']['p99']:.0f} ms | {subscriber['p50']:.0f} ms | "
        f"{subscriber['p99']:.0f} ms |",
    ]


def _ok(met: bool) -> str:
    return "met" if met else "**missed**"


def _cold_start(cached: dict, source: dict | None) -> list[str]:
    """The "Cold start" part: each module's import time, bytecode cached and from source."""
    out = [
        "",
        "**4. Cold start**: import time beyond `import boto3`, fresh interpreter each time; with "
        "the handlers' bytecode cached, and with the handlers compiled from source as Lambda runs "
        "our `.py`-only package (installed libraries, Powertools included, keep their bytecode)",
        "",
        "| module | bytecode cached | vs Powertools | compiled from source | vs Powertools |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in (n for n in _COLD_START_ROWS if n in cached):
        cells = []
        for figures in (cached, source):
            if figures is None or name not in figures:
                cells += ["—", "—"]
                continue
            c = figures[name]
            versus = c["median"] / figures["powertools"]["median"]
            cells += [f"{c['median']:.1f} ms ±{c['spread'] * 50:.0f}%", f"{versus:.2f}x"]
        out.append(f"| {_COLD_START_ROWS[name]} | {' | '.join(cells)} |")
    return out


_COLD_START_ROWS = {
    "ingest": f"ingest, {len(verification.SCHEMES)} providers (one per family module)",
    "ingest_one_provider": "ingest, 1 provider",
    "process": "process",
    "publish": "publish",
    "powertools": "powertools",
}


def targets(results: dict) -> list[tuple[str, str, bool]]:
    """(target, figure, met) for every target the results can be checked against."""
    checks = []
    for row in results["verification"]:
        name = f"verify {row['scheme']} {row['size']}"
        if row["ours_vs_official"]:
            value = row["ours_vs_official"]["median"]
            limit = TARGETS["verification_vs_official"]
            checks.append((f"{name}: ≤ official", f"{value:.2f}x", value <= limit))
        value = row["ours_vs_floor"]["median"]
        limit = TARGETS["verification_vs_floor"]
        checks.append((f"{name}: ≤ 1.5x floor", f"{value:.2f}x", value <= limit))
    for row in results["ingest"]:
        value = row["handler_ns"]["median"] / 1000
        met = value <= TARGETS["ingest_us"]
        checks.append((f"ingest {row['scheme']} 1 KiB ≤ 50 µs", f"{value:,.1f} µs", met))
    for row in results["process"]:
        value = row["handler_ns"]["median"] / 1000
        met = value <= TARGETS["process_us"]
        checks.append(("process 1 KiB ≤ 30 µs/record", f"{value:,.1f} µs", met))
    for label, key in (("", "cold_start_ms"), (" from source", "cold_start_from_source_ms")):
        for name in ("ingest", "ingest_one_provider", "process"):
            if name not in results.get(key, {}):
                continue
            value = results[key][name]["median"]
            met = value <= TARGETS["cold_start_ms"]
            row = _COLD_START_ROWS[name]
            checks.append((f"cold start {row}{label} ≤ 15 ms", f"{value:.1f} ms", met))
    first = results.get("first_response_ms") or {}
    for name in ("ingest", "process"):
        if name in first and f"powertools {name}" in first:
            value = (
                first[name]["total_ms"]["median"]
                / first[f"powertools {name}"]["total_ms"]["median"]
            )
            met = value <= TARGETS["first_response_vs_powertools"]
            checks.append((f"first response {name} ≤ 0.5x Powertools", f"{value:.2f}x", met))
    for row in results.get("writes", {}).get("throughput", []):
        if row["latency_ms"] == 8:
            value = row["speedup"]
            met = value >= TARGETS["concurrent_writes_speedup"]
            checks.append(("concurrent writes ≥ 5x sequential at 8 ms", f"{value:.1f}x", met))
    for row in results["cost"]:
        value = row["ours_vs_rest"]
        met = value <= TARGETS["cost_vs_rest"]
        checks.append((f"cost {row['size']} ≤ 50% of REST", f"{value:.0%}", met))
        value = row["ours_vs_unverified"]
        met = value <= TARGETS["cost_vs_unverified"]
        checks.append((f"cost {row['size']} httpApi ≤ 110% of unverified", f"{value:.0%}", met))
        if "url_vs_rest" in row:
            for key, name in (("url_vs_unverified", "unverified"), ("url_vs_rest", "REST")):
                value, limit = row[key], TARGETS[key]
                checks.append(
                    (
                        f"cost {row['size']} functionUrl ≤ {limit:.0%} of {name}",
                        f"{value:.0%}",
                        value <= limit,
                    )
                )
    return checks


def _writes(writes: dict | None) -> list[str]:
    """The processor's records per second and largest batch (bench/writes.py)."""
    if not writes:
        return []
    out = [
        "",
        f"**3b. Processor writes** (records/s per invocation, batch of "
        f"{writes['throughput'][0]['batch']}, PutItem latency simulated by a sleep; concurrent = "
        f"{writes['writers']} in flight)",
        "",
        "| PutItem latency | sequential | concurrent | speedup |",
        "| --- | --- | --- | --- |",
    ]
    for row in writes["throughput"]:
        out.append(
            f"| {row['latency_ms']} ms | {row['sequential_per_s']:,.0f}/s | "
            f"{row['concurrent_per_s']:,.0f}/s | {row['speedup']:.1f}x |"
        )
    out += [
        "",
        "Largest batch stored within 3/4 of the timeout at 8 ms per write (measured against the "
        "real deadline at a scaled-down timeout, scaled to the configured one) and what the "
        "settings allow (`processor.batchSize`, 80% of the rounds):",
        "",
        "| writers | timeout | measured | allowed by settings |",
        "| --- | --- | --- | --- |",
    ]
    for row in writes["largest_batch"]:
        out.append(
            f"| {row['writers']} | {row['timeout_s']} s | {row['measured_at_timeout']:,} "
            f"({row['stored_before_deadline']:,} in {row['probe_timeout_s']:g} s) | "
            f"{row['allowed_by_settings']:,} |"
        )
    return out


def _first_response(first: dict | None) -> list[str]:
    """Time to the first response in a fresh interpreter, with its breakdown."""
    if not first:
        return []
    out = [
        "",
        "**4b. First response** (fresh interpreter each: `import boto3`, the handler module, "
        "the first invocation with its client creation and AWS answered in memory; ms)",
        "",
        "| handler | import boto3 | import module | first invocation | total |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, row in first.items():
        out.append(
            f"| {name} | {row['boto3_ms']['median']:.0f} | {row['module_ms']['median']:.1f} | "
            f"{row['first_call_ms']['median']:.1f} | {row['total_ms']['median']:.0f} |"
        )
    return out


def _log_lines(log: dict | None) -> list[str]:
    if not log:
        return []
    return [
        "Log bytes per delivery at 1 KiB (ours; CloudWatch Logs ingestion): accepted "
        f"{log['accepted_before']:,.0f} B before (Text format, START/END/REPORT per "
        f"invocation) → {log['accepted_after']:,.0f} B after (JSON, system log level WARN); "
        f"rejected {log['rejected_before']:,.0f} B → {log['rejected_after']:,.0f} B.",
        "",
    ]


def _pubkey(pubkey: dict | None) -> list[str]:
    """The "Public-key senders" part (absent from runs made before it existed)."""
    if not pubkey:
        return []
    out = [
        "",
        "**1b. Public-key senders** (keys cached; official: the sender's own verifier)",
        "",
        "| sender | ours | official | ours/official |",
        "| --- | --- | --- | --- |",
    ]
    for row in pubkey["verification"]:
        official = _us(row["official_ns"]) if row.get("official_ns") else "—"
        out.append(
            f"| {row['scheme']} | {_us(row['ours_ns'])} | {official} | "
            f"{_x(row['ours_vs_official'])} |"
        )
    imports, package = pubkey["import_ms"], pubkey["package"]
    out += [
        "",
        f"Import of the ingest path with one provider, fresh interpreter: github "
        f"{imports['github']['median']:.1f} ms, discord (imports `cryptography`) "
        f"{imports['discord']['median']:.1f} ms. The package it adds: {package['files']} files, "
        f"{package['unpacked_bytes'] / 1e6:.1f} MB unpacked, "
        f"{package['zipped_bytes'] / 1e6:.1f} MB zipped.",
    ]
    return out


def http_delivery(http: dict | None) -> list[str]:
    """The "HTTP destinations" part: an HTTP destination's cost per million delivered events
    beside EventBridge API destinations, and the local stack's stored -> delivered latency
    (emulator figures)."""
    if not http:
        return []
    a = http["assumptions"]
    out = [
        f"**7. HTTP destinations: cost per million delivered events** (USD; deliver function "
        f"{a['memory_mb']} MB arm64, full batches of {a['batch_size']} run side by side; "
        "its CPU per attempt measured here in full batches, with AWS and the destination "
        "answered in memory; "
        f"assumed: the destination answers in {a['destination_ms']:g} ms, DynamoDB calls "
        f"{a['dynamodb_ms']:g} ms, S3 GET {a['s3_get_ms']:g} ms; a failed attempt is retried, "
        "so 1 / (1 - f) attempts per event; the publishing step, which API destinations need "
        "too, is left out)",
        "",
        "| body | failure rate | CPU/attempt | ours | EventBridge API destinations | "
        "where ours goes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in http["cost"]:
        lines = ", ".join(f"{k} ${v:.3f}" for k, v in row["lines"].items() if v >= 0.0005)
        out.append(
            f"| {row['size']} | {row['failure_rate']:.0%} | {row['attempt_cpu_us']:.0f} µs | "
            f"${row['total']:.2f} | ${row['api_destinations']:.2f} | {lines} |"
        )
    out += [
        "",
        "API destinations cost less and send the event JSON only: not the sender's bytes, "
        "no Standard Webhooks signature (a connection authenticates with an API key, basic "
        "auth or OAuth), no body above an event's 256 KB, no private network without more "
        'services (docs/design.md, "HTTP destinations"). Ours pays for the rate-limit slots '
        "(one conditional "
        "write claims a batch's: DynamoDB writes per delivered attempt, counted: "
        f"{http['cost'][0]['state_writes_per_attempt']:g}) and the attempt's log line, which "
        "is also its attempt log.",
        "",
    ]
    local = http.get("local")
    if local:
        latency = local["stored_to_delivered_ms"]
        out += [
            f"Local stack, stored -> delivered to an HTTP destination (EMULATOR FIGURES: moto, "
            f"local workers, a local receiver; {local['deliveries']} deliveries, "
            f"{local['concurrency']} senders): p50 {latency['p50']:,.0f} ms, "
            f"p99 {latency['p99']:,.0f} ms, max {latency['max']:,.0f} ms.",
            "",
        ]
    return out


def markdown(results: dict) -> str:
    """All tables of one run."""
    machine = results["machine"]
    out = [
        f"Run {results['date']} on {machine['cpu']} ({machine['cores']} cores, load average "
        f"{machine['load_before']} before the run), Python {machine['python']}. Medians of "
        f"{results['repeat']} repetitions, ± half the min-max spread; ratios are medians of "
        "per-repetition ratios taken side by side. Calibration on this machine: "
        f"SHA-256 of 1 KiB {machine['sha256_1k_us']:.1f} µs, empty loop "
        f"{machine['empty_loop_ns']:.0f} ns.",
        "",
        "**1. Signature verification** (ns → µs per call)",
        "",
        "| scheme | body | ours | official lib | floor (hmac + compare) | ours/official | "
        "ours/floor |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results["verification"]:
        official = _us(row["official_ns"]) if row.get("official_ns") else "—"
        out.append(
            f"| {row['scheme']} | {row['size']} | {_us(row['ours_ns'])} | {official} | "
            f"{_us(row['floor_ns'])} | {_x(row['ours_vs_official'])} | "
            f"{_x(row['ours_vs_floor'])} |"
        )
    out += _pubkey(results.get("pubkey"))
    out += [
        "",
        "**2-3. Handlers, whole path, 1 KiB** (handler: AWS clients replaced by in-memory objects; "
        "+ botocore: real clients, only the HTTP send answered in memory)",
        "",
        "| path | scheme | handler | + botocore | floor | handler/floor | + botocore/floor |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for path, rows in (
        ("ingest, per request", results["ingest"]),
        ("process, per record", results["process"]),
    ):
        for row in rows:
            out.append(
                f"| {path} | {row['scheme']} | {_us(row['handler_ns'])} | "
                f"{_us(row['handler_sdk_ns'])} | {_us(row['floor_ns'])} | "
                f"{_x(row['handler_vs_floor'])} | {_x(row['handler_sdk_vs_floor'])} |"
            )
    out += _writes(results.get("writes"))
    out += _cold_start(results["cold_start_ms"], results.get("cold_start_from_source_ms"))
    out += _first_response(results.get("first_response_ms"))
    out += end_to_end(results.get("end_to_end"))
    a = results["cost_assumptions"]
    out += [
        "",
        f"**6. Cost per million deliveries** (USD, us-east-1 list prices in `bench/prices.json`; "
        f"ingest {a['ingest_memory_mb']} MB, process {a['process_memory_mb']} MB arm64, batch "
        f"{a['batch_size']}; CPU time of the handlers with botocore (as in 2-3, at each size) x "
        f"{a['full_vcpu_memory_mb']} MB / memory "
        f"(1 vCPU at {a['full_vcpu_memory_mb']} MB), plus assumed AWS call latency "
        f"(SendMessage {a['sqs_send_ms']:g} ms, PutItem {a['dynamodb_put_ms']:g} ms, PutObject "
        f"{a['s3_put_ms']:g} ms), rounded up to 1 ms; provisioned table at "
        f"{a['provisioned_utilisation']:.0%} utilisation)",
        "",
        "| body | message | item (payload) | ours | ours, functionUrl | REST recipe | unverified "
        "| ours/REST | ours/unverified | functionUrl/REST | functionUrl/unverified |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results["cost"]:
        q = row["quantities"]
        item = f"{q['item_bytes']:,} B ({q['payload_bytes']:,} B)"
        if q["archived"]:
            item = f"{q['item_bytes']:,} B (body in S3)"
        url = row["designs"].get("ours_function_url")
        url_total = f"${url['total']:.2f}" if url else "—"
        url_ratios = (
            f"{row['url_vs_rest']:.0%} | {row['url_vs_unverified']:.0%}"
            if "url_vs_rest" in row
            else "— | —"
        )
        out.append(
            f"| {row['size']} | {q['message_bytes']:,} B | {item} | "
            f"${row['designs']['ours']['total']:.2f} | {url_total} | "
            f"${row['designs']['rest_recipe']['total']:.2f} | "
            f"${row['designs']['unverified']['total']:.2f} | {row['ours_vs_rest']:.0%} | "
            f"{row['ours_vs_unverified']:.0%} | {url_ratios} |"
        )
    first = results["cost"][0]
    ours, unverified = first["designs"]["ours"], first["designs"]["unverified"]
    premium = {
        name: value - unverified["lines"].get(name, 0.0)
        for name, value in ours["lines"].items()
        if abs(value - unverified["lines"].get(name, 0.0)) >= 0.0005
    }
    out += [
        "",
        f"Where the money goes, ours at {first['size']}: "
        + ", ".join(f"{k} ${v:.3f}" for k, v in ours["lines"].items() if v),
        "",
        f"Price of verification at {first['size']} (ours - unverified, "
        f"${ours['total'] - unverified['total']:.3f}): "
        + ", ".join(f"{k} ${v:+.3f}" for k, v in premium.items()),
        "",
        "AWS EventBridge Webhook Events: no column, its price is not published (EventBridge's "
        "inbound webhooks are a template of a function URL and a Lambda calling PutEvents, "
        "priced as those parts; `bench/prices.json`). Delivery to subscribers (the publishing "
        "step) is priced in `cost.publishing_step`; with it, ours costs "
        + ", ".join(
            f"${row['designs']['ours_publishing']['total']:.2f} at {row['size']}"
            for row in results["cost"]
            if "ours_publishing" in row["designs"]
        )
        + " (one matching subscriber queue).",
        "",
        *_log_lines(results.get("log_bytes")),
        "Left out of every design: storage (table, archive, log retention), data transfer, idle "
        "queue polling. Reference designs keep our processor and item; without a claim check "
        "they store every body inline.",
        "",
        *http_delivery(results.get("http_delivery")),
        "**Targets** (reported, not asserted)",
        "",
        "| target | figure | |",
        "| --- | --- | --- |",
    ]
    out += [f"| {name} | {figure} | {_ok(met)} |" for name, figure, met in targets(results)]
    return "\n".join(out) + "\n"
