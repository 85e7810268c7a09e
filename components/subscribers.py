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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.config_error import ConfigError, setting_key
from components.http_settings import HttpSettings, read_http

SUBSCRIBER_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
SUBSCRIBER_NAME_RULE = (
    "lower-case letters, digits and -, at most 32, starting with a letter or digit"
)
KNOWN_KEYS = ("providers", "eventTypes", "payload", "pattern", "target", "http")
PATH_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")
EVENT_TYPE = re.compile(r"[^*\s][^*]{0,127}\*?|[^*\s]")
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
SOURCE_PREFIX = "webhooks."
"""Matches the publisher's `source` (`webhooks.<provider>`, handlers/webhooks/publish.py)."""


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
    http: HttpSettings | None = None
    """An HTTPS destination fed by the managed queue (components/http_destination.py)."""

    @property
    def managed(self) -> bool:
        return self.target is None

    @property
    def target_kind(self) -> str:
        """`queue` (managed or an SQS ARN), `function` or `bus`."""
        if self.target is None:
            return "queue"
        match = TARGET_ARN.fullmatch(self.target)
        assert match is not None  # validated by read_subscribers
        return TARGET_KINDS[match["service"]][0]

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
        if (
            not isinstance(allowed, list)
            or not allowed
            or not all(isinstance(v, str | int | float | bool) for v in allowed)
        ):
            raise ConfigError(
                f"{key}.{path}", allowed, "a non-empty list of strings, numbers or booleans"
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
                    "an exact event type or a prefix ending in * (e.g. invoice.*), at most 128"
                    " characters; * alone is not needed (omit eventTypes for every type)",
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
        http=http,
    )
    subscriber.event_pattern()  # a merge conflict is a config error now, not at deploy
    return subscriber


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
    return tuple(result)
