"""`ops subscribers secret|test|deliveries`: an HTTP destination's signing secret, a signed test
request, and its recent delivery attempts (docs/contract.md, "HTTP destinations"): the deliver
function's line per attempt, read from CloudWatch Logs as `ops rejections` reads the ingest
function's (the local stack's from its log file).

The secret's value is `{"secrets": [current, previous]}`; the deliver function signs with every
listed secret, so a receiver verifies with either while it switches (rotation in two steps:
`secret rotate`, then `secret retire` once the receiver uses the new one). It is put here, not
by Pulumi, so it is never in the stack's state.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ops import outputs, rejections, times
from ops.errors import OpsError
from webhooks.destination import (
    HEADER_ATTEMPT,
    HEADER_DELIVERY_ID,
    HEADER_EVENT_TYPE,
    HEADER_PROVIDER,
    USER_AGENT,
    post,
)
from webhooks.schemes import standard
from webhooks.secrets import SecretsUnavailable, decode_secret_value

KEY_BYTES = 32


def destination(stack: outputs.Outputs, name: str) -> dict[str, Any]:
    """The `subscriber_http` entry of `name`, or an error naming the HTTP subscribers."""
    known = stack.mapping("subscriber_http")
    if name not in known:
        raise OpsError(
            f"no HTTP subscriber {name!r} (HTTP subscribers: {', '.join(sorted(known)) or 'none'})"
        )
    entry: dict[str, Any] = known[name]  # type: ignore[assignment]
    return entry


def active_secrets(client: Any, secret_arn: str) -> list[str]:
    """The listed secrets, newest first; none when no value was ever put."""
    try:
        answer = client.get_secret_value(SecretId=secret_arn)
    except client.exceptions.ResourceNotFoundException:
        return []
    value = json.loads(answer["SecretString"])
    listed: list[str] = value["secrets"]
    return listed


def new_secret() -> str:
    return standard.SECRET_PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def rotate(client: Any, secret_arn: str) -> str:
    """A new current secret; the current one stays active as the previous. Returns the new."""
    fresh = new_secret()
    kept = active_secrets(client, secret_arn)[:1]
    client.put_secret_value(
        SecretId=secret_arn, SecretString=json.dumps({"secrets": [fresh, *kept]})
    )
    return fresh


def retire(client: Any, secret_arn: str) -> None:
    """Only the current secret signs from now on (within the function's minute of caching)."""
    current = active_secrets(client, secret_arn)[:1]
    if not current:
        raise OpsError("the destination has no secret yet: run `subscribers secret <name> rotate`")
    client.put_secret_value(SecretId=secret_arn, SecretString=json.dumps({"secrets": current}))


def send_test(stack: outputs.Outputs, name: str) -> tuple[int, str, str]:
    """POST a signed `webhooks.test` event to the destination with its configured headers and
    timeout, as the deliver function would, but from this machine: a destination only the
    function's VPC reaches must be tested from inside that network."""
    entry = destination(stack, name)
    listed = active_secrets(stack.client("secretsmanager"), entry["secret_arn"])
    try:
        keys = decode_secret_value(standard.signing_key, json.dumps({"secrets": listed}))
    except SecretsUnavailable:
        raise OpsError(f"no signing secret yet: run `subscribers secret {name} rotate`") from None
    body = json.dumps({"type": "webhooks.test", "subscriber": name, "sent_at": time.time()})
    identifier = "msg_test_" + secrets.token_hex(8)
    timestamp = str(int(time.time()))
    headers = {
        **entry.get("headers", {}),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": identifier,
        "webhook-timestamp": timestamp,
        "webhook-signature": standard.signature_header(keys, identifier, timestamp, body.encode()),
        HEADER_PROVIDER: "webhooks",
        HEADER_DELIVERY_ID: identifier,
        HEADER_EVENT_TYPE: "webhooks.test",
        HEADER_ATTEMPT: "1",
    }
    try:
        return post(entry["url"], body.encode(), headers, float(entry.get("timeout_seconds", 10)))
    except OSError as error:
        raise OpsError(f"{entry['url']}: {type(error).__name__}: {error}") from None


DEFAULT_DELIVERIES_SPAN = timedelta(hours=1)
"""`subscribers deliveries` without `--since`: the last hour."""
ATTEMPT_MESSAGE = "delivery attempt"
"""The `message` of the deliver function's line per attempt (its attempt log)."""


def attempt_record(line: str, name: str) -> dict[str, Any] | None:
    """One log line as an attempt of destination `name`; None for any other line."""
    if f'"{ATTEMPT_MESSAGE}"' not in line:
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("message") != ATTEMPT_MESSAGE:
        return None
    if record.get("Destination") != name or not isinstance(record.get("timestamp"), int):
        return None
    return record


def _cloudwatch_lines(logs: Any, group: str, start_ms: int, failed_only: bool) -> list[str]:
    """The group's attempt lines from `start_ms` on (FilterLogEvents, at most `MAX_PAGES`)."""
    pattern = f'{{ $.message = "{ATTEMPT_MESSAGE}" }}'
    if failed_only:
        pattern = f'{{ $.message = "{ATTEMPT_MESSAGE}" && $.outcome != "Delivered" }}'
    request: dict[str, Any] = {
        "logGroupName": group,
        "filterPattern": pattern,
        "startTime": start_ms,
    }
    lines: list[str] = []
    for _ in range(rejections.MAX_PAGES):
        try:
            page = logs.filter_log_events(**request)
        except logs.exceptions.ResourceNotFoundException:
            raise OpsError(f"no log group {group}: the deliver function has not run yet") from None
        lines += [event.get("message", "") for event in page.get("events", [])]
        if not page.get("nextToken"):
            return lines
        request["nextToken"] = page["nextToken"]
    print(
        f"note: stopped after {rejections.MAX_PAGES} pages of log events; pass a later --since",
        file=sys.stderr,
    )
    return lines


def attempts(
    stack: outputs.Outputs, name: str, start: datetime, failed_only: bool
) -> list[dict[str, Any]]:
    """The destination's attempts at or after `start`, oldest first, from its deliver
    function's log: CloudWatch Logs for a real stack, the log file for the local stack's."""
    function = destination(stack, name)["function_name"]
    start_ms = round(start.timestamp() * 1000)
    log_file = rejections.local_log(Path(stack.source).resolve().parent, function)
    if log_file is None:
        lines = _cloudwatch_lines(
            stack.client("logs"), f"/aws/lambda/{function}", start_ms, failed_only
        )
    else:
        try:
            lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            raise OpsError(f"no log file {log_file}: is `make local` running?") from None
    found = [
        record
        for record in (attempt_record(line, name) for line in lines)
        if record is not None
        and record["timestamp"] >= start_ms
        and not (failed_only and record.get("outcome") == "Delivered")
    ]
    return sorted(found, key=lambda record: int(record["timestamp"]))


def run_secret(args: argparse.Namespace) -> int:
    stack = outputs.load(args.outputs)
    client = stack.client("secretsmanager")
    arn = destination(stack, args.name)["secret_arn"]
    if args.action == "rotate":
        print(rotate(client, arn))
        print("the previous secret still signs until `retire`", file=sys.stderr)
    elif args.action == "retire":
        retire(client, arn)
        print("only the current secret signs now (within a minute)", file=sys.stderr)
    for position, value in enumerate(active_secrets(client, arn)):
        print(f"{'current' if position == 0 else 'previous'}\t{value}")
    return 0


def run_test(args: argparse.Namespace) -> int:
    status, retry_after, answer = send_test(outputs.load(args.outputs), args.name)
    print(f"{status} {answer}".rstrip())
    if retry_after:
        print(f"Retry-After: {retry_after}")
    return 0 if 200 <= status < 300 else 1


def run_deliveries(args: argparse.Namespace) -> int:
    if args.since is None:
        start = datetime.now(UTC) - DEFAULT_DELIVERIES_SPAN
    else:
        start = times.parse_instant(args.since, "--since")
    rows = attempts(outputs.load(args.outputs), args.name, start, args.failed)
    for row in rows:
        when = datetime.fromtimestamp(row["timestamp"] / 1000, UTC)
        print(
            "\t".join(
                [
                    when.isoformat(timespec="milliseconds"),
                    str(row.get("outcome")),
                    str(row.get("status") or "-"),
                    row.get("failure_class") or "-",
                    f"attempt {row.get('attempt')}",
                    str(row.get("provider")),
                    str(row.get("delivery_id")),
                    f"{row.get('DeliveryLatency')} ms",
                    row.get("error") or "-",
                ]
            )
        )
    if not rows:
        print("no attempts in that time", file=sys.stderr)
    return 0
