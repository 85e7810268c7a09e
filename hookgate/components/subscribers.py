"""The `webhooks:subscribers` section: who receives which published events, validated once.

Each subscriber becomes one EventBridge rule on the stack's bus whose pattern is generated here
(`SubscriberSettings.event_pattern`) from `providers`, `eventTypes` and `payload`, merged with
an optional raw `pattern`. Payload filters match `detail.match.<path>`, which the publisher fills
for every path any subscriber filters on (`match_paths`), whatever the body's size: a
claim-checked body routes exactly as the same body inline would.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hookgate.components.config_error import ConfigError, setting_key
from hookgate.components.http_settings import HttpSettings, read_http
from webhooks.publish import (
    MAX_DETAIL_TYPE_LENGTH,
    MAX_INT64,
    MAX_MATCH_VALUE_LENGTH,
    MAX_UNMATCHED_BYTES,
    MIN_INT64,
    SOURCE_PREFIX,
)

SUBSCRIBER_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
SUBSCRIBER_NAME_RULE = (
    "lower-case letters, digits and -, at most 32, starting with a letter or digit"
)
KNOWN_KEYS = ("providers", "eventTypes", "payload", "pattern", "target", "messageGroupId", "http")
PATH_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")
EVENT_TYPE = re.compile(
    rf"[^*\s][^*]{{0,{MAX_DETAIL_TYPE_LENGTH - 1}}}|[^*\s][^*]{{0,{MAX_DETAIL_TYPE_LENGTH - 2}}}\*"
)
"""An exact type as long as a `DetailType` may be, or a prefix no longer than what a truncated
type keeps (handlers/webhooks/publish.py, `detail_type`), so it matches that type too."""
TARGET_ARN = re.compile(
    r"arn:aws[a-z-]*:(?P<service>sqs|lambda|events):(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"(?P<resource>[A-Za-z0-9_.:/-]{1,256})"
)
TARGET_KINDS = {
    "sqs": ("queue", re.compile(r"[A-Za-z0-9_-]{1,80}(\.fifo)?")),
    "lambda": ("function", re.compile(r"function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?")),
    "events": ("bus", re.compile(r"event-bus/[A-Za-z0-9._/-]{1,256}")),
}
TARGET_RULE = (
    "an SQS queue, Lambda function or EventBridge bus ARN, e.g."
    " arn:aws:events:eu-west-1:210987654321:event-bus/central"
)
# EventBridge's SqsParameters.MessageGroupId takes at most 100 characters (its API model), and
# SQS takes letters, digits and punctuation in a group id (SendMessage, MessageGroupId).
MESSAGE_GROUP_ID = re.compile(r"[A-Za-z0-9!-/:-@\[-`{-~]{1,100}")
# Only a bus may be in another Region: EventBridge sends to an event bus in another Region
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html), to a queue
# or function in another account only in the same Region
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-cross-account.html).
CROSS_REGION_KINDS = ("bus",)


@dataclass(frozen=True)
class SubscriberSettings:
    """One subscriber: its filter and, unless managed, its existing target."""

    name: str
    providers: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    payload: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    """(dotted path, allowed values), in config order."""
    pattern: Mapping[str, Any] | None = None
    """A raw EventBridge pattern merged into the generated one."""
    target: str | None = None
    """None: managed (the stack creates the queue and its DLQ)."""
    message_group_id: str | None = None
    """A FIFO queue target's `SqsParameters.MessageGroupId` (None for any other target)."""
    http: HttpSettings | None = None
    """An HTTPS destination fed by the managed queue (components/http_destination.py)."""

    @property
    def managed(self) -> bool:
        return self.target is None

    def _target(self, part: str) -> str:
        match = TARGET_ARN.fullmatch(self.target or "")
        assert match is not None  # validated by read_subscribers
        return match[part]

    @property
    def target_kind(self) -> str:
        """`queue` (managed or an SQS ARN), `function` or `bus`."""
        if self.target is None:
            return "queue"
        return TARGET_KINDS[self._target("service")][0]

    @property
    def target_account(self) -> str | None:
        """The target's account (None when managed: the stack's own)."""
        return None if self.target is None else self._target("account")

    @property
    def target_region(self) -> str | None:
        """The target's Region (None when managed: the stack's own)."""
        return None if self.target is None else self._target("region")

    def event_pattern(self) -> dict[str, Any]:
        """The rule's pattern: source, detail-type and `detail.match` from the short form."""
        pattern: dict[str, Any] = {
            "source": [SOURCE_PREFIX + p for p in self.providers] or [{"prefix": SOURCE_PREFIX}]
        }
        if self.event_types:
            pattern["detail-type"] = [
                {"prefix": t[:-1]} if t.endswith("*") else t for t in self.event_types
            ]
        if self.payload:
            match: dict[str, Any] = {}
            for path, values in self.payload:
                node = match
                *parents, leaf = path.split(".")
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = list(values)
            pattern["detail"] = {"match": match}
        if self.pattern:
            pattern = merge_patterns(
                pattern, self.pattern, setting_key("subscribers", self.name, "pattern")
            )
        return pattern


def match_paths(subscribers: tuple[SubscriberSettings, ...]) -> tuple[str, ...]:
    """Every payload path any subscriber filters on, sorted: what the publisher carries."""
    return tuple(sorted({path for s in subscribers for path, _ in s.payload}))


def merge_patterns(base: Mapping[str, Any], extra: Mapping[str, Any], key: str) -> dict[str, Any]:
    """`base` with `extra`'s fields added; a field both set is an error naming it."""
    merged = copy.deepcopy(dict(base))
    for name, value in extra.items():
        if name not in merged:
            merged[name] = copy.deepcopy(value)
        elif isinstance(merged[name], dict) and isinstance(value, Mapping):
            merged[name] = merge_patterns(merged[name], value, f"{key}.{name}")
        else:
            raise ConfigError(
                f"{key}.{name}",
                value,
                "a field the short form (providers, eventTypes, payload) does not already set",
            )
    return merged


def _strings(value: Any, key: str, what: str) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise ConfigError(key, value, f"a non-empty list of {what}")
    return tuple(value)


def _check_pattern(value: Any, key: str) -> None:
    """EventBridge's shape: objects whose leaves are non-empty arrays."""
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(key, value, "an EventBridge event pattern: an object of fields")
    for name, member in value.items():
        if isinstance(member, Mapping):
            _check_pattern(member, f"{key}.{name}")
        elif not isinstance(member, list) or not member:
            raise ConfigError(
                f"{key}.{name}", member, "a non-empty array of values or matchers, or an object"
            )


def _payload(value: Any, key: str) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(key, value, "an object: dotted field path → list of allowed values")
    result = []
    for path, allowed in value.items():
        if not isinstance(path, str) or not all(
            PATH_PART.fullmatch(part) for part in path.split(".")
        ):
            raise ConfigError(
                f"{key}.{path}", path, "a dotted path of names (letters, digits, _ and -)"
            )
        if not isinstance(allowed, list) or not allowed or not all(_matchable(v) for v in allowed):
            raise ConfigError(
                f"{key}.{path}",
                allowed,
                f"a non-empty list of strings (at most {MAX_MATCH_VALUE_LENGTH} characters,"
                " the longest value an event carries in detail.match), finite numbers (integers"
                " within 64 bits) or booleans",
            )
        result.append((path, tuple(allowed)))
    paths = [p for p, _ in result]
    for path in paths:
        for other in paths:
            if other != path and other.startswith(path + "."):
                raise ConfigError(
                    f"{key}.{other}", other, f"a path not inside another filtered path ({path})"
                )
    return tuple(result)


def _matchable(value: Any) -> bool:
    """A value `detail.match` can hold (handlers/webhooks/publish.py, `_match_value`)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_MATCH_VALUE_LENGTH
    if isinstance(value, int):
        return MIN_INT64 <= value <= MAX_INT64
    return isinstance(value, float) and math.isfinite(value)


def _subscriber(name: str, value: Any, providers: tuple[str, ...]) -> SubscriberSettings:
    base = ("subscribers", name)
    if not isinstance(value, Mapping):
        raise ConfigError(setting_key(*base), value, f"an object with keys {', '.join(KNOWN_KEYS)}")
    for member in value:
        if member not in KNOWN_KEYS:
            raise ConfigError(
                setting_key(*base, member), value[member], f"known keys: {', '.join(KNOWN_KEYS)}"
            )
    chosen: tuple[str, ...] = ()
    if value.get("providers") is not None:
        chosen = _strings(value["providers"], setting_key(*base, "providers"), "provider names")
        for provider in chosen:
            if provider not in providers:
                raise ConfigError(
                    setting_key(*base, "providers"),
                    provider,
                    f"a configured provider: {', '.join(providers)}",
                )
    types: tuple[str, ...] = ()
    if value.get("eventTypes") is not None:
        types = _strings(value["eventTypes"], setting_key(*base, "eventTypes"), "event types")
        for event_type in types:
            if not EVENT_TYPE.fullmatch(event_type):
                raise ConfigError(
                    setting_key(*base, "eventTypes"),
                    event_type,
                    f"an exact event type of at most {MAX_DETAIL_TYPE_LENGTH} characters or a"
                    " prefix ending in * (e.g. invoice.*), at most"
                    f" {MAX_DETAIL_TYPE_LENGTH - 1} before the *; * alone is not needed (omit"
                    " eventTypes for every type)",
                )
    payload = (
        _payload(value["payload"], setting_key(*base, "payload")) if "payload" in value else ()
    )
    pattern = value.get("pattern")
    if pattern is not None:
        _check_pattern(pattern, setting_key(*base, "pattern"))
        pattern = json.loads(json.dumps(pattern))
    target = value.get("target")
    if target is not None:
        match = TARGET_ARN.fullmatch(target) if isinstance(target, str) else None
        if match is None or not TARGET_KINDS[match["service"]][1].fullmatch(match["resource"]):
            raise ConfigError(setting_key(*base, "target"), target, TARGET_RULE)
    http = None
    if value.get("http") is not None:
        if target is not None:
            raise ConfigError(setting_key(*base, "http"), value["http"], "either target or http")
        http = read_http(value["http"], base)
    subscriber = SubscriberSettings(
        name=name,
        providers=chosen,
        event_types=types,
        payload=payload,
        pattern=pattern,
        target=target,
        message_group_id=_message_group_id(name, value.get("messageGroupId"), target),
        http=http,
    )
    subscriber.event_pattern()  # a merge conflict is a config error now, not at deploy
    return subscriber


def _message_group_id(name: str, value: Any, target: str | None) -> str | None:
    """A FIFO queue target needs `SqsParameters.MessageGroupId` or EventBridge refuses the
    target (PutTargets, SqsParameters); the default is the subscriber's name: one group, so the
    queue receives the subscriber's events in the order EventBridge sends them. Any other target
    takes no group id."""
    key = setting_key("subscribers", name, "messageGroupId")
    match = TARGET_ARN.fullmatch(target) if target is not None else None
    if match is None or match["service"] != "sqs" or not target or not target.endswith(".fifo"):
        if value is not None:
            raise ConfigError(
                key,
                value,
                "unset unless target is an SQS FIFO queue (an ARN ending in .fifo): managed"
                " queues are standard queues, and other targets have no message groups",
            )
        return None
    if value is None:
        return name
    if not isinstance(value, str) or not MESSAGE_GROUP_ID.fullmatch(value):
        raise ConfigError(
            key,
            value,
            "1 to 100 letters, digits or punctuation (EventBridge's SqsParameters.MessageGroupId)",
        )
    return value


def check_target_regions(subscribers: tuple[SubscriberSettings, ...], region: str) -> None:
    """EventBridge delivers to an SQS queue or a Lambda function in the rule's Region only;
    only an event bus may be in another Region (then it forwards in its own Region)."""
    for s in subscribers:
        if s.target_region not in (None, region) and s.target_kind not in CROSS_REGION_KINDS:
            raise ConfigError(
                setting_key("subscribers", s.name, "target"),
                s.target,
                f"a {s.target_kind} in the stack's Region {region}: EventBridge delivers to"
                " queues and functions only in the rule's Region. For one elsewhere, target an"
                " event bus in that Region whose rule delivers there",
            )


def read_subscribers(
    raw: Mapping[str, Any], providers: tuple[str, ...]
) -> tuple[SubscriberSettings, ...]:
    """The validated `webhooks:subscribers` (absent: none), sorted by name; `providers` are the
    configured provider names, the only ones a subscriber may name."""
    value = raw.get("subscribers")
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(
            setting_key("subscribers"),
            value,
            "an object: subscriber name → {providers, eventTypes, ...}",
        )
    result = []
    for name in sorted(value, key=str):
        if not isinstance(name, str) or not SUBSCRIBER_NAME.fullmatch(name):
            raise ConfigError(setting_key("subscribers", str(name)), name, SUBSCRIBER_NAME_RULE)
        result.append(_subscriber(name, value[name] or {}, providers))
    paths = match_paths(tuple(result))
    if len(json.dumps(list(paths))) > MAX_UNMATCHED_BYTES:
        raise ConfigError(
            setting_key("subscribers"),
            f"{len(paths)} payload paths",
            f"payload paths of at most {MAX_UNMATCHED_BYTES} bytes together as a JSON list:"
            " each event may list them in detail.unmatched",
        )
    return tuple(result)
