"""Lambda entry point of the process function (`process.handler`, SQS event source mapping).

It returns the records SQS must deliver again (`ReportBatchItemFailures`); the per-record work
is in `webhooks.batch`.
"""

import os
import time
from functools import cache

import boto3
from botocore.config import Config
from webhooks.batch import PutItem, process_batch
from webhooks.observability import log, metrics
from webhooks.process_settings import ProcessSettings, SettingsError

# Few attempts inside the client: a record that still fails goes back to SQS and comes again
# after the visibility timeout while the rest of the batch proceeds. Standard mode backs off with
# jitter and draws on a retry quota, so a throttled table is not hammered. Timeouts stay far
# below the function timeout (the SDK default read timeout is 60 s).
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    tcp_keepalive=True,
)
# Share of the invocation's time in which new records are started. The last quarter is the
# reserve for the record in flight: 7.5 s of a 30 s timeout covers one slow attempt (2 s + 5 s).
_WORKING_SHARE = 0.75


@cache
def _runtime() -> tuple[ProcessSettings, PutItem]:
    """Settings and the table client, built by the first invocation and kept by the container.

    Not at import: constructing a botocore client loads its service model, which would
    dominate the module's import time. The endpoint comes from the SDK's own resolution, so
    `AWS_ENDPOINT_URL` points it at an emulator.
    """
    settings = ProcessSettings.from_env(os.environ)
    return settings, boto3.client("dynamodb", config=_CLIENT_CONFIG).put_item


def handler(event: dict, context: object) -> dict[str, list[dict[str, str]]]:
    """Store the batch's events; list the message ids of the records that failed."""
    try:
        settings, put_item = _runtime()
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
    deadline = time.monotonic() + _WORKING_SHARE * remaining() / 1000 if remaining else None
    result = process_batch(
        event.get("Records", ()),
        put_item,
        table_name=settings.table_name,
        ttl_days=settings.ttl_days,
        now=time.time(),
        deadline=deadline,
    )
    # One line per invocation; ingest's lines share the `Environment` dimension.
    metrics(settings.metrics_namespace, {"Environment": settings.environment}, result.counts())
    return result.response()
