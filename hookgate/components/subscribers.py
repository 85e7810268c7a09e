"""The `webhooks:subscribers` section: who receives which published events; each checks itself.

Each subscriber becomes one EventBridge rule on the stack's bus whose pattern is generated here
(`SubscriberSettings.event_pattern`) from `providers`, `eventTypes` and `payload`, merged with
an optional raw `pattern`. Payload filters match `detail.match.<path>`, which the publisher fills
for every path any subscriber filters on (`match_paths`), whatever the body's size: a
claim-checked body routes exactly as the same body inline would.

A `SubscriberSettings` checks itself when built, from config (`read_subscribers`, which reads
the config's shapes) or in code, with the same `ConfigError`; the rules between subscribers and
the providers (`check_subscribers`) run wherever a `Settings` is built.
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
from hookgate.components.config_table import Checked, Setting, declared, setting
from hookgate.components.http_settings import HttpSettings, read_http
from webhooks.publish import (
    MAX_DETAIL_TYPE_LENGTH,
    MAX_INT64,
    MAX_MATCH_VALUE_LENGTH,
    MAX_UNMATCHED_BYTES,
    MIN_INT64,
    SOURCE_PREFIX,
)

MAX_NAME_LENGTH = 32
SUBSCRIBER_NAME = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{MAX_NAME_LENGTH - 1}}}")
SUBSCRIBER_NAME_RULE = (
    f"lower-case letters, digits and -, at most {MAX_NAME_LENGTH}, starting with a letter or digit"
)
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


DOC = "Who receives the published events: subscriber name → its filter and target."
"""One line for Pulumi.yaml's description of the `subscribers` key."""
NAME = Setting(
    "<name>",
    Checked(
        "who receives published events ([Subscribers](#subscribers)); `<name>`: `a-z0-9-`,"
        f" starting with a letter or digit, ≤ {MAX_NAME_LENGTH}"
    ),
    "short enough that its resources' names (`webhooks-sub-<name>-<stack>[-<region>]`) fit"
    " AWS's limits, so the longest allowed depends on the stack's name (the error says how"
    " long); no name may give another resource of the stack the same name ([Subscriber"
    " names](#subscriber-names))",
    shown_default="none",
)
"""The `subscribers.<name>` key: the subscriber's name (`SubscriberSettings.name`)."""


@dataclass(frozen=True)
class SubscriberSettings:
    """One subscriber: its filter and, unless managed, its existing target."""

    name: str
    providers: tuple[str, ...] = setting(
        (),
        "providers",
        Checked("a non-empty list of configured provider names"),
        shown_default="every provider",
    )
    event_types: tuple[str, ...] = setting(
        (),
        "eventTypes",
        Checked(
            f"a non-empty list of exact event types (≤ {MAX_DETAIL_TYPE_LENGTH} characters) or"
            f" prefixes ending in `*` (`invoice.*`; ≤ {MAX_DETAIL_TYPE_LENGTH - 1} characters"
            " before the `*`; `*` alone: omit the key)"
        ),
        "`unknown` for events without a type",
        shown_default="every type",
    )
    payload: tuple[tuple[str, tuple[Any, ...]], ...] = setting(
        (),
        "payload",
        Checked(
            "dotted field path in the JSON body (names of letters, digits, `_`, `-`, ≤ 64 each;"
            " no path inside another) → non-empty list of allowed strings"
            f" (≤ {MAX_MATCH_VALUE_LENGTH} characters), finite numbers (integers within 64 bits)"
            " or booleans"
        ),
        f"all filtered paths of the stack together ≤ {MAX_UNMATCHED_BYTES} bytes as a JSON list",
        shown_default="none",
    )
    """(dotted path, allowed values), in config order."""
    pattern: Mapping[str, Any] | None = setting(
        None,
        "pattern",
        Checked("a raw EventBridge pattern merged into the generated one"),
        "it may not set a field the short form sets",
        shown_default="none",
    )
    target: str | None = setting(
        None,
        "target",
        Checked("an SQS queue, Lambda function or EventBridge bus ARN"),
        "a queue or function in the stack's Region (another Region is refused), a bus in any"
        " Region; any account ([targets elsewhere](deploying.md#subscribers-targets-elsewhere))",
        shown_default="none (managed queue)",
    )
    """None: managed (the stack creates the queue and its DLQ)."""
    message_group_id: str | None = setting(
        None,
        "messageGroupId",
        Checked(
            "only with a FIFO queue `target` (an ARN ending in `.fifo`): 1 to 100 letters, digits"
            " or punctuation"
        ),
        "refused on any other subscriber ([FIFO queues](deploying.md#subscribers-targets-"
        "elsewhere))",
        shown_default="the subscriber's name (FIFO queue targets)",
    )
    """A FIFO queue target's `SqsParameters.MessageGroupId` (None for any other target)."""
    http: HttpSettings | None = setting(  # noqa: RUF009 - `setting` is a dataclasses.field
        None,
        "http",
        Checked("an object of the `http.*` keys below; not with `target`"),
        "a managed queue feeds a deliver function that POSTs each event to `http.url`"
        " ([http-destinations.md](http-destinations.md))",
        shown_default="none",
    )
    """An HTTPS destination fed by the managed queue (components/http_destination.py)."""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not SUBSCRIBER_NAME.fullmatch(self.name):
            raise ConfigError(
                setting_key("subscribers", str(self.name)), self.name, SUBSCRIBER_NAME_RULE
            )
        base = ("subscribers", self.name)
        _check_strings(self.providers, setting_key(*base, "providers"), "provider names")
        _check_event_types(self.event_types, setting_key(*base, "eventTypes"))
        _check_payload(self.payload, setting_key(*base, "payload"))
        if self.pattern is not None:
            _check_pattern(self.pattern, setting_key(*base, "pattern"))
        if self.target is not None:
            match = TARGET_ARN.fullmatch(self.target) if isinstance(self.target, str) else None
            if match is None or not TARGET_KINDS[match["service"]][1].fullmatch(match["resource"]):
                raise ConfigError(setting_key(*base, "target"), self.target, TARGET_RULE)
            if self.http is not None:
                raise ConfigError(
                    setting_key(*base, "http"), self.http.url, "either target or http"
                )
        group = _message_group_id(self.name, self.message_group_id, self.target)
        object.__setattr__(self, "message_group_id", group)
        self.event_pattern()  # a merge conflict is a config error now, not at deploy

    @property
    def managed(self) -> bool:
        return self.target is None

    def _target(self, part: str) -> str:
        match = TARGET_ARN.fullmatch(self.target or "")
        assert match is not None  # checked in __post_init__
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


KNOWN_KEYS = tuple(declaration.key for _, declaration in declared(SubscriberSettings))
"""The members of a subscriber's object: providers, eventTypes, ..., http."""


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


def _shown(value: object) -> object:
    """A value as config spells it in an error: a tuple as the list it was written as."""
    return list(value) if isinstance(value, tuple) else value


def _check_strings(value: object, key: str, what: str) -> None:
    """Unset (`()`) or non-blank strings; config's empty list is refused by the reader."""
    if not isinstance(value, tuple) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(key, _shown(value), f"a non-empty list of {what}")


def _check_event_types(value: tuple[str, ...], key: str) -> None:
    _check_strings(value, key, "event types")
    for event_type in value:
        if not EVENT_TYPE.fullmatch(event_type):
            raise ConfigError(
                key,
                event_type,
                f"an exact event type of at most {MAX_DETAIL_TYPE_LENGTH} characters or a"
                " prefix ending in * (e.g. invoice.*), at most"
                f" {MAX_DETAIL_TYPE_LENGTH - 1} before the *; * alone is not needed (omit"
                " eventTypes for every type)",
            )


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


def _check_payload(value: tuple[tuple[str, tuple[Any, ...]], ...], key: str) -> None:
    for path, allowed in value:
        if not isinstance(path, str) or not all(
            PATH_PART.fullmatch(part) for part in path.split(".")
        ):
            raise ConfigError(
                f"{key}.{path}", path, "a dotted path of names (letters, digits, _ and -)"
            )
        if not isinstance(allowed, tuple) or not allowed or not all(map(_matchable, allowed)):
            raise ConfigError(
                f"{key}.{path}",
                _shown(allowed),
                f"a non-empty list of strings (at most {MAX_MATCH_VALUE_LENGTH} characters,"
                " the longest value an event carries in detail.match), finite numbers (integers"
                " within 64 bits) or booleans",
            )
    paths = [p for p, _ in value]
    for index, path in enumerate(paths):
        if path in paths[:index]:  # only in code: a config object has each key once
            raise ConfigError(f"{key}.{path}", path, "a path filtered once")
        for other in paths:
            if other != path and other.startswith(path + "."):
                raise ConfigError(
                    f"{key}.{other}", other, f"a path not inside another filtered path ({path})"
                )


def _matchable(value: Any) -> bool:
    """A value `detail.match` can hold (handlers/webhooks/publish.py, `_match_value`)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_MATCH_VALUE_LENGTH
    if isinstance(value, int):
        return MIN_INT64 <= value <= MAX_INT64
    return isinstance(value, float) and math.isfinite(value)


def _strings(value: Any, key: str, what: str) -> tuple[str, ...]:
    """A config list as a tuple; an empty one or another shape is refused here (unset is
    omitting the key)."""
    if not isinstance(value, list) or not value:
        raise ConfigError(key, value, f"a non-empty list of {what}")
    return tuple(value)


def _payload(value: Any, key: str) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """The config object as (path, allowed values) pairs, lists as tuples; their values are
    checked by `SubscriberSettings`."""
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(key, value, "an object: dotted field path → list of allowed values")
    return tuple(
        (path, tuple(allowed) if isinstance(allowed, list) else allowed)
        for path, allowed in value.items()
    )


def _subscriber(name: Any, value: Any) -> SubscriberSettings:
    """A subscriber from its config object: the shapes read here, the values (its name too)
    checked by `SubscriberSettings`."""
    base = ("subscribers", str(name))
    if not isinstance(value, Mapping):
        raise ConfigError(setting_key(*base), value, f"an object with keys {', '.join(KNOWN_KEYS)}")
    for member in value:
        if member not in KNOWN_KEYS:
            raise ConfigError(
                setting_key(*base, member), value[member], f"known keys: {', '.join(KNOWN_KEYS)}"
            )
    providers: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    payload: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    pattern = value.get("pattern")
    http = None
    if value.get("providers") is not None:
        providers = _strings(value["providers"], setting_key(*base, "providers"), "provider names")
    if value.get("eventTypes") is not None:
        types = _strings(value["eventTypes"], setting_key(*base, "eventTypes"), "event types")
    if "payload" in value:
        payload = _payload(value["payload"], setting_key(*base, "payload"))
    if isinstance(pattern, Mapping):
        pattern = json.loads(json.dumps(pattern))  # plain dicts and lists, as EventBridge's
    if value.get("http") is not None:
        http = read_http(value["http"], base)
    return SubscriberSettings(
        name=name,
        providers=providers,
        event_types=types,
        payload=payload,
        pattern=pattern,
        target=value.get("target"),
        message_group_id=value.get("messageGroupId"),
        http=http,
    )


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


def check_subscribers(
    subscribers: tuple[SubscriberSettings, ...], providers: tuple[str, ...]
) -> None:
    """The rules between the subscribers and the rest of the stack: a subscriber names
    configured providers only, and the payload paths of all fit what an event lists."""
    for subscriber in subscribers:
        for provider in subscriber.providers:
            if provider not in providers:
                raise ConfigError(
                    setting_key("subscribers", subscriber.name, "providers"),
                    provider,
                    f"a configured provider: {', '.join(providers)}",
                )
    paths = match_paths(subscribers)
    if len(json.dumps(list(paths))) > MAX_UNMATCHED_BYTES:
        raise ConfigError(
            setting_key("subscribers"),
            f"{len(paths)} payload paths",
            f"payload paths of at most {MAX_UNMATCHED_BYTES} bytes together as a JSON list:"
            " each event may list them in detail.unmatched",
        )


def read_subscribers(
    raw: Mapping[str, Any], providers: tuple[str, ...]
) -> tuple[SubscriberSettings, ...]:
    """The `webhooks:subscribers` (absent: none), sorted by name, checked against `providers`,
    the configured provider names (as `Settings` checks them again when built)."""
    value = raw.get("subscribers")
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(
            setting_key("subscribers"),
            value,
            "an object: subscriber name → {providers, eventTypes, ...}",
        )
    result = tuple(_subscriber(name, value[name] or {}) for name in sorted(value, key=str))
    check_subscribers(result, providers)
    return result
