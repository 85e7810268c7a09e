"""`python -m ops`: send signed sample deliveries, inspect stored events, replay, drain DLQs.

Every command reads the stack outputs only (see `ops.outputs`), so it drives the local stack and
a real stack alike. Expected failures print one line on stderr and exit 1; usage errors exit 2.

Adding a command: write `def add_<name>(commands) -> None` that calls
`command(commands, "<name>", help=...)` (every option's help names its default) and
`set_defaults(run=<function of args returning the exit code>)`, then list it in
`COMMAND_GROUPS` below. Nothing else in this file changes.
"""

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)

from ops import (
    dlq,
    dlq_replay,
    events,
    events_replay,
    handshake,
    outputs,
    preflight,
    rejections,
    selection,
    send,
    senders,
    signing,
    subscribers_http,
    subscribers_tail,
    times,
)
from ops.errors import OpsError

Commands = Any  # argparse's sub-parsers action (its type is private)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:
        # The reader stopped early (`| head`): not an error of ours. Python would report the
        # pipe again when it flushes stdout at exit, so stdout goes to /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
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
    except EndpointConnectionError as error:
        print(
            f"error: cannot reach the AWS endpoint {error.kwargs.get('endpoint_url', '?')}: is"
            " `make local` running? (for the local stack, `source .local/env` in this shell)",
            file=sys.stderr,
        )
        return 1
    except NoCredentialsError:
        print(
            "error: no AWS credentials: for the local stack, `source .local/env` in this shell;"
            " for a real stack, configure AWS credentials (e.g. AWS_PROFILE)",
            file=sys.stderr,
        )
        return 1
    except BotoCoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


class _Help(argparse.RawDescriptionHelpFormatter):
    """Descriptions keep their line breaks (they hold examples)."""


def command(commands: Commands, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A sub-command parser with this CLI's help format."""
    made: argparse.ArgumentParser = commands.add_parser(name, formatter_class=_Help, **kwargs)
    return made


def group(parent: argparse.ArgumentParser, name: str) -> Commands:
    return parent.add_subparsers(
        title=f"{name} commands", required=True, metavar="COMMAND", dest=f"{name}_command"
    )


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(
        prog="python -m ops",
        formatter_class=_Help,
        description="Operate a webhook stack, the local one or a real one, from its outputs.",
    )
    made.add_argument(
        "--outputs",
        metavar="FILE",
        help=f"stack outputs JSON (default: ${outputs.ENV_VAR}, else {outputs.LOCAL_FILE})",
    )
    commands = made.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for add in COMMAND_GROUPS:
        add(commands)
    return made


# ---- send ----


def add_send(commands: Commands) -> None:
    p = command(commands, "send", help="send a signed sample delivery to a provider's URL")
    p.add_argument("provider", help="a configured provider (the stack's `providers` output)")
    body = p.add_mutually_exclusive_group()
    body.add_argument(
        "--body", metavar="FILE", type=Path, help="send this file's bytes (default: a sample)"
    )
    body.add_argument(
        "--size", metavar="BYTES", type=_positive, help="sample body of this size (default: small)"
    )
    p.add_argument("--event-type", metavar="T", help="event type (default: the sample's)")
    p.add_argument("--delivery-id", metavar="ID", help="delivery id (default: a fresh one)")
    p.add_argument(
        "--forge",
        action="store_true",
        help="sign with a wrong secret, expect 401 and exit 0 then (default: off)",
    )
    p.add_argument(
        "--options",
        metavar="JSON",
        type=_json_object,
        help="hmac provider options as in docs/contract.md PROVIDERS (default: the stack's"
        " provider_options output)",
    )
    p.add_argument(
        "--repeat",
        metavar="N",
        type=_positive,
        default=1,
        help="send the same delivery N times (default: 1)",
    )
    p.set_defaults(run=_send)


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


# ---- events ----


def add_events(commands: Commands) -> None:
    p = command(commands, "events", help="list, show and replay stored events")
    sub = group(p, "events")
    q = command(
        sub,
        "list",
        help="newest stored events first (a provider's by time, else a bounded scan)",
        description="Lists events only (never the alias items of content dedupe), newest first,"
        " after a header line; --json prints one JSON object per event instead.",
    )
    q.add_argument("--provider", metavar="P", help="only this provider's (default: every one)")
    q.add_argument(
        "--since", metavar="TIME", help=f"received at or after ({times.HELP}) (default: no bound)"
    )
    q.add_argument(
        "--limit", metavar="N", type=_positive, default=20, help="at most N events (default: 20)"
    )
    q.add_argument("--json", action="store_true", help="one JSON object per line (default: off)")
    q.set_defaults(run=_events_list)

    q = command(sub, "show", help="one stored event as JSON, or its original bytes")
    q.add_argument("provider", help="the provider it arrived for")
    q.add_argument("delivery_id", help="its delivery id (as `events list` shows)")
    q.add_argument(
        "--body", action="store_true", help="write the original bytes to stdout (default: off)"
    )
    q.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line, one per event under the id (default: off, indented)",
    )
    q.set_defaults(run=_events_show)

    q = command(
        sub,
        "replay",
        help="publish stored events again (replayed: true), to the bus or one subscriber",
        description=(
            "Reads the provider's events by time, 10 per page, and publishes each page again.\n"
            "Without --subscriber the bus applies every rule, as for live events; with it, only\n"
            "the events that subscriber's rule matches are sent to its target (EventBridge's own\n"
            "matcher judges the event the publisher builds). A checkpoint in the stack's state\n"
            "directory makes an interrupted run resume after its last finished page."
        ),
    )
    q.add_argument("--provider", metavar="P", required=True, help="the provider (required)")
    q.add_argument(
        "--since", metavar="TIME", help=f"received at or after ({times.HELP}) (default: no bound)"
    )
    q.add_argument(
        "--until", metavar="TIME", help=f"received at or before ({times.HELP}) (default: now)"
    )
    q.add_argument(
        "--event-type",
        metavar="T",
        help="only this event type: an exact name or a prefix ending in * (default: every type)",
    )
    q.add_argument(
        "--subscriber",
        metavar="NAME",
        help="only to this subscriber, only what its rule matches (default: the bus, all rules)",
    )
    q.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would be published, publish nothing (default: off)",
    )
    q.add_argument(
        "--rate",
        metavar="N",
        type=float,
        default=events_replay.DEFAULT_RATE,
        help=f"events per second, 0 for no limit (default: {events_replay.DEFAULT_RATE:g})",
    )
    q.add_argument(
        "--checkpoint",
        metavar="FILE",
        type=Path,
        help="resumable position file (default: one per query in the stack's state directory)",
    )
    q.set_defaults(run=_events_replay)


def _events_list(args: argparse.Namespace) -> int:
    since, _ = times.window(args.since, None)
    stack = outputs.load(args.outputs)
    if args.provider is not None:
        stack.provider(args.provider)
    items = events.list_events(
        stack.client("dynamodb"),
        stack.text("table_name"),
        provider=args.provider,
        since=since,
        limit=args.limit,
    )
    if args.json:
        for item in items:
            print(json.dumps({name: item.get(name) for name in events.LISTED}, sort_keys=True))
    else:
        print("\t".join(events.LISTED))
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
        raise OpsError(
            f"no stored event {args.provider}/{args.delivery_id} (`events list --provider"
            f" {args.provider}` shows the stored ids)"
        )
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
        return 0
    shown = [events.metadata(each) for each in found]
    if args.json:
        for each in shown:
            print(json.dumps(each, sort_keys=True))
    elif len(shown) == 1:
        print(json.dumps(shown[0], indent=2, sort_keys=True))
    else:
        print(json.dumps(shown, indent=2, sort_keys=True))
    return 0


def _events_replay(args: argparse.Namespace) -> int:
    since, until = times.window(args.since, args.until)
    type_pattern = selection.event_type_pattern(args.event_type) if args.event_type else None
    stack = outputs.load(args.outputs)
    stack.provider(args.provider)
    region = stack.text("region")
    bus = stack.text("bus_name")
    account = stack.text("bus_arn").split(":")[4]
    publisher = _publisher(stack)
    patterns = [type_pattern] if type_pattern else []
    if args.subscriber is None:
        sender = events_replay.bus_sender(stack.client("events"), bus)
    else:
        sender = _subscriber_sender(stack, args.subscriber, account, region)
        rule = stack.mapping("subscriber_rules")[args.subscriber]
        patterns.append(selection.rule_pattern(stack.client("events"), rule))
    select = None
    if patterns:
        judge = selection.eventbridge_judge(stack.client("events"))

        def select(entry: dict[str, Any]) -> bool:
            event = selection.envelope(entry, account, region)
            return all(judge(pattern, event) for pattern in patterns)

    query = {
        "provider": args.provider,
        "since": since,
        "until": until,
        "event_type": args.event_type,
        "subscriber": args.subscriber,
    }
    path = args.checkpoint or events_replay.default_checkpoint(stack.state_dir, query)
    path.parent.mkdir(parents=True, exist_ok=True)
    result = events_replay.replay_events(
        dynamodb=stack.client("dynamodb"),
        table=stack.text("table_name"),
        provider=args.provider,
        publisher=publisher,
        send=sender,
        checkpoint=events_replay.Checkpoint(path, query),
        since=since,
        until=until,
        select=select,
        dry_run=args.dry_run,
        rate=args.rate,
        progress=events_replay.terminal_progress,
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    counts = f"{result.read} read, {result.filtered} skipped by the filter"
    if args.dry_run:
        for key in result.selected:
            print(key)
        print(f"{counts}, {len(result.selected)} would be published", file=sys.stderr)
    else:
        resumed = " (resumed from a checkpoint: counts are since it)" if result.resumed else ""
        print(f"{counts}, published {result.published} event(s){resumed}")
    return 0


def _publisher(stack: outputs.Outputs) -> events_replay.Publisher:
    """The stack's publisher as the publish function builds it: its bus, its match paths, and
    the archive both ways (an inline body too large for an entry is archived at its content
    key first, as the function does)."""
    match = stack.get("publish_match_paths")
    s3, bucket = stack.client("s3"), stack.text("archive_bucket")

    def read_archived(key: str) -> bytes:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def write_archived(request: Mapping[str, Any]) -> None:
        s3.put_object(Bucket=bucket, **request)

    return events_replay.Publisher(
        stack.text("bus_name"),
        match_paths=tuple(match) if isinstance(match, list) else (),
        archive_bucket=bucket,
        read_archived=read_archived,
        write_archived=write_archived,
    )


def _subscriber_sender(
    stack: outputs.Outputs, name: str, account: str, region: str
) -> events_replay.Sender:
    queues = stack.mapping("subscriber_queue_urls")
    targets = stack.mapping("subscriber_targets")
    if name in queues:
        return events_replay.queue_sender(stack.client("sqs"), queues[name], account, region)
    if name not in targets:
        known = sorted({*queues, *targets})
        raise OpsError(
            f"no subscriber {name!r} (subscribers: {', '.join(known) or 'none'};"
            " `subscribers list` shows them)"
        )
    target = targets[name]
    service = target.split(":")[2]
    if service == "events":
        return events_replay.bus_sender(stack.client("events"), target)
    if service == "lambda":
        return events_replay.function_sender(stack.client("lambda"), target, account, region)
    url = events_replay.queue_url(target)
    return events_replay.queue_sender(stack.client("sqs"), url, account, region)


# ---- subscribers ----


def add_subscribers(commands: Commands) -> None:
    p = command(
        commands,
        "subscribers",
        help="list subscribers, tail a managed one; an HTTP destination's secret, test, attempts",
    )
    sub = group(p, "subscribers")
    q = command(sub, "list", help="every subscriber: its rule, and its queue or target")
    q.add_argument("--json", action="store_true", help="one JSON object per line (default: off)")
    q.set_defaults(run=_subscribers_list)
    q = command(
        sub,
        "tail",
        help="print the events a managed subscriber's queue receives, leaving them for it",
        description=(
            "Receives the queue's messages and prints each once (JSON, keys sorted). A printed\n"
            "message is held invisible while the tail runs (up to"
            f" {subscribers_tail.TAIL_HOLD_SECONDS} s, then it is received\nagain, not printed"
            " again) and made visible again when the"
            " tail stops, so the consumer\nstill gets every event, later. Every receive counts"
            " towards the queue's maxReceiveCount:\ntail a busy production queue briefly."
        ),
    )
    q.add_argument("name", help="a managed subscriber (one without a `target`)")
    q.add_argument(
        "--seconds", metavar="S", type=float, help="stop after S seconds (default: until Ctrl-C)"
    )
    q.set_defaults(run=_subscribers_tail)
    q = command(sub, "secret", help="an HTTP destination's signing secret: show, rotate, retire")
    q.add_argument("name", help="an HTTP subscriber (one with an `http` section)")
    q.add_argument(
        "action",
        choices=("show", "rotate", "retire"),
        help="show the active secrets; rotate: a new current one, the old one still signs;"
        " retire: only the current one signs",
    )
    q.set_defaults(run=subscribers_http.run_secret)
    q = command(sub, "test", help="POST a signed test event to an HTTP destination")
    q.add_argument("name", help="an HTTP subscriber (one with an `http` section)")
    q.set_defaults(run=subscribers_http.run_test)
    q = command(sub, "deliveries", help="an HTTP destination's recent delivery attempts")
    q.add_argument("name", help="an HTTP subscriber (one with an `http` section)")
    q.add_argument(
        "--since",
        metavar="TIME",
        help=f"attempts at or after ({times.HELP}) (default: an hour ago)",
    )
    q.add_argument(
        "--failed", action="store_true", help="only attempts that did not deliver (default: all)"
    )
    q.set_defaults(run=subscribers_http.run_deliveries)


def _subscribers_list(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    rules = stack.mapping("subscriber_rules")
    queues = stack.mapping("subscriber_queue_urls")
    targets = stack.mapping("subscriber_targets")
    dlqs = stack.mapping("subscriber_dlq_urls")
    found = stack.get("subscriber_http")  # absent from the outputs of older stacks
    http: dict[str, Any] = found if isinstance(found, dict) else {}

    def kind(name: str) -> str:
        return "http" if name in http else "managed" if name in queues else "target"

    rows = [
        {
            "name": name,
            "kind": kind(name),
            "destination": (http.get(name) or {}).get("url")
            or queues.get(name)
            or targets.get(name, ""),
            "dlq": dlqs.get(name, ""),
            "rule": rules[name],
        }
        for name in sorted(rules)
    ]
    if args.json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
    else:
        print("\t".join(("name", "kind", "queue, target or URL", "dlq")))
        for row in rows:
            print("\t".join((row["name"], row["kind"], row["destination"], row["dlq"])))
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
    subscribers_tail.tail(stack.client("sqs"), queues[args.name], seconds=args.seconds)
    return 0


# ---- dlq ----


def add_dlq(commands: Commands) -> None:
    p = command(commands, "dlq", help="depth and replay of every dead-letter queue")
    sub = group(p, "dlq")
    queue_help = (
        "main (the processor's), publish (the publisher's) or a managed subscriber's name"
        " (default: main)"
    )
    q = command(sub, "depth", help="approximate message counts of a queue and its DLQ")
    q.add_argument("--queue", metavar="Q", default="main", help=queue_help)
    q.set_defaults(run=_dlq_depth)
    q = command(
        sub,
        "replay",
        help="move a DLQ's messages back to its queue once their cause is fixed",
        description=(
            "Starts StartMessageMoveTask (every message) where the endpoint has it; otherwise,\n"
            "or with --max, moves the messages itself with a crash-safe journal in the stack's\n"
            "state directory: nothing is lost and nothing is sent twice by a resumed run."
        ),
    )
    q.add_argument("--queue", metavar="Q", default="main", help=queue_help)
    q.add_argument(
        "--max", metavar="N", type=_positive, help="move at most N messages (default: all)"
    )
    q.add_argument(
        "--journal",
        metavar="FILE",
        type=Path,
        help="journal of the manual move (default: one per DLQ in the stack's state directory)",
    )
    q.set_defaults(run=_dlq_replay)


def _dlq_depth(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    pair = dlq.resolve(stack, args.queue)
    sqs = stack.client("sqs")
    print(f"{'':6}{'visible':>10}{'in flight':>11}{'delayed':>9}")
    rows = (("queue", pair.queue_url), ("dlq", pair.dlq_url))
    for label, url in rows:
        if url is None:
            continue
        depth = dlq.depth(sqs, url)
        print(f"{label:6}{depth.visible:>10}{depth.not_visible:>11}{depth.delayed:>9}")
    return 0


def _dlq_replay(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    pair = dlq.resolve(stack, args.queue)
    if pair.name == dlq.PUBLISH:
        return _publish_dlq_replay(stack, pair.dlq_url, args.max)
    if pair.queue_url is None or pair.queue_arn is None:
        raise OpsError(pair.no_queue)
    sqs = stack.client("sqs")
    if args.max is None and args.journal is None:
        handle = dlq_replay.start_move_task(sqs, dlq_arn=pair.dlq_arn, queue_arn=pair.queue_arn)
        if handle is not None:
            print(f"started StartMessageMoveTask {handle}")
            print("progress: aws sqs list-message-move-tasks --source-arn " + pair.dlq_arn)
            return 0
        print("endpoint has no StartMessageMoveTask: moving messages here", file=sys.stderr)
    journal_path = args.journal or dlq_replay.default_journal_path(
        stack.state_dir / dlq_replay.JOURNAL_DIR, pair.dlq_url
    )
    with dlq_replay.Journal(journal_path) as journal:
        result = dlq_replay.move_messages(
            sqs, dlq_url=pair.dlq_url, queue_url=pair.queue_url, journal=journal, limit=args.max
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
            f"in the DLQ; run the replay again after {dlq_replay.RECEIVE_VISIBILITY_SECONDS} s "
            f"(journal {journal_path})"
        )
    if result.dlq is not None:
        print(f"DLQ now: {result.dlq.visible} visible, {result.dlq.not_visible} in flight")
    if not result.settled:
        print(
            "not settled: messages are in flight in the DLQ or journaled sends are unresolved;"
            f" run the replay again after {dlq_replay.RECEIVE_VISIBILITY_SECONDS} s",
            file=sys.stderr,
        )
        return 1
    return 0


def _publish_dlq_replay(stack: outputs.Outputs, dlq_url: str, limit: int | None) -> int:
    """The publish DLQ holds Lambda's records of failed stream batches: each names a range of
    stream records, whose events are read from the table and published again; a message is
    deleted only when all of its events were published, and the first failure stops the run
    (the message stays, its reason printed)."""
    sqs = stack.client("sqs")
    publisher = _publisher(stack)
    send = events_replay.bus_sender(stack.client("events"), stack.text("bus_name"))
    handled = published = expired = 0
    while limit is None or handled < limit:
        answer = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=1,
            VisibilityTimeout=dlq_replay.RECEIVE_VISIBILITY_SECONDS,
            WaitTimeSeconds=0,
        )
        messages = answer.get("Messages") or []
        if not messages:
            break
        message = messages[0]
        try:
            result = dlq_replay.republish_stream_failure(
                message["Body"],
                streams=stack.client("dynamodbstreams"),
                dynamodb=stack.client("dynamodb"),
                table=stack.text("table_name"),
                publisher=publisher,
                send=send,
            )
        except OpsError:
            sqs.change_message_visibility(
                QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
            print(f"republished {published} event(s) from {handled} message(s); then:")
            raise
        sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
        handled += 1
        published += result.published
        expired += result.skipped
    gone = f" ({expired} expired from the table since: nothing to publish)" if expired else ""
    print(f"republished {published} event(s) from {handled} publish-DLQ message(s){gone}")
    return 0


# ---- rejections ----

DEFAULT_REJECTIONS_HOURS = 24


def add_rejections(commands: Commands) -> None:
    p = command(
        commands,
        "rejections",
        help="requests the receiver refused (4xx), and why",
        description=(
            "Lists the ingest function's `rejected` log records: time, provider, status, reason\n"
            "and source IP (never a header value, a signature or a body). A real stack's come\n"
            "from CloudWatch Logs (FilterLogEvents, paginated, at most"
            f" {rejections.MAX_PAGES} pages); the local\nstack's from its log file. The first"
            ' question of an integration: "the sender got 401: why?"'
        ),
    )
    p.add_argument("--provider", metavar="P", help="only this provider's (default: every one)")
    p.add_argument(
        "--since",
        metavar="TIME",
        help=f"at or after ({times.HELP}) (default: {DEFAULT_REJECTIONS_HOURS} hours ago)",
    )
    p.add_argument(
        "--reason",
        metavar="TEXT",
        help="only reasons containing TEXT, any case, e.g. signature (default: every reason)",
    )
    p.add_argument(
        "--limit", metavar="N", type=_positive, default=50, help="the newest N (default: 50)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line (default: off)")
    p.set_defaults(run=_rejections)


def _rejections(args: argparse.Namespace) -> int:
    if args.since is not None:
        start = times.parse_instant(args.since, "--since")
    else:
        start = datetime.now(UTC) - timedelta(hours=DEFAULT_REJECTIONS_HOURS)
    since = times.stored_form(start)
    stack = outputs.load(args.outputs)
    function = stack.text("ingest_function_name")
    log_file = rejections.local_log(Path(stack.source).resolve().parent, function)
    truncated = False
    if log_file is not None:
        found = list(rejections.from_file(log_file))
    else:
        read = rejections.from_cloudwatch(
            stack.client("logs"),
            f"/aws/lambda/{function}",
            start_ms=(start - times.EPOCH) // timedelta(milliseconds=1),
            provider=args.provider,
        )
        found, truncated = read.rejections, read.truncated
    shown = rejections.select(
        found, provider=args.provider, reason=args.reason, since=since, limit=args.limit
    )
    if args.json:
        for rejection in shown:
            print(rejection.json())
    else:
        print(rejections.HEADER)
        for rejection in shown:
            print(rejection.row())
    if not shown:
        print(f"no rejections since {since}", file=sys.stderr)
    if truncated:
        print(
            f"note: stopped after {rejections.MAX_PAGES} pages of log events; pass a later"
            " --since to see the newest",
            file=sys.stderr,
        )
    return 0


# ---- argument types ----


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


# The command groups, in `--help` order: add a new one here (see the module docstring).
COMMAND_GROUPS: tuple[Callable[[Commands], None], ...] = (
    add_send,
    add_events,
    add_subscribers,
    add_dlq,
    add_rejections,
    preflight.add_parser,
    senders.register,
    handshake.register,
)
