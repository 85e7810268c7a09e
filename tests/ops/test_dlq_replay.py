"""DLQ replay: nothing lost, nothing duplicated across a crash between send and delete."""

import json

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ops import dlq_replay
from ops.errors import OpsError


class Crash(Exception):
    """Stands for the process dying at that point."""


class CrashBeforeDelete:
    """An SQS client that dies at the first DeleteMessageBatch, after the sends and the journal.

    It remembers the receipt handles it handed out, so a test can end their visibility timeout
    (as time would) without sleeping.
    """

    def __init__(self, sqs) -> None:
        self._sqs = sqs
        self.receipts: list[str] = []

    def __getattr__(self, name):
        return getattr(self._sqs, name)

    def receive_message(self, **kwargs):
        response = self._sqs.receive_message(**kwargs)
        self.receipts += [m["ReceiptHandle"] for m in response.get("Messages", [])]
        return response

    def delete_message_batch(self, **kwargs):
        raise Crash


def _dead_letter(sqs, stack, bodies: list[str]) -> None:
    """Send each body to the queue and receive it twice, so redrive moves it to the DLQ."""
    for body in bodies:
        sqs.send_message(
            QueueUrl=stack.text("queue_url"),
            MessageBody=body,
            MessageAttributes={"origin": {"DataType": "String", "StringValue": "test"}},
        )
    _receive_all(sqs, stack.text("queue_url"))
    assert _receive_all(sqs, stack.text("queue_url")) == []


def _receive_all(sqs, url: str, **kwargs) -> list[dict]:
    messages = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], **kwargs
    ).get("Messages", []):
        messages += batch
    return messages


def _move(sqs, stack, journal_path, **kwargs) -> dlq_replay.MoveResult:
    with dlq_replay.Journal(journal_path) as journal:
        return dlq_replay.move_messages(
            sqs,
            dlq_url=stack.text("dlq_url"),
            queue_url=stack.text("queue_url"),
            journal=journal,
            wait_seconds=0,
            **kwargs,
        )


def _bodies(messages: list[dict]) -> list[str]:
    return sorted(m["Body"] for m in messages)


def test_replay_moves_every_message_once_with_its_attributes(stack, tmp_path) -> None:
    sqs = stack.client("sqs")
    bodies = [json.dumps({"n": n}) for n in range(23)]
    _dead_letter(sqs, stack, bodies)

    result = _move(sqs, stack, tmp_path / "j")

    assert (result.moved, result.cleaned, result.still_pending) == (23, 0, 0)
    moved = _receive_all(sqs, stack.text("queue_url"), VisibilityTimeout=60)
    assert _bodies(moved) == sorted(bodies)
    assert {m["MessageAttributes"]["origin"]["StringValue"] for m in moved} == {"test"}
    assert _receive_all(sqs, stack.text("dlq_url")) == []
    assert not (tmp_path / "j").exists()


def test_replay_stops_at_max(stack, tmp_path) -> None:
    sqs = stack.client("sqs")
    _dead_letter(sqs, stack, [f"m{n}" for n in range(15)])

    assert _move(sqs, stack, tmp_path / "j", limit=4).moved == 4
    assert len(_receive_all(sqs, stack.text("queue_url"), VisibilityTimeout=60)) == 4
    assert len(_receive_all(sqs, stack.text("dlq_url"), VisibilityTimeout=60)) == 11


def test_crash_between_send_and_delete_then_resume_sends_nothing_twice(stack, tmp_path) -> None:
    sqs = stack.client("sqs")
    bodies = sorted(f"m{n:02}" for n in range(12))
    _dead_letter(sqs, stack, bodies)
    crashing = CrashBeforeDelete(sqs)

    journal = dlq_replay.Journal(tmp_path / "j").__enter__()
    with pytest.raises(Crash):
        dlq_replay.move_messages(
            crashing,
            dlq_url=stack.text("dlq_url"),
            queue_url=stack.text("queue_url"),
            journal=journal,
            visibility_timeout=3600,
            wait_seconds=0,
        )
    _die(journal)
    # the first batch was sent and journaled, not deleted: the DLQ still holds it (invisible)
    first_batch = len(crashing.receipts)
    assert 0 < first_batch < 12
    assert (tmp_path / "j").read_text().count("sent ") == first_batch

    # resumed while those DLQ copies are still invisible: the rest moves, the journal is kept
    early = _move(sqs, stack, tmp_path / "j")
    assert (early.moved, early.cleaned, early.still_pending) == (12 - first_batch, 0, first_batch)
    # the crashed run's visibility timeout ends
    for receipt in crashing.receipts:
        sqs.change_message_visibility(
            QueueUrl=stack.text("dlq_url"), ReceiptHandle=receipt, VisibilityTimeout=0
        )

    resumed = _move(sqs, stack, tmp_path / "j")

    assert (resumed.moved, resumed.cleaned, resumed.still_pending) == (0, first_batch, 0)
    assert _bodies(_receive_all(sqs, stack.text("queue_url"), VisibilityTimeout=60)) == bodies
    assert _receive_all(sqs, stack.text("dlq_url")) == []
    assert not (tmp_path / "j").exists()


def _die(journal: dlq_replay.Journal) -> None:
    """What the kernel does for a killed process: close its files (releasing the lock); the
    journal is not compacted, it keeps its raw appended lines."""
    assert journal._file is not None and journal._lock is not None, "the journal is not open"
    journal._file.close()
    journal._lock.close()


def test_a_message_that_fails_again_stops_the_replay(stack, tmp_path) -> None:
    sqs = stack.client("sqs")
    _dead_letter(sqs, stack, ["poison"])

    class FailingProcessor:
        """After each send, the processor fails the message until it is dead-lettered again."""

        def __getattr__(self, name):
            return getattr(sqs, name)

        def send_message_batch(self, **kwargs):
            response = sqs.send_message_batch(**kwargs)
            _receive_all(sqs, stack.text("queue_url"))
            _receive_all(sqs, stack.text("queue_url"))
            return response

    result = _move(FailingProcessor(), stack, tmp_path / "j")

    assert (result.moved, result.came_back) == (1, 1)
    assert _bodies(_receive_all(sqs, stack.text("dlq_url"))) == ["poison"]


def test_a_second_replay_of_the_same_dlq_is_refused(tmp_path) -> None:
    with dlq_replay.Journal(tmp_path / "j"), pytest.raises(OpsError, match="another replay"):
        dlq_replay.Journal(tmp_path / "j").__enter__()


def test_a_torn_last_journal_line_is_ignored(tmp_path) -> None:
    (tmp_path / "j").write_text("sent a\nsent b\ndeleted a\nsen")
    with dlq_replay.Journal(tmp_path / "j") as journal:
        assert journal.pending == {"b"}
    assert (tmp_path / "j").read_text() == "sent b\n"


def test_move_task_is_used_where_the_endpoint_has_it(stack) -> None:
    sqs = stack.client("sqs")
    with Stubber(sqs) as stub:
        stub.add_response(
            "start_message_move_task",
            {"TaskHandle": "handle-1"},
            {"SourceArn": stack.text("dlq_arn"), "DestinationArn": stack.text("queue_arn")},
        )
        handle = dlq_replay.start_move_task(
            sqs, dlq_arn=stack.text("dlq_arn"), queue_arn=stack.text("queue_arn")
        )
    assert handle == "handle-1"


def test_move_task_missing_from_the_endpoint_means_fallback(stack) -> None:
    sqs = stack.client("sqs")
    arns = {"dlq_arn": stack.text("dlq_arn"), "queue_arn": stack.text("queue_arn")}
    assert dlq_replay.start_move_task(sqs, **arns) is None  # moto in-process
    with Stubber(sqs) as stub:
        stub.add_client_error("start_message_move_task", "500", http_status_code=500)
        assert dlq_replay.start_move_task(sqs, **arns) is None  # moto server's bare 500 page
    with Stubber(sqs) as stub:
        stub.add_client_error(
            "start_message_move_task",
            "AWS.SimpleQueueService.UnsupportedOperation",
            http_status_code=400,
        )
        with pytest.raises(ClientError):
            dlq_replay.start_move_task(sqs, **arns)


class CrashAfterDelete(CrashBeforeDelete):
    """Dies after `DeleteMessageBatch` succeeded, before the journal recorded the delete."""

    def delete_message_batch(self, **kwargs):
        self._sqs.delete_message_batch(**kwargs)
        raise Crash


def test_crash_after_delete_clears_the_journal_once_the_dlq_is_verified_empty(
    stack, tmp_path
) -> None:
    sqs = stack.client("sqs")
    _dead_letter(sqs, stack, [f"m{n}" for n in range(5)])
    journal = dlq_replay.Journal(tmp_path / "j").__enter__()
    with pytest.raises(Crash):
        dlq_replay.move_messages(
            CrashAfterDelete(sqs),
            dlq_url=stack.text("dlq_url"),
            queue_url=stack.text("queue_url"),
            journal=journal,
            wait_seconds=0,
        )
    _die(journal)
    assert (tmp_path / "j").read_text().count("sent ") == 5  # journaled, delete not recorded

    result = _move(sqs, stack, tmp_path / "j")

    assert (result.moved, result.cleared, result.still_pending) == (0, 5, 0)
    assert result.dlq is not None and result.dlq.total == 0
    assert result.settled
    assert not (tmp_path / "j").exists()  # nothing reported pending forever
    assert len(_receive_all(sqs, stack.text("queue_url"), VisibilityTimeout=60)) == 5


def test_a_run_after_a_kill_is_not_settled_while_messages_are_in_flight(stack, tmp_path) -> None:
    """A killed run received messages (in flight in the DLQ) and journaled nothing: the next run
    moves 0, reports the in-flight count and is not settled (the CLI exits 1)."""
    sqs = stack.client("sqs")
    _dead_letter(sqs, stack, [f"m{n}" for n in range(3)])
    sqs.receive_message(
        QueueUrl=stack.text("dlq_url"), MaxNumberOfMessages=10, VisibilityTimeout=3600
    )  # the killed run's receive

    result = _move(sqs, stack, tmp_path / "j")

    assert result.moved == 0
    assert result.dlq is not None and (result.dlq.visible, result.dlq.not_visible) == (0, 3)
    assert not result.settled
    assert result.cleared == 0


def test_cli_replay_exits_1_while_messages_are_unaccounted_for(stack, tmp_path, capsys) -> None:
    from ops import cli

    sqs = stack.client("sqs")
    _dead_letter(sqs, stack, ["a", "b"])
    sqs.receive_message(
        QueueUrl=stack.text("dlq_url"), MaxNumberOfMessages=1, VisibilityTimeout=3600
    )
    args = ["--outputs", stack.source, "dlq", "replay", "--journal", str(tmp_path / "j")]
    assert cli.main(args) == 1
    out = capsys.readouterr()
    assert "DLQ now: 0 visible, 1 in flight" in out.out
    assert "not settled" in out.err
