"""`python -m ops dlq replay`: move dead-lettered messages back to the queue once their cause
is fixed, or, for the publish DLQ, publish again the events its messages name.

`republish_stream_failure` republishes the events of one publish-DLQ message (the stream
mapping's on-failure record names a range of stream records, not the events): it reads that
range back from the stream and publishes each event inserted there again, from the table.

`start_move_task` asks SQS to do it (`StartMessageMoveTask`, DLQ → queue, server side, up to 500
messages/s). Endpoints without that action (moto, hence the local stack) and capped replays
(`--max`, which a move task cannot do) use `move_messages`: receive from the DLQ, send to the
queue, delete from the DLQ.

Guarantees of `move_messages`:

- Nothing is lost: a DLQ message is deleted only after `SendMessageBatch` reported it sent.
- A crash between send and delete duplicates nothing: once a send succeeds, the DLQ message id is
  appended to a journal and fsynced *before* the delete; a resumed replay that receives a
  journaled message deletes it instead of sending it again. Journal entries are dropped only
  once their delete succeeded, so a message still invisible after the crash (until the crashed
  run's receive visibility timeout ends) is recognised whenever it comes back.
- Remaining window: a crash after `SendMessageBatch` returned but before the journal record
  reached the disk (one batch, at most 10 messages), or a send that succeeded although its
  response was lost, makes a resumed replay send those messages again. The processor's
  conditional put (`attribute_not_exists(pk)`) stores each delivery once, so such a duplicate
  costs one extra invocation and nothing else. The same holds if the journal is deleted or the
  replay is resumed on another machine.
- Two replays of one DLQ at once are refused: the journal is locked exclusively.
- Journal entries whose DLQ copy is verified gone are cleared: when the run ends with the DLQ
  empty (no visible and no in-flight message), no journaled message can come back, so they are
  deleted from the journal instead of being reported pending forever (a crash after
  `DeleteMessageBatch` but before its journal line).
- Every run ends with the DLQ's visible and in-flight counts (`MoveResult.dlq`); while a
  journaled send is unresolved or messages are in flight (received by a run that died), the
  outcome is not settled and `settled` is False (the CLI exits 1).
- A message sent by this run that fails again and comes back to the DLQ stops the run (it is
  released, not sent again), so a replay cannot loop on a cause that is not fixed.
"""

import fcntl
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from ops.dlq import Depth, depth
from ops.errors import UNIMPLEMENTED_CODES, OpsError
from ops.events_replay import ReplayResult, Sender, full_items
from webhooks.publish import MAX_ENTRIES, Publisher, is_event_item

JOURNAL_DIR = "dlq-replay"  # inside the stack's state directory (`Outputs.state_dir`)
RECEIVE_VISIBILITY_SECONDS = 30


def start_move_task(sqs, *, dlq_arn: str, queue_arn: str) -> str | None:
    """Start a server-side move of every DLQ message; None when the endpoint lacks the action."""
    try:
        response = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=queue_arn)
    except NotImplementedError:  # moto in-process
        return None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in UNIMPLEMENTED_CODES:
            return None
        raise
    return response["TaskHandle"]


def default_journal_path(directory: Path, dlq_url: str) -> Path:
    """One journal per DLQ (name plus a hash of the URL, so two stacks never share one)."""
    name = dlq_url.rstrip("/").rsplit("/", 1)[-1]
    return directory / f"{name}-{hashlib.sha256(dlq_url.encode()).hexdigest()[:12]}.journal"


class Journal:
    """Append-only record of DLQ message ids sent to the queue and not yet deleted from the DLQ.

    Lines are `sent <id>` and `deleted <id>`; each append is fsynced before the caller goes on.
    Use as a context manager: it holds an exclusive lock for the whole replay.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pending: set[str] = set()
        self._file: TextIO | None = None  # open between __enter__ and __exit__
        self._lock: TextIO | None = None  # the lock file, likewise

    def __enter__(self) -> "Journal":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.path.with_name(self.path.name + ".lock"), "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise OpsError(f"another replay of this DLQ is running (lock on {self.path})") from None
        self._pending = self._read()
        self._file = open(self.path, "a")
        return self

    def __exit__(self, *exc_info: object) -> None:
        file, lock = self._opened()
        file.close()
        self._compact()
        lock.close()  # releases the lock

    @property
    def pending(self) -> frozenset[str]:
        """Ids sent to the queue whose delete from the DLQ is not confirmed."""
        return frozenset(self._pending)

    def record_sent(self, message_ids: Iterable[str]) -> None:
        message_ids = list(message_ids)
        self._append("sent", message_ids)
        self._pending.update(message_ids)

    def record_deleted(self, message_ids: Iterable[str]) -> None:
        message_ids = list(message_ids)
        self._append("deleted", message_ids)
        self._pending.difference_update(message_ids)

    def _append(self, verb: str, message_ids: Iterable[str]) -> None:
        lines = "".join(f"{verb} {message_id}\n" for message_id in message_ids)
        if lines:
            file, _ = self._opened()
            file.write(lines)
            file.flush()
            os.fsync(file.fileno())

    def _opened(self) -> tuple[TextIO, TextIO]:
        """The journal file and its lock file, both open inside the `with` block."""
        if self._file is None or self._lock is None:
            raise RuntimeError(f"journal {self.path} is not open: use it as a context manager")
        return self._file, self._lock

    def _read(self) -> set[str]:
        pending: set[str] = set()
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return pending
        for line in text.splitlines():
            verb, _, message_id = line.partition(" ")
            if verb == "sent":
                pending.add(message_id)
            elif verb == "deleted":
                pending.discard(message_id)
            # anything else is a torn last line from a crash mid-append: its send is the
            # documented window, so it is ignored
        return pending

    def _compact(self) -> None:
        """Rewrite the journal with only the pending ids (atomically: temp file, fsync, rename)."""
        if not self._pending:
            self.path.unlink(missing_ok=True)
            return
        temporary = self.path.with_name(self.path.name + ".tmp")
        with open(temporary, "w") as file:
            file.writelines(f"sent {message_id}\n" for message_id in sorted(self._pending))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)


@dataclass
class MoveResult:
    """What one `move_messages` run did."""

    moved: int = 0  # sent to the queue and deleted from the DLQ
    cleaned: int = 0  # sent by an earlier, interrupted run: deleted, not sent again
    came_back: int = 0  # sent by this run, dead-lettered again: left in the DLQ
    still_pending: int = 0  # journaled sends whose DLQ copy was not seen again yet
    cleared: int = 0  # journaled sends verified gone from the DLQ: journal entries dropped
    dlq: Depth | None = None  # the DLQ's approximate counts when the run ended

    @property
    def settled(self) -> bool:
        """Every message this or an earlier run moved is accounted for: nothing journaled is
        unresolved and nothing is in flight in the DLQ (a dead run's receive)."""
        in_flight = self.dlq.not_visible if self.dlq is not None else 0
        return self.still_pending == 0 and in_flight == 0


def move_messages(
    sqs,
    *,
    dlq_url: str,
    queue_url: str,
    journal: Journal,
    limit: int | None = None,
    visibility_timeout: int = RECEIVE_VISIBILITY_SECONDS,
    wait_seconds: int = 1,
) -> MoveResult:
    """Move up to `limit` messages (all when None) from the DLQ to the queue; see module doc."""
    result = MoveResult()
    sent_now: set[str] = set()  # queue message ids this run created
    while limit is None or result.moved < limit:
        want = 10 if limit is None else min(10, limit - result.moved)
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=want,
            VisibilityTimeout=visibility_timeout,
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        returned = [m for m in messages if m["MessageId"] in sent_now]
        earlier = [m for m in messages if m["MessageId"] in journal.pending]
        fresh = [m for m in messages if m not in returned and m not in earlier]

        sent = _send(sqs, queue_url, fresh, sent_now)
        journal.record_sent(m["MessageId"] for m in sent)
        deleted = _delete(sqs, dlq_url, sent + earlier)
        journal.record_deleted(deleted)
        result.moved += sum(m["MessageId"] in deleted for m in sent)
        result.cleaned += sum(m["MessageId"] in deleted for m in earlier)

        unsent = [m for m in fresh if m not in sent]
        _release(sqs, dlq_url, returned + unsent)
        result.came_back += len(returned)
        if unsent:
            raise OpsError(f"{len(unsent)} message(s) could not be sent to the queue; rerun")
        if len(deleted) < len(sent) + len(earlier):
            raise OpsError("some sent messages could not be deleted from the DLQ; rerun to finish")
        if returned:
            break
    result.dlq = depth(sqs, dlq_url)
    if journal.pending and result.dlq.total == 0:
        # Nothing is in the DLQ, visible or in flight: a journaled copy can never come back,
        # so its delete happened (the crash came before its journal line). Verified gone.
        result.cleared = len(journal.pending)
        journal.record_deleted(sorted(journal.pending))
    result.still_pending = len(journal.pending)
    return result


def _send(sqs, queue_url: str, messages: list[dict], sent_now: set[str]) -> list[dict]:
    """Send a batch; returns the messages SQS accepted and records their new ids."""
    if not messages:
        return []
    entries = [
        {"Id": str(index), "MessageBody": message["Body"]}
        | _attributes(message.get("MessageAttributes"))
        for index, message in enumerate(messages)
    ]
    response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    accepted = response.get("Successful", [])
    sent_now.update(entry["MessageId"] for entry in accepted)
    return [messages[int(entry["Id"])] for entry in accepted]


def _attributes(attributes: dict | None) -> dict:
    if not attributes:
        return {}
    kept = {
        name: {
            key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value
        }
        for name, value in attributes.items()
    }
    return {"MessageAttributes": kept}


def _delete(sqs, dlq_url: str, messages: list[dict]) -> set[str]:
    """Delete from the DLQ; returns the message ids whose delete succeeded."""
    if not messages:
        return set()
    response = sqs.delete_message_batch(
        QueueUrl=dlq_url,
        Entries=[
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
        ],
    )
    return {messages[int(entry["Id"])]["MessageId"] for entry in response.get("Successful", [])}


def _release(sqs, dlq_url: str, messages: list[dict]) -> None:
    """Make messages visible in the DLQ again at once, for the next replay."""
    if messages:
        sqs.change_message_visibility_batch(
            QueueUrl=dlq_url,
            Entries=[
                {
                    "Id": str(index),
                    "ReceiptHandle": message["ReceiptHandle"],
                    "VisibilityTimeout": 0,
                }
                for index, message in enumerate(messages)
            ],
        )


STREAM_RETENTION = "24 hours"
"""How long DynamoDB Streams keeps a record: a DLQ message older than that names records gone."""
_GONE = ("TrimmedDataAccessException", "ExpiredIteratorException", "ResourceNotFoundException")


def stream_range(message_body: str) -> dict[str, Any]:
    """The `DDBStreamBatchInfo` of a publish-DLQ message (Lambda's on-failure record), checked."""
    try:
        info = json.loads(message_body)["DDBStreamBatchInfo"]
        for name in ("shardId", "startSequenceNumber", "endSequenceNumber", "streamArn"):
            if not isinstance(info[name], str) or not info[name]:
                raise ValueError(name)
        int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    except (ValueError, KeyError, TypeError) as error:
        raise OpsError(
            f"not a publish DLQ message (a stream on-failure record with DDBStreamBatchInfo):"
            f" {error}"
        ) from None
    return dict(info)


def stream_event_keys(streams: Any, info: dict[str, Any]) -> list[str]:
    """The `pk` of every event item inserted in the range `info` names, in stream order."""
    first, last = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    keys: list[str] = []
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=100)
            records = page.get("Records") or []
            for record in records:
                stream = record.get("dynamodb") or {}
                sequence = int(stream.get("SequenceNumber", first))
                if sequence > last:
                    return keys
                image = stream.get("NewImage") or {}
                if record.get("eventName") == "INSERT" and is_event_item(image):
                    keys.append(image["pk"]["S"])
            if not records:  # an open shard answers empty pages past its newest record
                return keys
            iterator = page.get("NextShardIterator")
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code not in _GONE:
            raise
        since = info.get("approximateArrivalOfFirstRecord", "?")
        until = info.get("approximateArrivalOfLastRecord", "?")
        raise OpsError(
            f"the stream no longer holds records {first}..{last} ({code}; it keeps them"
            f" {STREAM_RETENTION}): replay them by time instead, `python -m ops events replay"
            f" --provider <provider> --since {since} --until {until}`"
        ) from None
    return keys


def republish_stream_failure(
    message_body: str,
    *,
    streams: Any,
    dynamodb: Any,
    table: str,
    publisher: Publisher,
    send: Sender,
) -> ReplayResult:
    """Publish again (`replayed: true`) every event of the stream range one publish-DLQ message
    names, read from the table; an OpsError when one still cannot be published or is refused,
    so the caller keeps the message."""
    keys = stream_event_keys(streams, stream_range(message_body))
    items = full_items(dynamodb, table, keys)
    result = ReplayResult(skipped=len(keys) - len(items))  # expired (TTL) since
    entries = []
    for item in items:
        try:
            entries.append(publisher.entry(item, replayed=True))
        except Exception as error:
            raise OpsError(
                f"event {item['pk']['S']} still cannot be published"
                f" ({type(error).__name__}: {error}); the message stays in the DLQ"
            ) from None
    for start in range(0, len(entries), MAX_ENTRIES):
        errors = send(entries[start : start + MAX_ENTRIES])
        failed = [e for e in errors if e is not None]
        result.failed += len(failed)
        result.published += len(errors) - len(failed)
        if failed:
            raise OpsError(
                f"{len(failed)} event(s) were refused ({failed[0]}); the message stays in the"
                " DLQ: run the replay again"
            )
    result.selected = [item["pk"]["S"] for item in items]
    return result
