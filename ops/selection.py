"""Which stored events a replay sends: the subscriber's own rule, judged by EventBridge's matcher.

One meaning everywhere: an event is replayed to a subscriber when the pattern of the rule the
stack deployed for it (read back with DescribeRule, so it is exactly what
`SubscriberSettings.event_pattern` generated) matches the event the publisher builds for it
(`Publisher.entry`, claim-checked bodies' match paths read from the archive). The matcher is
EventBridge's own, `TestEventPattern`: a free control-plane call per candidate event, throttled
by AWS like every control-plane call (botocore retries), against no divergence at all from the
live rule for any operator a raw `pattern` may use. An endpoint without that action (moto, so
the local stack) is judged by moto's matcher, the very code that routes the local bus's live
events: the replay again agrees with what the live rule did.

`--event-type` takes what a subscriber's `eventTypes` takes (exact names, prefixes ending in
`*`), turned into a pattern by the same code and judged by the same matcher.
"""

import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, cast

from botocore.exceptions import ClientError

from ops.errors import UNIMPLEMENTED_CODES, OpsError

Pattern = Mapping[str, Any]
Judge = Callable[[Pattern, dict[str, Any]], bool]


def envelope(entry: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    """The event as EventBridge delivers it to a target (and as a rule's pattern sees it)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [],
        "detail": json.loads(entry["Detail"]),
    }


def event_type_pattern(text: str) -> dict[str, Any]:
    """`--event-type` as a pattern, by the code that builds a subscriber's (`eventTypes`)."""
    from hookgate.components.subscribers import (
        EVENT_TYPE,
        SubscriberSettings,
    )  # imports Pulumi: lazily

    if not EVENT_TYPE.fullmatch(text):
        raise OpsError(
            f"--event-type {text!r} is not an event type: an exact name, or a prefix ending in"
            " `*` (e.g. pull_request or invoice.*), as a subscriber's eventTypes"
        )
    pattern = SubscriberSettings(name="replay", event_types=(text,)).event_pattern()
    return {"detail-type": pattern["detail-type"]}


def rule_pattern(events: Any, rule_arn: str) -> dict[str, Any]:
    """The deployed pattern of a subscriber's rule (DescribeRule on its ARN)."""
    # arn:aws:events:<region>:<account>:rule/<bus>/<rule> (a custom bus's rule)
    resource = rule_arn.split(":", 5)[-1]
    parts = resource.split("/")
    if len(parts) != 3 or parts[0] != "rule":
        raise OpsError(f"{rule_arn!r} is not the ARN of a rule on a custom bus")
    answer = events.describe_rule(Name=parts[2], EventBusName=parts[1])
    pattern = json.loads(answer.get("EventPattern") or "{}")
    if not isinstance(pattern, dict) or not pattern:
        raise OpsError(f"rule {rule_arn} has no event pattern")
    return pattern


def eventbridge_judge(events: Any) -> Judge:
    """`TestEventPattern`, or moto's matcher where the endpoint does not have that action."""
    fallback: list[Judge] = []

    def judge(pattern: Pattern, event: dict[str, Any]) -> bool:
        if fallback:
            return fallback[0](pattern, event)
        try:
            answer = events.test_event_pattern(
                EventPattern=json.dumps(pattern), Event=json.dumps(event)
            )
        except NotImplementedError:
            answer = {}
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in UNIMPLEMENTED_CODES:
                raise
            answer = {}
        if "Result" in answer:
            return bool(answer["Result"])
        fallback.append(moto_judge())
        return fallback[0](pattern, event)

    return judge


def moto_judge() -> Judge:
    """The matcher of the local stack's bus (moto's EventBridge); moto is a dev dependency."""
    try:
        from moto.events.models import EventPattern
    except ImportError:
        raise OpsError(
            "this endpoint has no TestEventPattern and moto is not installed to judge patterns"
        ) from None

    def judge(pattern: Pattern, event: dict[str, Any]) -> bool:
        # moto types the event as its own TypedDict; ours has every key EventBridge sends
        return bool(EventPattern.load(json.dumps(pattern)).matches_event(cast(Any, event)))

    return judge
