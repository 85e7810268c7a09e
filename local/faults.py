"""Fault injection at the boto3 boundary of a worker process, driven by a JSON control file.

The local runtime (never handler code) installs a botocore `before-call` hook on every client the
handler creates. The hook reads a small JSON file, re-read whenever it changes:

    {
      "put_item_failure_rate": 0.2,
      "put_item_failure_code": "ProvisionedThroughputExceededException",
      "poison_markers": ["poison-"]
    }

- `put_item_failure_rate` (0..1, default 0): that fraction of DynamoDB `PutItem` calls fails
  with `put_item_failure_code` (default `ProvisionedThroughputExceededException`; also sensible:
  `ThrottlingException`, `InternalServerError`) before reaching the emulator: a transient error
  that the handler sees as botocore raises it (the SDK's own retries are bypassed, so the error
  reaches the handler's batch-failure path).
- `poison_markers` (default none): a `PutItem` whose item has any string attribute (`pk`,
  `delivery_id`, `event_type`, ...) containing one of the markers fails every time with a
  non-retryable `ValidationException`, until the marker is removed from the file ("removing the
  poison cause"), after which a replay stores it.

- `put_events_failure_rate` (0..1, default 0): that fraction of EventBridge `PutEvents` calls
  never reaches the emulator: every entry of it is answered `InternalFailure`, as EventBridge
  reports failed entries (HTTP 200), so the publisher reports those records failed and the
  stream mapping retries them.

An absent or empty file means no faults.
"""

import json
import os
import random
import threading
from typing import Any

DEFAULT_FAILURE_CODE = "ProvisionedThroughputExceededException"


class _Response:
    """The small part of botocore's HTTP response that `_make_api_call` reads after a hook."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}
        self.content = b""


class FaultInjector:
    """Reads the control file when it changes and decides the fate of each `PutItem`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._rules: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.counts = {"throttled": 0, "poisoned": 0, "put_events_failed": 0}

    def rules(self) -> dict[str, Any]:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            self._stamp, self._rules = None, {}
            return self._rules
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp != self._stamp:
            with open(self.path) as handle:
                text = handle.read()
            self._rules = json.loads(text) if text.strip() else {}
            self._stamp = stamp
        return self._rules

    def put_item_fault(self, item: dict[str, Any]) -> tuple[str, str] | None:
        """(error code, message) for a PutItem of this item, or None to let it through."""
        rules = self.rules()
        markers = rules.get("poison_markers") or []
        if markers:
            for value in item.values():
                text = value.get("S") if isinstance(value, dict) else None
                if text and any(marker in text for marker in markers):
                    with self._lock:
                        self.counts["poisoned"] += 1
                    return "ValidationException", "injected poison: item matches a poison marker"
        rate = float(rules.get("put_item_failure_rate") or 0)
        if rate > 0 and random.random() < rate:  # noqa: S311 - fault sampling, not crypto
            with self._lock:
                self.counts["throttled"] += 1
            code = rules.get("put_item_failure_code") or DEFAULT_FAILURE_CODE
            return code, "injected transient failure"
        return None

    def take_counts(self) -> dict[str, int]:
        """The counts since the last call, then reset (reported with each invocation)."""
        with self._lock:
            counts = self.counts
            self.counts = {"throttled": 0, "poisoned": 0, "put_events_failed": 0}
        return counts

    def before_put_item(self, params: dict[str, Any], **_: Any) -> Any:
        """botocore `before-call.dynamodb.PutItem` hook: a response short-circuits the call."""
        body = params.get("body") or b"{}"
        item = json.loads(body).get("Item") or {}
        fault = self.put_item_fault(item)
        if fault is None:
            return None
        code, message = fault
        return _Response(400), {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "injected"},
        }


def before_put_events(injector: FaultInjector) -> Any:
    """botocore `before-call.events.PutEvents` hook: fails that fraction of calls."""

    def hook(params: dict[str, Any], **_: Any) -> Any:
        rate = float(injector.rules().get("put_events_failure_rate") or 0)
        if rate > 0 and random.random() < rate:  # noqa: S311 - fault sampling, not crypto
            with injector._lock:
                injector.counts["put_events_failed"] += 1
            # As EventBridge reports a failed entry: HTTP 200, the error per entry (so neither the
            # SDK nor anything but the publisher's own failure report retries it).
            body = params.get("body") or b"{}"
            entries = json.loads(body).get("Entries") or []
            failed = [
                {"ErrorCode": "InternalFailure", "ErrorMessage": "injected PutEvents failure"}
                for _ in entries
            ]
            return _Response(200), {
                "FailedEntryCount": len(failed),
                "Entries": failed,
                "ResponseMetadata": {"HTTPStatusCode": 200, "RequestId": "injected"},
            }
        return None

    return hook


def install(path: str) -> FaultInjector:
    """Register the hook on every botocore client created from now on in this process."""
    import botocore.session

    injector = FaultInjector(path)
    put_events_hook = before_put_events(injector)
    create_client = botocore.session.Session.create_client

    def create_client_with_faults(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        client.meta.events.register("before-call.dynamodb.PutItem", injector.before_put_item)
        client.meta.events.register("before-call.events.PutEvents", put_events_hook)
        return client

    botocore.session.Session.create_client = create_client_with_faults
    return injector
