"""`python -m drill` (= `make drill`): the reliability drill against the local stack.

Sends the plan (`drill.plan`) concurrently while the local runtime fails 20% of `PutItem` calls,
every poison write and 20% of the publisher's `PutEvents` calls, kills the processor once mid-run,
waits for the queue to drain, removes the poison cause, replays the DLQ with the operator CLI's
replay, and checks the table and the archive; then drains the subscribers' queues (received
throughout the run) and checks them against an oracle of the subscriber config
(`drill.subscribers`). Short timeouts (processor 2 s, so visibility 12 s; 3 receives before the
DLQ) keep it to minutes. Exit status 0 only when every valid unique delivery is stored exactly
once and reached every subscriber it matches and no other, every forged or malformed one is
rejected with its status and stored and published nowhere, and nothing is lost; every body that
once poisoned the publisher (`plan.POISON_BODY`) or carries a huge filtered list reaches every
subscriber it matches, as `detail.match` can carry it; the publish DLQ stays empty (no stored
body is poison to the publisher); and no event reaches a subscriber more often than the stream
mapping's retry policy allows (1 + `MAXIMUM_RETRY_ATTEMPTS` copies).
"""

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from hookgate.components.publisher import MAXIMUM_RETRY_ATTEMPTS
from local import LocalStack
from local.config import PROVIDERS_KEY, load
from ops import signing, subscribers_http
from webhooks import schemes

from . import destination, plan, report, subscribers
from .run import Drill, check, processor_counts, publisher_counts, stored

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parent.parent
STACK = "dev"
OVERRIDES = {
    "processor.timeoutSeconds": 2,  # visibility timeout: 6 x 2 s = 12 s
    "queue.maxReceiveCount": 3,
    "subscribers": subscribers.CONFIG,
}
SUBSCRIBER_SETTLE_SECONDS = 3  # after the last expected arrival: late or misrouted copies
SUBSCRIBER_QUIET_SECONDS = 20  # nothing arriving for this long: the publisher has finished


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drill", description=__doc__)
    parser.add_argument("--deliveries", type=int, default=10_000, help="requests in total")
    parser.add_argument("--concurrency", type=int, default=16, help="senders at once")
    parser.add_argument("--failure-rate", type=float, default=0.2, help="PutItem failure share")
    parser.add_argument(
        "--put-events-failure-rate", type=float, default=0.2, help="PutEvents failure share"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--destination-down",
        type=float,
        default=destination.DOWN_SECONDS,
        help="seconds the HTTP destination is down (0: never)",
    )
    parser.add_argument(
        "--destination-down-after",
        type=float,
        default=destination.DOWN_AFTER_SECONDS,
        help="seconds after the sending starts that it goes down",
    )
    parser.add_argument(
        "--destination-failure-share",
        type=float,
        default=destination.FAILURE_SHARE,
        help="share of its requests the HTTP destination answers 503",
    )
    parser.add_argument(
        "--destination-timeout-share",
        type=float,
        default=destination.TIMEOUT_SHARE,
        help="share of its requests the HTTP destination stalls past the timeout",
    )
    parser.add_argument(
        "--processor-timeout",
        type=int,
        default=OVERRIDES["processor.timeoutSeconds"],
        help="the processor's timeout, seconds (its queue's visibility is 6 x that)",
    )
    parser.add_argument("--drain-timeout", type=float, default=900, help="seconds")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results directory")
    parser.add_argument(
        "--state-dir", type=Path, default=REPO / ".local" / "drill", help="local stack state"
    )
    args = parser.parse_args(argv)

    state = args.state_dir
    shutil.rmtree(state, ignore_errors=True)  # fresh logs: the duplicate count is read from them
    overrides = OVERRIDES | missing_scheme_providers(STACK)
    overrides["processor.timeoutSeconds"] = args.processor_timeout
    unsendable = sorted(set(signing.shared_secret_schemes()) - set(signing.SCHEMES))
    if unsendable:
        parser.error(
            f"ops/signing.py has no sender for scheme(s) {', '.join(unsendable)}: the drill signs "
            'every scheme\'s deliveries with it (docs/design.md, "Adding a sender scheme")'
        )
    outbound = destination.FlakyDestination(
        args.seed, args.destination_failure_share, args.destination_timeout_share
    )
    overrides["subscribers"] = subscribers.CONFIG | {
        destination.SUBSCRIBER: destination.config(outbound.url)
    }
    with LocalStack.start(stack=STACK, overrides=overrides, state_dir=state) as stack:
        drill = Drill(stack)
        outbound.secret = subscribers_http.rotate(
            stack.client("secretsmanager"),
            stack.outputs["subscriber_http"][destination.SUBSCRIBER]["secret_arn"],
        )
        providers = stack.outputs["providers"]
        large_bytes = int(stack.outputs["inline_body_limit"]) + 16 * 1024
        requests = plan.build(providers, args.deliveries, large_bytes, args.seed)
        drill.note(
            f"stack up: providers {providers}, max receives {stack.outputs['max_receive_count']}"
        )
        inbox = _inbox(stack, drill)
        faults = {
            "put_item_failure_rate": args.failure_rate,
            "put_events_failure_rate": args.put_events_failure_rate,
        }
        stack.set_faults(**faults, poison_markers=[plan.POISON_MARKER])
        outage = None
        if args.destination_down > 0:
            outage = outbound.down_for(args.destination_down_after, args.destination_down)
            drill.note(
                f"HTTP destination {destination.SUBSCRIBER}: down in"
                f" {args.destination_down_after:.0f} s for {args.destination_down:.0f} s"
            )
        drill.send_all(requests, args.concurrency, kill_after=len(requests) // 2)
        drained = drill.wait_drained(args.drain_timeout)
        drill.note(f"queue drained: {drained}")
        dlq_before = drill.depth("dlq_url")
        drill.note(f"DLQ holds {dlq_before}; removing the poison cause")
        stack.set_faults(**faults, poison_markers=[])
        rounds = drill.replay_dlq(rounds=6, drain_timeout=args.drain_timeout)
        dlq_after = drill.depth("dlq_url")
        queue_after = drill.depth("queue_url")
        drill.note(f"DLQ holds {dlq_after} after replay, queue {queue_after}")
        items = stored(stack)
        outcome = check(stack, drill.sent, items)
        wanted = subscribers.expected(subscribers.CONFIG, [s.request for s in drill.sent])
        complete = inbox.finish(
            wanted, SUBSCRIBER_SETTLE_SECONDS, SUBSCRIBER_QUIET_SECONDS, args.drain_timeout
        )
        drill.note(f"subscriber queues drained; every expected delivery arrived: {complete}")
        outbound_wanted = destination.expected([s.request for s in drill.sent])
        if outage is not None:
            outage.join()  # the deliveries it held back are among those waited for
        reached = destination.wait(outbound, outbound_wanted, args.drain_timeout)
        drill.note(f"HTTP destination: every matching event delivered: {reached}")
        subscriber_dlqs = sum(map(drill.depth_of, stack.outputs["subscriber_dlq_urls"].values()))
        publish_dlq = drill.depth("publish_dlq_url")
        counts = processor_counts(stack)
        published = publisher_counts(stack)
        stats = stack.stats()
        outbound_dlq = drill.depth_of(stack.outputs["subscriber_dlq_urls"][destination.SUBSCRIBER])
    outbound.stop()

    stored_at = {key: item["stored_at"]["S"] for key, item in items.items()}
    outcome |= subscribers.check(
        subscribers.CONFIG, [s.request for s in drill.sent], stored_at, inbox.got
    )

    outcome["http_destination"] = destination.check(
        outbound,
        outbound_wanted,
        {key: item["body_sha256"]["S"] for key, item in items.items()},
    ) | {"dlq": outbound_dlq, "down_planned_seconds": args.destination_down}
    outcome |= {
        "dlq_before_replay": dlq_before,
        "dlq_after_replay": dlq_after,
        "queue_after": queue_after,
        "replay_rounds": rounds,
        "processor": dict(counts),
        "duplicates_suppressed": counts["Duplicate"],
        "publisher": dict(published),
        "publish_dlq": publish_dlq,
        "subscriber_dlqs": subscriber_dlqs,
        "subscriber_clock": dict(inbox.clock),
        "not_delivered_locally": [t["target"] for t in stack.declaration.get("undelivered", [])],
        "injected": {
            "put_item_failure_rate": args.failure_rate,
            "put_events_failure_rate": args.put_events_failure_rate,
            "throttled": sum(f.get("throttled", 0) for f in stats["functions"].values()),
            "poisoned": sum(f.get("poisoned", 0) for f in stats["functions"].values()),
            "put_events_failed": sum(
                f.get("put_events_failed", 0) for f in stats["functions"].values()
            ),
            "processor_restarts": sum(f.get("restarts", 0) for f in stats["functions"].values()),
        },
        "local_stack_stats": stats,
        "events": drill.events,
    }
    failures = verdict(outcome, drained)
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "deliveries": args.deliveries,
        "concurrency": args.concurrency,
        "seed": args.seed,
        "seconds": round(time.time() - drill.started),
        "passed": not failures,
        "failures": failures,
        "outcome": outcome,
    }
    table = report.markdown(results)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.output / "latest.md").write_text(table)
    print(table)
    return 0 if not failures else 1


def missing_scheme_providers(stack: str) -> dict[str, object]:
    """Overrides adding a provider named after each registered scheme that none of the stack's
    own providers uses, so the drill sends with every sender scheme."""
    config = load(REPO, stack, OVERRIDES)
    providers = config.values.get(f"{config.project}:{PROVIDERS_KEY}") or {}
    used = {options.get("scheme") for options in providers.values()}
    return {
        f"providers.{name}": {"scheme": name}
        for name in schemes.names()
        if name not in used and signing.drillable(name)
    }


def verdict(outcome: dict, drained: bool) -> list[str]:
    """The pass conditions that do not hold (none: the drill passed)."""
    checks = {
        "queue drained before the replay": drained,
        "every request answered": outcome["unanswered"] == 0,
        "every answer as expected (202, or the forged/malformed status)": (
            outcome["wrong_status_count"] == 0
        ),
        "every valid unique delivery stored": outcome["stored"] == outcome["valid_unique"],
        "zero lost": outcome["lost"] == 0,
        "stored bodies match what was sent": outcome["corrupted"] == 0,
        "exactly once: one item per valid unique delivery, nothing else": (
            outcome["items_in_table"] == outcome["valid_unique"]
            and outcome["unexpected_items"] == 0
        ),
        "forged/malformed stored nowhere": outcome["forged_or_malformed_stored"] == 0,
        "large bodies archived to S3": outcome["large_inline"] == 0,
        "DLQ empty after replay": outcome["dlq_after_replay"] == 0,
        "queue empty at the end": outcome["queue_after"] == 0,
        "every stored delivery reached every subscriber it matches": (
            outcome["subscriber_totals"]["lost"] == 0
        ),
        "no subscriber received a delivery it does not match, nor anything unplanned": (
            outcome["subscriber_totals"]["misrouted"] == 0
            and outcome["subscriber_totals"]["unexpected"] == 0
        ),
        "nothing forged/malformed reached a subscriber": (
            outcome["subscriber_totals"]["forged_or_malformed"] == 0
        ),
        "no stored event in the publish DLQ (none is poison to the publisher)": (
            outcome["publish_dlq"] == 0
        ),
        "no event published more often than the stream retry policy allows": (
            outcome["subscriber_most_copies"] <= 1 + MAXIMUM_RETRY_ATTEMPTS
        ),
    }
    checks |= destination.verdict(outcome["http_destination"])
    return [name for name, held in checks.items() if not held]


def _inbox(stack: LocalStack, drill: Drill) -> subscribers.Inbox:
    """Start receiving from the managed subscriber queues; the config's and the stack's must
    be the same subscribers, or the oracle would check other queues than the stack has."""
    # The HTTP destination's queue is its deliver function's: the drill checks its receiver.
    queues = {
        name: url
        for name, url in stack.outputs["subscriber_queue_urls"].items()
        if name != destination.SUBSCRIBER
    }
    if sorted(queues) != subscribers.managed(subscribers.CONFIG):
        raise RuntimeError(f"the stack's subscriber queues are {sorted(queues)}")
    for target in stack.declaration.get("undelivered", []):
        drill.note(f"not delivered locally (left out of the checks): {target['target']}")
    inbox = subscribers.Inbox(stack.client("sqs"), queues)
    inbox.start()
    return inbox


if __name__ == "__main__":
    sys.exit(main())
