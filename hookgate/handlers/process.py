"""Lambda entry point of the process function (`process.handler`, SQS event source mapping).

It returns the records SQS must deliver again (`ReportBatchItemFailures`); what is done to one
record is `webhooks.store.StoreEvent`, the batch machinery `webhooks.batch.run_batch`.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from webhooks.batch import WORKING_SHARE as WORKING_SHARE
from webhooks.batch import run_batch
from webhooks.environ import SettingsError
from webhooks.observability import log, metrics, set_level
from webhooks.process_settings import ProcessHandlerSettings
from webhooks.store import OUTCOMES, ArchiveCheck, StoreEvent, Table

# Few attempts inside the client: a record that still fails goes back to SQS and comes again
# after the visibility timeout while the rest of the batch proceeds. Standard mode backs off with
# jitter and draws on a retry quota, so a throttled table is not hammered. Timeouts are bounded
# (the SDK default read timeout is 60 s); a record whose three attempts all hang outlasts the
# reserve `WORKING_SHARE` keeps (docs/design.md, "Known gaps": timeout budgets).
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
)
_CHUNK_BYTES = 256 * 1024


@cache
def _runtime() -> tuple[ProcessHandlerSettings, Table, ArchiveCheck, Executor | None]:
    """Settings, the clients and the writers' threads, built once and kept by the container.

    Not at import: constructing a botocore client loads its service model, which would
    dominate the module's import time. The endpoint comes from the SDK's own resolution, so
    `AWS_ENDPOINT_URL` points it at an emulator. The client is thread-safe; its connection
    pool holds one connection per writer, so concurrent writes do not queue for a socket.
    """
    settings = ProcessHandlerSettings.from_environ()
    set_level(settings.log_level)
    s3 = cache(lambda: boto3.client("s3", config=_CLIENT_CONFIG))  # only for archived bodies

    def check_archived(key: str, body_sha256: str) -> str | None:
        return archive_problem(s3(), settings.archive_bucket, key, body_sha256)

    writers = settings.write_concurrency
    config = _CLIENT_CONFIG.merge(Config(max_pool_connections=max(10, writers)))
    executor = (
        ThreadPoolExecutor(max_workers=writers, thread_name_prefix="put") if writers > 1 else None
    )
    return settings, boto3.client("dynamodb", config=config), check_archived, executor


def archive_problem(s3: Any, bucket: str, key: str, body_sha256: str) -> str | None:
    """None when `key` holds exactly the bytes of `body_sha256`, else why not.

    Reads the object and hashes it (at most `ingest.maxBodyBytes`, streamed): S3's stored
    checksum would save the transfer, but not every S3 implementation returns it, and the
    hash of what is read is the one proof that needs nothing else. Other errors raise (retried).
    """
    try:
        answer = s3.get_object(Bucket=bucket, Key=key)
    except Exception as error:
        response = getattr(error, "response", {})
        code = response.get("Error", {}).get("Code")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchKey" or status == 404:
            return "archived body is missing"
        raise
    digest = hashlib.sha256()
    for chunk in answer["Body"].iter_chunks(_CHUNK_BYTES):
        digest.update(chunk)
    if digest.hexdigest() != body_sha256:
        return "archived body does not match body_sha256"
    return None


def handler(event: dict[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    """Store the batch's events; list the message ids of the records that failed."""
    try:
        settings, table, check_archived, executor = _runtime()
    except SettingsError as error:
        # The whole batch fails and returns later: nothing is lost while the stack is fixed.
        log(
            "ERROR",
            "process function misconfigured",
            provider=None,
            delivery_id=None,
            reason=str(error),
        )
        raise
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    deadline = time.monotonic() + WORKING_SHARE * remaining() / 1000 if remaining else None
    store = StoreEvent.at(
        table, settings.table_name, settings.ttl_days, time.time(), check_archived
    )
    result = run_batch(
        event.get("Records", ()),
        store,
        deadline=deadline,
        executor=executor,
        writers=settings.write_concurrency,
    )
    # One line per invocation; ingest's lines share the `Environment` dimension.
    metrics(
        settings.metrics_namespace,
        {"Environment": settings.environment},
        result.counts(OUTCOMES),
    )
    return result.response()
