"""`python -m ops events replay`: publish stored events again, to the bus or one subscriber.

`replay_events` reads a provider's events by time through the `by_provider` index, one page of
at most 10 at a time, and publishes each page again with `replayed: true`: to the bus (every
matching rule) or only to one subscriber's target, and then only the events its rule matches
(`ops.selection`). After each page the position is written to a checkpoint file (fsync'd,
atomically replaced), so a run that crashes resumes after the last page it finished: nothing is
skipped and at most one page is published twice.
"""

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.errors import OpsError
from ops.events import INDEX
from ops.selection import envelope
from webhooks.publish import MAX_ENTRIES, Publisher, put_entries

DEFAULT_RATE = 50.0  # events per second


@dataclass
class ReplayResult:
    read: int = 0
    """Events of the provider in the time window."""
    filtered: int = 0
    """Of those, skipped: the filter (`--event-type`, the subscriber's rule) did not match."""
    published: int = 0
    failed: int = 0
    skipped: int = 0
    """Named by a publish-DLQ record but gone from the table since (expired by the TTL)."""
    resumed: bool = False
    selected: list[str] = field(default_factory=list)
    """`provider#delivery_id` of every event published (or, with dry run, that would be)."""


class Checkpoint:
    """The last finished page of one replay (its query and the index key after it)."""

    def __init__(self, path: Path, query: dict[str, Any]) -> None:
        self.path = path
        self.query = query

    def load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        saved = json.loads(self.path.read_text())
        if saved.get("query") != self.query:
            raise OpsError(
                f"checkpoint {self.path} belongs to another replay ({saved.get('query')}):"
                " remove it or pass another --checkpoint"
            )
        start = saved.get("start")
        return start if isinstance(start, dict) else None

    def save(self, start: dict[str, Any]) -> None:
        scratch = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(scratch, "w") as handle:
            json.dump({"query": self.query, "start": start}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(scratch, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def default_checkpoint(directory: Path, query: dict[str, Any]) -> Path:
    """One checkpoint per query, in the stack's state directory (`Outputs.state_dir`)."""
    name = "-".join(
        str(query[k]) for k in ("provider", "since", "until", "event_type", "subscriber")
    )
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return directory / "replay" / f"{safe}.json"


def pages(
    dynamodb: Any,
    table: str,
    provider: str,
    since: str | None,
    until: str | None,
    start: dict[str, Any] | None,
) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None]]:
    """(index items, key after them) per page of at most 10, oldest first."""
    condition = "provider = :provider"
    values: dict[str, Any] = {":provider": {"S": provider}}
    if since and until:
        condition += " AND received_at BETWEEN :since AND :until"
        values.update({":since": {"S": since}, ":until": {"S": until}})
    elif since:
        condition += " AND received_at >= :since"
        values[":since"] = {"S": since}
    elif until:
        condition += " AND received_at <= :until"
        values[":until"] = {"S": until}
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": INDEX,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": True,
        "Limit": MAX_ENTRIES,
    }
    if start:
        request["ExclusiveStartKey"] = start
    while True:
        page = dynamodb.query(**request)
        after = page.get("LastEvaluatedKey")
        yield page.get("Items", []), after
        if not after:
            return
        request["ExclusiveStartKey"] = after


def full_items(dynamodb: Any, table: str, keys: list[str]) -> list[dict[str, Any]]:
    """The items (the index projects only a few attributes), in the order of `keys`."""
    if not keys:
        return []
    request = {table: {"Keys": [{"pk": {"S": k}} for k in keys], "ConsistentRead": True}}
    found: dict[str, dict[str, Any]] = {}
    while request:
        answer = dynamodb.batch_get_item(RequestItems=request)
        for item in answer.get("Responses", {}).get(table, []):
            found[item["pk"]["S"]] = item
        request = answer.get("UnprocessedKeys") or {}
    return [found[k] for k in keys if k in found]


Sender = Callable[[list[dict[str, Any]]], list[str | None]]


def replay_events(
    *,
    dynamodb: Any,
    table: str,
    provider: str,
    publisher: Publisher,
    send: Sender,
    checkpoint: Checkpoint,
    since: str | None = None,
    until: str | None = None,
    select: Callable[[dict[str, Any]], bool] | None = None,
    dry_run: bool = False,
    rate: float = DEFAULT_RATE,
    progress: Callable[[ReplayResult], None] | None = None,
    stop_after_pages: int | None = None,
) -> ReplayResult:
    """Publish the events `select` keeps (every one without it) again, `replayed: true`.

    `select` judges the entry `Publisher.entry` builds, the event the bus would route.
    `stop_after_pages` simulates a crash (tests).
    """
    result = ReplayResult()
    start = None if dry_run else checkpoint.load()
    result.resumed = start is not None
    began = time.monotonic()
    for count, (index_items, after) in enumerate(
        pages(dynamodb, table, provider, since, until, start), 1
    ):
        keys = [i["pk"]["S"] for i in index_items]
        items = full_items(dynamodb, table, keys)
        built = [(item, publisher.entry(item, replayed=True)) for item in items]
        kept = [(item, entry) for item, entry in built if select is None or select(entry)]
        result.read += len(built)
        result.filtered += len(built) - len(kept)
        items = [item for item, _ in kept]
        entries = [entry for _, entry in kept]
        if not dry_run and entries:
            errors = send(entries)
            failed = [e for e in errors if e is not None]
            if failed:
                result.failed += len(failed)
                raise OpsError(
                    f"{len(failed)} event(s) of a page were refused ({failed[0]}); run the"
                    f" replay again to resume from that page ({checkpoint.path})"
                )
        result.published += len(entries)
        result.selected += [item["pk"]["S"] for item in items]
        if not dry_run and after:
            checkpoint.save(after)
        if progress:
            progress(result)
        if stop_after_pages is not None and count >= stop_after_pages:
            return result
        if rate > 0:  # a steady rate: never ahead of published / rate seconds
            ahead = result.published / rate - (time.monotonic() - began)
            if ahead > 0:
                time.sleep(ahead)
    if not dry_run:
        checkpoint.clear()
    return result


def terminal_progress(result: ReplayResult) -> None:
    if sys.stderr.isatty():
        print(
            f"\r{result.read} read, {result.filtered} skipped by the filter,"
            f" {result.published} published",
            end="",
            file=sys.stderr,
        )


def bus_sender(events: Any, bus: str) -> Sender:
    def send(entries: list[dict[str, Any]]) -> list[str | None]:
        return put_entries(events.put_events, [{**e, "EventBusName": bus} for e in entries])

    return send


def queue_sender(sqs: Any, queue_url: str, account: str, region: str) -> Sender:
    def send(entries: list[dict[str, Any]]) -> list[str | None]:
        answer = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps(envelope(e, account, region))}
                for i, e in enumerate(entries)
            ],
        )
        failed = {f["Id"]: f.get("Code", "Failed") for f in answer.get("Failed", [])}
        return [failed.get(str(i)) for i in range(len(entries))]

    return send


def function_sender(lambda_client: Any, function_arn: str, account: str, region: str) -> Sender:
    def send(entries: list[dict[str, Any]]) -> list[str | None]:
        errors: list[str | None] = []
        for entry in entries:
            answer = lambda_client.invoke(
                FunctionName=function_arn,
                InvocationType="Event",
                Payload=json.dumps(envelope(entry, account, region)).encode(),
            )
            errors.append(None if answer.get("StatusCode") == 202 else "InvokeFailed")
        return errors

    return send


def queue_url(queue_arn: str) -> str:
    """An SQS queue ARN's URL (for a subscriber target given as an ARN)."""
    _, _, _, region, account, name = queue_arn.split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"
