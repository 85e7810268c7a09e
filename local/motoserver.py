"""The AWS emulator of the local stack: a moto server in its own process on 127.0.0.1.

Its own process, so the emulator does not share a GIL with the HTTP server and pollers. It exits
when its parent closes its stdin, so a crashed local stack never leaves an orphan behind.
"""

import subprocess
import sys
from typing import Any

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any credentials
    "AWS_SESSION_TOKEN": "testing",
}
ACCOUNT_ID = "123456789012"  # moto's default account for any credentials


class MotoServer:
    """A moto server child process; `endpoint_url` is what `AWS_ENDPOINT_URL` points at."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.motoserver"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # Ctrl-C reaches the local stack, which stops the emulator last
        )
        if self._process.stdin is None or self._process.stdout is None:
            raise RuntimeError("moto server started without its stdin and stdout pipes")
        self._stdin = self._process.stdin
        line = self._process.stdout.readline().strip()
        if not line.isdigit():
            self._process.kill()
            raise RuntimeError(f"moto server did not start (said {line!r})")
        self.port = int(line)
        self.endpoint_url = f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self._process.pid

    def exit_code(self) -> int | None:
        """None while the emulator runs; its exit code once it died."""
        return self._process.poll()

    def stop(self) -> None:
        if self._process.poll() is None:
            self._stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def _faster_sqs() -> None:
    """Take two costs out of moto's SQS that grow with the queue's depth; behaviour unchanged.

    moto 5.2.5 calls `unix_time()` (two naive datetimes and a subtraction) for every message on
    every receive and send; with no argument that is the current time, which `time.time()` gives
    twenty times faster. And it checks each received message's retention by computing all the
    queue's attributes, message counts included, three times per message; reading the retention
    period itself gives the same answer. Without these, a few hundred queued messages made the
    emulator, not the pipeline, the bottleneck of a burst.
    """
    import time
    from datetime import datetime

    import moto.core.utils
    import moto.sqs.models

    original = moto.core.utils.unix_time

    def unix_time(dt: datetime | None = None) -> float:
        return time.time() if dt is None else original(dt)

    def unix_time_millis(dt: datetime | None = None) -> float:
        return unix_time(dt) * 1000.0

    moto.core.utils.unix_time = unix_time
    moto.core.utils.unix_time_millis = unix_time_millis
    moto.sqs.models.unix_time = unix_time
    moto.sqs.models.unix_time_millis = unix_time_millis

    def is_message_valid_based_on_retention_period(self, queue_name, message):
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > time.time()

    # mypy refuses any assignment to a method; replacing moto's is what this patch does.
    moto.sqs.models.SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period
    )


def _faster_eventbridge() -> None:
    """Parse each of moto's JSONPath expressions once; behaviour unchanged.

    moto 5.2.5 builds a new `jsonpath_ng` parser for each of the eight input paths of its
    default target template on every event it delivers to a target: about 6 ms per event and
    rule here (0.1 ms cached), most of a `PutEvents` call (found by the drill, whose stored ->
    subscriber latency it made a backlog of the emulator's). It imports `jsonpath_ng.ext.parse`
    when it is called, so a cached function in its place is what it gets; a parsed expression
    is only read.
    """
    import functools

    import jsonpath_ng.ext

    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=256)(jsonpath_ng.ext.parse)


def atomic_dynamodb_writes() -> None:
    """Make moto's conditional writes atomic, as DynamoDB's are; idempotent.

    moto 5.2.5 checks a write's condition and then writes, under no lock, while its threaded
    server (or, in process, a handler's concurrent writers) runs requests at once: two concurrent
    conditional puts of one new key both succeeded, so a delivery counted as stored twice (found
    by the replay-order property in tests/handlers/test_process.py). One lock serialises the
    writes this project makes (put, update, delete, transactions; batch writes go through put
    and delete); PartiQL writes are not covered.
    """
    import functools
    import threading

    import moto.dynamodb.models

    backend = moto.dynamodb.models.DynamoDBBackend
    if getattr(backend, "_writes_locked", False):
        return
    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(backend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        setattr(backend, name, functools.wraps(original)(locked))
    backend._writes_locked = True  # type: ignore[attr-defined]


def _thread_safe_sqs() -> None:
    """Serialise moto's SQS receives and deletes with sends on the same queue (found by the drill).

    moto 5.2.5 deletes by rebuilding the queue's message list from a snapshot, and a receive
    moves dead-lettered messages with `list.remove`, neither under the lock `add_message` takes,
    while the threaded server runs requests concurrently. Two deletes at once plus a send in
    between dropped the sent message; a removal during a delete's rebuild made it skip one. Each
    operation now holds the queue's own message lock (a long-poll wait still releases it).
    """
    import moto.sqs.models

    queue_delete = moto.sqs.models.Queue.delete_message
    receive = moto.sqs.models.SQSBackend.receive_message

    def delete_message(self, receipt_handle):
        with self._messages_lock:
            queue_delete(self, receipt_handle)

    def receive_message(self, queue_name, *args, **kwargs):
        with self.get_queue(queue_name)._messages_lock:
            return receive(self, queue_name, *args, **kwargs)

    # mypy refuses any assignment to a method; replacing moto's is what this patch does.
    moto.sqs.models.Queue.delete_message = delete_message  # type: ignore[method-assign]
    moto.sqs.models.SQSBackend.receive_message = receive_message  # type: ignore[method-assign]


def checked_s3_checksums() -> None:
    """Refuse a `PutObject` whose bytes do not match its `ChecksumSHA256`, as S3 does
    (`BadDigest`); idempotent.

    moto 5.2.5 stores the bytes and echoes the checksum unchecked (a TODO in its S3 responses).
    The archive's content keys rely on the check (hookgate/handlers/webhooks/envelope.py,
    `archive_object`: key and checksum from one digest), so the local stack must refuse what S3
    refuses. Only SHA-256, the one algorithm this project sends, is checked.
    """
    import base64
    import hashlib

    import moto.s3.responses
    from moto.s3.exceptions import S3ClientError

    response = moto.s3.responses.S3Response
    if getattr(response, "_checksums_checked", False):
        return
    original = response._get_checksum

    def _get_checksum(self: Any, response_headers: dict[str, Any]) -> tuple[str, str | None]:
        claimed = self.headers.get("x-amz-checksum-sha256")
        if claimed:
            actual = base64.b64encode(hashlib.sha256(self.body or b"").digest()).decode()
            if claimed != actual:
                raise S3ClientError(
                    "BadDigest", "The SHA256 you specified did not match the calculated checksum."
                )
        return original(self, response_headers)

    # mypy refuses any assignment to a method; replacing moto's is what this patch does.
    response._get_checksum = _get_checksum  # type: ignore[method-assign]
    response._checksums_checked = True  # type: ignore[attr-defined]


def main() -> None:
    from moto.server import ThreadedMotoServer

    _faster_sqs()
    _faster_eventbridge()
    _thread_safe_sqs()
    atomic_dynamodb_writes()
    checked_s3_checksums()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    sys.stdout.write(f"{server.get_host_and_port()[1]}\n")
    sys.stdout.flush()
    sys.stdin.read()  # returns when the parent closes the pipe or dies
    server.stop()


if __name__ == "__main__":
    main()
