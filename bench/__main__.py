"""`python -m bench` (= `make bench`): measure, print the tables, write `bench/results/latest.*`."""

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

from . import (
    coldstart,
    cost,
    delivery,
    endtoend,
    handlers,
    payloads,
    pubkey,
    report,
    verification,
    writes,
)
from .timing import per_call_ns

RESULTS = Path(__file__).resolve().parent / "results"
COST_SIZES = {"1 KiB": 1024, "10 KiB": 10 * 1024, "100 KiB": 100 * 1024, "512 KiB": 512 * 1024}


def _machine() -> dict[str, object]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    data = b"x" * 1024
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_before": " ".join(f"{v:.1f}" for v in os.getloadavg()),
        "sha256_1k_us": per_call_ns(lambda: hashlib.sha256(data).digest()).median / 1000,
        "empty_loop_ns": per_call_ns(lambda: None).median,
    }


def _declared(stack) -> cost.Assumptions:
    """The cost assumptions with the stack's configured memory sizes and batch size."""
    functions = {f["handler"]: f for f in stack.declaration["functions"].values()}
    mapping = stack.declaration["mappings"][0]
    return cost.Assumptions(
        ingest_memory_mb=int(functions["ingest.handler"]["memorySize"]),
        process_memory_mb=int(functions["process.handler"]["memorySize"]),
        batch_size=int(mapping.get("batchSize") or 10),
        providers=len(stack.outputs["providers"]),
    )


def _end_to_end(deliveries: int, concurrency: int) -> tuple[dict | None, cost.Assumptions]:
    if deliveries <= 0:
        return None, cost.Assumptions()
    from local import LocalStack

    state = RESULTS.parent.parent / ".local" / "bench"
    with LocalStack.start(stack="dev", overrides=endtoend.OVERRIDES, state_dir=state) as s:
        return endtoend.run(s, deliveries, concurrency), _declared(s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="repetitions per figure")
    parser.add_argument("--cold-repeat", type=int, default=15, help="fresh interpreters each")
    parser.add_argument("--deliveries", type=int, default=500, help="end to end; 0 skips it")
    parser.add_argument("--concurrency", type=int, default=8, help="end to end senders")
    parser.add_argument(
        "--http-deliveries", type=int, default=200, help="to an HTTP destination; 0 skips it"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)

    started = time.time()
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "repeat": args.repeat,
        "machine": _machine(),
    }
    print("verification ...", file=sys.stderr)
    results["verification"] = verification.run(args.repeat)
    print("public-key senders ...", file=sys.stderr)
    results["pubkey"] = {
        "verification": pubkey.run(args.repeat),
        "import_ms": pubkey.imports(max(3, args.cold_repeat // 3)),
        "package": pubkey.package_size(),
    }
    print("handlers ...", file=sys.stderr)
    pipeline = handlers.Pipeline()
    results["ingest"] = handlers.run_ingest(pipeline, args.repeat)
    results["process"] = handlers.run_process(pipeline, args.repeat)
    print("processor writes ...", file=sys.stderr)
    results["writes"] = writes.run(args.repeat)
    print("cold start ...", file=sys.stderr)
    results["cold_start_ms"] = coldstart.run(args.cold_repeat)
    results["cold_start_from_source_ms"] = coldstart.run(args.cold_repeat, bytecode=False)
    print("first response ...", file=sys.stderr)
    first_events = {
        "ingest": handlers.signed_event(payloads.SAMPLE_SCHEME, 1024)[0],
        "process": handlers.sqs_event(
            pipeline.messages(payloads.SAMPLE_SCHEME, 1024, handlers.BATCH_SIZE)
        ),
    }
    results["first_response_ms"] = coldstart.run_first_response(
        first_events, max(3, args.cold_repeat // 3)
    )
    print("local stack end to end ...", file=sys.stderr)
    results["end_to_end"], assumptions = _end_to_end(args.deliveries, args.concurrency)

    print("cost ...", file=sys.stderr)
    prices = cost.load_prices()
    results["cost_assumptions"] = assumptions.as_dict()
    costs: list[dict[str, object]] = []
    results["cost"] = costs
    for label, size in COST_SIZES.items():
        measured = handlers.quantities(pipeline, size, max(3, args.repeat // 2))
        designs = cost.compare(prices, assumptions, _delivery(measured))
        costs.append(
            {
                "size": label,
                "quantities": measured,
                "designs": {
                    key: {"name": d.name, "total": d.total, "lines": d.lines}
                    for key, d in designs.items()
                },
                "ours_vs_rest": designs["ours"].total / designs["rest_recipe"].total,
                "ours_vs_unverified": designs["ours"].total / designs["unverified"].total,
                "url_vs_rest": designs["ours_function_url"].total / designs["rest_recipe"].total,
                "url_vs_unverified": designs["ours_function_url"].total
                / designs["unverified"].total,
            }
        )
    print("HTTP destinations ...", file=sys.stderr)
    results["http_delivery"] = delivery.run(
        prices, args.repeat, args.http_deliveries, args.concurrency
    )
    results["log_bytes"] = _log_bytes(
        handlers.quantities(pipeline, COST_SIZES["1 KiB"], 3), assumptions
    )
    results["load_after"] = " ".join(f"{v:.1f}" for v in os.getloadavg())
    results["seconds"] = round(time.time() - started)

    table = report.markdown(results)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "latest.json").write_text(json.dumps(results, indent=2, default=_plain) + "\n")
    (args.output / "latest.md").write_text(table)
    print(table)
    return 0


def _log_bytes(q: handlers.Quantities, a: cost.Assumptions) -> dict[str, float]:
    """Log bytes per delivery at 1 KiB, before (Text format: START/END/REPORT per invocation)
    and after (system log level WARN: none), for an accepted and a rejected delivery."""
    process = q["process_log_bytes"]
    out = {}
    for label, lines in (("before", a.text_platform_log_bytes), ("after", a.platform_log_bytes)):
        out[f"accepted_{label}"] = q["ingest_log_bytes"] + lines + process + lines / a.batch_size
        out[f"rejected_{label}"] = q["ingest_rejected_log_bytes"] + lines
    return out


def _delivery(measured: handlers.Quantities) -> cost.Delivery:
    return cost.Delivery(
        body_bytes=measured["body_bytes"],
        message_bytes=measured["message_bytes"],
        item_bytes=measured["item_bytes"],
        index_item_bytes=measured["index_item_bytes"],
        inline_item_bytes=measured["inline_item_bytes"],
        archived=measured["archived"],
        ingest_cpu_us=measured["ingest_cpu_us"],
        process_cpu_us=measured["process_cpu_us"],
        ingest_log_bytes=measured["ingest_log_bytes"],
        process_log_bytes=measured["process_log_bytes"],
    )


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


if __name__ == "__main__":
    sys.exit(main())
