"""`python -m ops`: send signed sample deliveries, inspect stored events, drain the DLQ.

Every command reads the stack outputs only (see `ops.outputs`), so it drives the local stack and
a real stack alike. Expected failures print one line on stderr and exit 1; usage errors exit 2.
"""

import argparse
import json
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from ops import dlq, events, outputs, replay, send
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
    if delivery.scheme == "hmac" and delivery.options is None:
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
    dlq_url, queue_url = stack.text("dlq_url"), stack.text("queue_url")
    if args.max is None and args.journal is None:
        handle = replay.start_move_task(
            sqs, dlq_arn=stack.text("dlq_arn"), queue_arn=stack.text("queue_arn")
        )
        if handle is not None:
            print(f"started StartMessageMoveTask {handle}")
            print("progress: aws sqs list-message-move-tasks --source-arn " + stack.text("dlq_arn"))
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
