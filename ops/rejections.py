"""The requests the receiver refused, from the ingest function's own log records.

Each refusal is one JSON line the ingest function writes (`Receiver._reject`, with
`"message": "rejected"`, the status and the `Reason` metric dimension). A real stack's lines are
in CloudWatch Logs, read with FilterLogEvents (a filter pattern on `message`, paginated, at most
`MAX_PAGES` pages); the local stack's are in the function's log file in its state directory
(`logs/functions.json` names it). Only the record's own fields are shown: never a header value,
a signature or a body, which the record does not hold either.
"""

import json
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ops.errors import OpsError

MESSAGE = "rejected"
FILTER_PATTERN = '{ $.message = "rejected" }'
MAX_PAGES = 50  # FilterLogEvents pages read at most per run: the command stays bounded
LOCAL_INDEX = Path("logs") / "functions.json"  # the local stack's function name → log file


@dataclass(frozen=True)
class Rejection:
    time: str
    provider: str
    status: int
    reason: str
    source_ip: str
    request_id: str

    def row(self) -> str:
        return "\t".join(
            (self.time, self.provider, str(self.status), self.reason, self.source_ip or "-")
        )

    def json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


HEADER = "\t".join(("time", "provider", "status", "reason", "source_ip"))


def parse(line: str) -> Rejection | None:
    """One log line as a rejection; None for any other line (other records, plain text)."""
    if '"rejected"' not in line:
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("message") != MESSAGE:
        return None
    stamp = record.get("timestamp") or (record.get("_aws") or {}).get("Timestamp") or 0
    return Rejection(
        time=_iso(int(stamp)),
        provider=str(record.get("requested") or record.get("provider") or ""),
        status=int(record.get("status") or 0),
        reason=str(record.get("Reason") or record.get("reason") or ""),
        source_ip=str(record.get("source_ip") or ""),
        request_id=str(record.get("request_id") or ""),
    )


def _iso(epoch_ms: int) -> str:
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def select(
    found: Iterable[Rejection],
    *,
    provider: str | None,
    reason: str | None,
    since: str | None,
    limit: int,
) -> list[Rejection]:
    """The newest `limit` rejections that pass the filters, oldest first.

    `reason` matches as a case-insensitive substring ("signature" finds every signature
    reason); `since` is in the stored form of `ops.times` (text order is time order).
    """
    kept: deque[Rejection] = deque(maxlen=limit)
    for rejection in found:
        if provider is not None and rejection.provider != provider:
            continue
        if reason is not None and reason.lower() not in rejection.reason.lower():
            continue
        if since is not None and rejection.time < since:
            continue
        kept.append(rejection)
    return sorted(kept, key=lambda r: r.time)


def local_log(state_dir: Path, function_name: str) -> Path | None:
    """The local stack's log file of a function; None when `state_dir` is no local stack's."""
    index = state_dir / LOCAL_INDEX
    if not index.exists():
        return None
    files = json.loads(index.read_text())
    name = files.get(function_name)
    if not name:
        raise OpsError(f"the local stack's {index} names no log of function {function_name}")
    return state_dir / "logs" / name


def from_file(path: Path) -> Iterator[Rejection]:
    try:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                rejection = parse(line)
                if rejection is not None:
                    yield rejection
    except FileNotFoundError:
        raise OpsError(f"no log file {path}: is `make local` running?") from None


@dataclass
class CloudWatchRead:
    """What a FilterLogEvents read returned, and whether the page bound stopped it."""

    rejections: list[Rejection]
    truncated: bool


def from_cloudwatch(
    logs: Any, group: str, *, start_ms: int, provider: str | None
) -> CloudWatchRead:
    """The group's rejected records from `start_ms` on, at most `MAX_PAGES` pages."""
    pattern = FILTER_PATTERN
    if provider is not None:
        pattern = '{ $.message = "rejected" && $.provider = ' + json.dumps(provider) + " }"
    request: dict[str, Any] = {
        "logGroupName": group,
        "filterPattern": pattern,
        "startTime": start_ms,
    }
    found: list[Rejection] = []
    for _ in range(MAX_PAGES):
        try:
            page = logs.filter_log_events(**request)
        except logs.exceptions.ResourceNotFoundException:
            raise OpsError(
                f"no log group {group}: the ingest function has not logged yet, or the outputs"
                " belong to another stack"
            ) from None
        for event in page.get("events", []):
            rejection = parse(event.get("message", ""))
            if rejection is not None:
                found.append(rejection)
        if not page.get("nextToken"):
            return CloudWatchRead(found, truncated=False)
        request["nextToken"] = page["nextToken"]
    return CloudWatchRead(found, truncated=True)
