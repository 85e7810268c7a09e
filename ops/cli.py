"""`python -m ops`: send signed sample deliveries, inspect stored events, drain the DLQ.

Every command reads the stack outputs only (see `ops.outputs`), so it drives the local stack and
a real stack alike. Expected failures print one line on stderr and exit 1; usage errors exit 2.
"""

import argparse
import json
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from ops import destinations, dlq, events, outputs, replay, republish, send, signing
from ops.errors import OpsError


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except OpsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ClientError as error:
        details = error.response.get("Error", {})
        print(
            f"error: AWS refused {error.operation_name}: "
            f"{details.get('Code', '?')}: {details.get('Message', '')}",
            file=sys.stderr,
        )
        return 1
    except BotoCoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ops",
        description="Send signed sample deliveries, inspect stored events, drain the DLQ.",
    )
    parser.add_argument(
        "--outputs",
        metavar="FILE",
        help=f"stack outputs JSON (default: ${outputs.ENV_VAR}, else {outputs.LOCAL_FILE})",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    p = commands.add_parser("send", help="send a signed sample delivery to a provider's URL")
    p.add_argument("provider")
    body = p.add_mutually_exclusive_group()
    body.add_argument("--body", metavar="FILE", type=Path, help="send this file's bytes")
    body.add_argument("--size", metavar="BYTES", type=_positive, help="sample body of this size")
    p.add_argument("--event-type", metavar="T", help="event type (default: the sample's)")
    p.add_argument("--delivery-id", metavar="ID", help="delivery id (default: a fresh one)")
    p.add_argument(
        "--forge", action="store_true", help="sign with a wrong secret (expect 401, exit 0 then)"
    )
    p.add_argument(
        "--options",
        metavar="JSON",
        type=_json_object,
        help="hmac provider options as in PROVIDERS (default: the provider_options output)",
    )
    p.add_argument(
        "--repeat", metavar="N", type=_positive, default=1, help="send the same delivery N times"
    )
    p.set_defaults(run=_send)

    p = commands.add_parser("events", help="stored events")
    sub = p.add_subparsers(title="events commands", required=True, metavar="COMMAND")
    q = sub.add_parser("list", help="newest events (a provider's by time, else a bounded scan)")
    q.add_argument("--provider", metavar="P")
    q.add_argument("--since", metavar="ISO", help="received at or after, e.g. 2026-11-28T17:00")
    q.add_argument("--limit", metavar="N", type=_positive, default=20)
    q.set_defaults(run=_events_list)
    q = sub.add_parser("show", help="one stored event's metadata, or its original bytes")
    q.add_argument("provider")
    q.add_argument("delivery_id")
    q.add_argument("--body", action="store_true", help="write the original bytes to stdout")
    q.set_defaults(run=_events_show)
    q = sub.add_parser(
        "replay",
        help="publish stored events again (replayed: true), to the bus or one subscriber",
        description=(
            "Reads the provider's events by time (index by_provider), 10 per page, and publishes"
            " each page again; a checkpoint file makes an interrupted run resume after its last"
            " finished page (ops/republish.py)."
        ),
    )
    q.add_argument("--provider", metavar="P", required=True)
    q.add_argument("--since", metavar="ISO", help="received at or after")
    q.add_argument("--until", metavar="ISO", help="received at or before")
    q.add_argument("--event-type", metavar="X", help="only this event type")
    q.add_argument("--subscriber", metavar="NAME", help="only to this subscriber's target")
    q.add_argument("--dry-run", action="store_true", help="list what would be published")
    q.add_argument(
        "--rate", metavar="N", type=float, default=republish.DEFAULT_RATE, help="events per second"
    )
    q.add_argument("--checkpoint", metavar="FILE", type=Path, help="resumable position file")
    q.set_defaults(run=_events_replay)

    p = commands.add_parser("subscribers", help="the stack's subscribers")
    sub = p.add_subparsers(title="subscribers commands", required=True, metavar="COMMAND")
    q = sub.add_parser("list", help="every subscriber: its rule, and its queue or target")
    q.set_defaults(run=_subscribers_list)
    q = sub.add_parser(
        "tail",
        help="print the events a managed subscriber's queue receives, as they come",
        description=(
            "Receives without deleting (the consumer still gets every event): each message is"
            " made visible again at once and printed once."
        ),
    )
    q.add_argument("name")
    q.add_argument("--seconds", metavar="S", type=float, help="stop after S seconds")
    q.set_defaults(run=_subscribers_tail)
    destinations.register(sub)

    p = commands.add_parser("dlq", help="dead-letter queue")
    sub = p.add_subparsers(title="dlq commands", required=True, metavar="COMMAND")
    q = sub.add_parser("depth", help="approximate message counts of the queue and the DLQ")
    q.set_defaults(run=_dlq_depth)
    q = sub.add_parser(
        "replay",
        help="move DLQ messages back to the queue",
        description=(
            "Starts StartMessageMoveTask (all messages) where the endpoint has it; otherwise, or "
            "with --max, moves messages itself with a crash-safe journal (see ops/replay.py)."
        ),
    )
    q.add_argument("--max", metavar="N", type=_positive, help="move at most N messages")
    q.add_argument("--journal", metavar="FILE", type=Path, help="journal of the manual move")
    q.add_argument("--queue", metavar="SUBSCRIBER", help="a managed subscriber's DLQ instead")
    q.set_defaults(run=_dlq_replay)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not JSON") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"{text!r} is not a JSON object")
    return value


def _send(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    if args.body is not None:
        try:
            body = args.body.read_bytes()
        except OSError as error:
            raise OpsError(f"cannot read --body {args.body}: {error.strerror}") from None
    else:
        body = None
    delivery = send.prepare(
        stack,
        args.provider,
        body=body,
        size=args.size,
        event_type=args.event_type,
        delivery_id=args.delivery_id,
        forge=args.forge,
        options=args.options,
    )
    if signing.reads_options(delivery.scheme) and delivery.options is None:
        print(
            f"warning: no header options known for hmac provider {args.provider!r} (the stack "
            "has no provider_options output): signing with the scheme's defaults; pass "
            "--options '{\"signature_header\": ...}' (PROVIDERS keys, docs/contract.md)",
            file=sys.stderr,
        )
    expected = {401} if args.forge else None
    ok = True
    for _ in range(args.repeat):
        response = send.post(delivery.signed())
        print(f"{response.status} {response.text}")
        ok &= response.status in expected if expected else 200 <= response.status < 300
    delivery_id = response.json().get("delivery_id") or delivery.delivery_id
    print(f"delivery id: {delivery_id}", file=sys.stderr)
    return 0 if ok else 1


def _events_list(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    if args.provider is not None:
        stack.provider(args.provider)
    items = events.list_events(
        stack.client("dynamodb"),
        stack.text("table_name"),
        provider=args.provider,
        since=args.since,
        limit=args.limit,
    )
    for item in items:
        print("\t".join(str(item.get(name, "")) for name in events.LISTED))
    if not items:
        print("no events", file=sys.stderr)
    return 0


def _events_show(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    stack.provider(args.provider)
    found = events.get_events(
        stack.client("dynamodb"), stack.text("table_name"), args.provider, args.delivery_id
    )
    if not found:
        raise OpsError(f"no stored event {args.provider}/{args.delivery_id}")
    item = found[0]
    if len(found) > 1:
        # A conflict: the id arrived with different bytes. Both are kept; show every one.
        print(
            f"warning: {len(found)} events arrived under {args.provider}/{args.delivery_id}"
            f" with different bytes (a conflict); --body writes the first: {item['pk']['S']}",
            file=sys.stderr,
        )
    if args.body:
        try:
            raw = events.body(item, stack.client("s3"), stack.text("archive_bucket"))
        except ValueError as error:
            raise OpsError(f"cannot read the body of {args.delivery_id}: {error}") from None
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
    elif len(found) == 1:
        print(json.dumps(events.metadata(item), indent=2, sort_keys=True, default=str))
    else:
        shown = [events.metadata(each) for each in found]
        print(json.dumps(shown, indent=2, sort_keys=True, default=str))
    return 0


def _dlq_depth(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    sqs = stack.client("sqs")
    print(f"{'':6}{'visible':>10}{'in flight':>11}{'delayed':>9}")
    for label, name in (("queue", "queue_url"), ("dlq", "dlq_url")):
        depth = dlq.depth(sqs, stack.text(name))
        print(f"{label:6}{depth.visible:>10}{depth.not_visible:>11}{depth.delayed:>9}")
    return 0


def _dlq_replay(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    sqs = stack.client("sqs")
    dlq_url, queue_url, dlq_arn, queue_arn = destinations.queues(stack, sqs, args.queue)
    if args.max is None and args.journal is None:
        handle = replay.start_move_task(sqs, dlq_arn=dlq_arn, queue_arn=queue_arn)
        if handle is not None:
            print(f"started StartMessageMoveTask {handle}")
            print("progress: aws sqs list-message-move-tasks --source-arn " + dlq_arn)
            return 0
        print("endpoint has no StartMessageMoveTask: moving messages here", file=sys.stderr)
    journal_path = args.journal or replay.default_journal_path(dlq_url)
    with replay.Journal(journal_path) as journal:
        result = replay.move_messages(
            sqs, dlq_url=dlq_url, queue_url=queue_url, journal=journal, limit=args.max
        )
    print(f"moved {result.moved} message(s) from the DLQ to the queue")
    if result.cleaned:
        print(f"deleted {result.cleaned} already sent by an interrupted replay (not sent again)")
    if result.came_back:
        print(f"stopped: {result.came_back} replayed message(s) failed again and are in the DLQ")
    if result.cleared:
        print(f"cleared {result.cleared} journal entr(ies): verified gone from the DLQ")
    if result.still_pending:
        print(
            f"{result.still_pending} message(s) sent by an interrupted replay are still invisible "
            f"in the DLQ; run the replay again after {replay.RECEIVE_VISIBILITY_SECONDS} s "
            f"(journal {journal_path})"
        )
    if result.dlq is not None:
        print(f"DLQ now: {result.dlq.visible} visible, {result.dlq.not_visible} in flight")
    if not result.settled:
        print(
            "not settled: messages are in flight in the DLQ or journaled sends are unresolved;"
            f" run the replay again after {replay.RECEIVE_VISIBILITY_SECONDS} s",
            file=sys.stderr,
        )
        return 1
    return 0


def _events_replay(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    stack.provider(args.provider)
    region = stack.text("region")
    bus = stack.text("bus_name")
    account = stack.text("bus_arn").split(":")[4]
    match = stack.get("publish_match_paths")
    paths = tuple(match) if isinstance(match, list) else ()
    s3, bucket = stack.client("s3"), stack.text("archive_bucket")

    def read_archived(key: str) -> bytes:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    publisher = republish.Publisher(
        bus, match_paths=paths, archive_bucket=bucket, read_archived=read_archived
    )
    if args.subscriber is None:
        sender = republish.bus_sender(stack.client("events"), bus)
    else:
        queues = stack.mapping("subscriber_queue_urls")
        targets = stack.mapping("subscriber_targets")
        if args.subscriber in queues:
            sender = republish.queue_sender(
                stack.client("sqs"), queues[args.subscriber], account, region
            )
        elif args.subscriber in targets:
            target = targets[args.subscriber]
            service = target.split(":")[2]
            if service == "events":
                sender = republish.bus_sender(stack.client("events"), target)
            elif service == "lambda":
                sender = republish.function_sender(stack.client("lambda"), target, account, region)
            else:
                sender = republish.queue_sender(
                    stack.client("sqs"), republish.queue_url(target), account, region
                )
        else:
            known = sorted({*queues, *targets})
            raise OpsError(f"no subscriber {args.subscriber!r} (subscribers: {', '.join(known)})")
    query = {
        "provider": args.provider,
        "since": args.since,
        "until": args.until,
        "event_type": args.event_type,
        "subscriber": args.subscriber,
    }
    path = args.checkpoint or republish.default_checkpoint(query)
    path.parent.mkdir(parents=True, exist_ok=True)
    result = republish.replay_events(
        dynamodb=stack.client("dynamodb"),
        table=stack.text("table_name"),
        provider=args.provider,
        publisher=publisher,
        send=sender,
        checkpoint=republish.Checkpoint(path, query),
        since=args.since,
        until=args.until,
        event_type=args.event_type,
        dry_run=args.dry_run,
        rate=args.rate,
        progress=republish.terminal_progress,
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.dry_run:
        for key in result.selected:
            print(key)
        print(f"{len(result.selected)} event(s) would be published", file=sys.stderr)
    else:
        resumed = " (resumed from a checkpoint)" if result.resumed else ""
        print(f"published {result.published} event(s){resumed}")
    return 0


def _subscribers_list(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    rules = stack.mapping("subscriber_rules")
    queues = stack.mapping("subscriber_queue_urls")
    targets = stack.mapping("subscriber_targets")
    dlqs = stack.mapping("subscriber_dlq_urls")
    for name in sorted(rules):
        where = queues.get(name) or targets.get(name, "?")
        print(f"{name}\t{'managed' if name in queues else 'target'}\t{where}\t{dlqs.get(name, '')}")
    if not rules:
        print("no subscribers (webhooks:subscribers is empty)", file=sys.stderr)
    return 0


def _subscribers_tail(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    queues = stack.mapping("subscriber_queue_urls")
    if args.name not in queues:
        raise OpsError(
            f"no managed subscriber {args.name!r} (managed: {', '.join(sorted(queues)) or 'none'})"
        )
    republish.tail(stack.client("sqs"), queues[args.name], seconds=args.seconds)
    return 0
