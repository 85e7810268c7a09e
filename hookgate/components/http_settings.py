"""A subscriber's `http` section: where and how its events are POSTed; it checks itself.

`webhooks:subscribers.<name>.http` makes the subscriber an HTTPS destination (docs/contract.md,
"HTTP destinations"): its managed queue feeds a delivery function
(hookgate/components/http_destination.py)
that re-signs each event with Standard Webhooks. Plain `http://` is refused except in the local
stack, which marks the program's run with `LOCAL_STACK_VARIABLE` (local/stack.py).

`HttpSettings` checks itself when built, from config (`read_http`) or in code, with the same
`ConfigError`. Built alone it does not know its subscriber, so its errors name the key
`webhooks:subscribers.<name>.http.<key>`; `read_http` names the subscriber.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hookgate.components.config_error import ConfigError, setting_key
from hookgate.components.config_table import (
    Checked,
    Choice,
    Integer,
    check_fields,
    declared,
    required_setting,
    setting,
)
from webhooks.keys import LOCAL_STACK_VARIABLE

BODIES = ("original", "event")
MAX_HEADERS = 20
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")
HEADER_VALUE = re.compile(r"[\x20-\x7e]{0,1024}")
# Headers the delivery sets itself (the signature and its inputs, what describes the event),
# those HTTP/1.1 reserves for one hop (RFC 9110 §7.6.1) and those the connection computes.
RESERVED_HEADERS = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "webhook-provider",
        "webhook-delivery-id",
        "webhook-event-type",
        "webhook-attempt",
        "svix-id",
        "svix-timestamp",
        "svix-signature",
        "content-type",
        "content-length",
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8}([0-9a-f]{9})?")
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-f]{8}([0-9a-f]{9})?")
MAX_VPC_IDS = 16
UNNAMED = ("subscribers", "<name>")
"""Where an `HttpSettings` built alone says its keys are: it does not know its subscriber."""


@dataclass(frozen=True)
class HttpSettings:
    """One destination: the URL, its limits and what each request carries."""

    url: str = required_setting(
        "url",
        Checked("an https:// URL with a host, no credentials or fragment, at most 2048 characters"),
        "`http://` only in the local stack",
    )
    # The rate limiter spaces requests 1/rate apart (handlers/webhooks/ratelimit.py).
    rate_limit_per_second: int = setting(
        10,
        "rateLimitPerSecond",
        Integer(1, 1000),
        "requests started per second, whatever the concurrency"
        " ([HTTP destinations](contract.md#http-destinations-subscribersnamehttp))",
    )
    timeout_seconds: int = setting(10, "timeoutSeconds", Integer(1, 60), "per request")
    # The subscriber queue keeps messages 4 days (components/bus.py): retries end well before.
    max_age_hours: int = setting(
        24,
        "maxAgeHours",
        Integer(1, 72),
        "retried until this long after the event first reached the queue, then in the DLQ",
    )
    body: str = setting(
        "original",
        "body",
        Choice(BODIES),
        "`original`: the sender's bytes and content type; `event`: the published event JSON",
    )
    headers: tuple[tuple[str, str], ...] = setting(
        (),
        "headers",
        Checked(
            f"an object of at most {MAX_HEADERS} header name → printable ASCII value (≤ 1024"
            " characters)"
        ),
        "not a header the delivery sets itself: hop-by-hop, content-*, webhook-*, svix-*",
        shown_default="none",
    )
    """(name, value), in config order."""
    subnet_ids: tuple[str, ...] = setting(
        (),
        "vpc.subnetIds",
        Checked(f"1 to {MAX_VPC_IDS} subnet ids (subnet-…)"),
        "the deliver function runs in these subnets; only with `vpc.securityGroupIds`",
        shown_default="none (no VPC)",
    )
    security_group_ids: tuple[str, ...] = setting(
        (),
        "vpc.securityGroupIds",
        Checked(f"1 to {MAX_VPC_IDS} security group ids (sg-…)"),
        "only with `vpc.subnetIds`",
        shown_default="none",
    )

    def __post_init__(self) -> None:
        key = setting_key(*UNNAMED, "http")
        check_fields(self, *UNNAMED, "http")
        _check_url(self.url, f"{key}.url")
        _check_headers(self.headers, f"{key}.headers")
        if (self.subnet_ids, self.security_group_ids) != ((), ()):
            _check_ids(self.subnet_ids, f"{key}.vpc.subnetIds", SUBNET_ID, "subnet ids (subnet-…)")
            _check_ids(
                self.security_group_ids,
                f"{key}.vpc.securityGroupIds",
                SECURITY_GROUP_ID,
                "security group ids (sg-…)",
            )


KNOWN_KEYS = tuple(dict.fromkeys(d.key.split(".")[0] for _, d in declared(HttpSettings)))
"""The members of an `http` object: url, rateLimitPerSecond, ..., vpc."""


def local_stack() -> bool:
    """Whether the local stack runs the program (`http://` URLs are allowed then only)."""
    return os.environ.get(LOCAL_STACK_VARIABLE) == "1"


def _check_url(value: object, key: str) -> None:
    allowed = "an https:// URL with a host" + (
        " (http:// too in the local stack)"
        if local_stack()
        else " (http:// only in the local stack)"
    )
    if not isinstance(value, str) or len(value) > 2048 or not value.isascii():
        raise ConfigError(key, value, allowed)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError(key, value, allowed) from None
    schemes = ("https", "http") if local_stack() else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.fragment:
        raise ConfigError(key, value, allowed + ", no credentials or fragment")
    if any(c.isspace() for c in value):
        raise ConfigError(key, value, allowed)


def _check_headers(value: object, key: str) -> None:
    if not isinstance(value, tuple) or len(value) > MAX_HEADERS:
        shown = dict(value) if isinstance(value, tuple) else value
        raise ConfigError(key, shown, f"an object of at most {MAX_HEADERS} header name → value")
    seen: set[str] = set()
    for name, text in value:
        if not isinstance(name, str) or not HEADER_NAME.fullmatch(name):
            raise ConfigError(f"{key}.{name}", name, "an HTTP header name (RFC 9110 token)")
        lowered = name.lower()
        if lowered in RESERVED_HEADERS or lowered in seen:
            raise ConfigError(
                f"{key}.{name}",
                name,
                "a header the delivery does not set itself, once (not a hop-by-hop, signature,"
                f" webhook-* or content header: {', '.join(sorted(RESERVED_HEADERS))})",
            )
        if not isinstance(text, str) or not HEADER_VALUE.fullmatch(text):
            raise ConfigError(
                f"{key}.{name}", text, "printable ASCII text of at most 1024 characters"
            )
        seen.add(lowered)


def _check_ids(value: object, key: str, pattern: re.Pattern[str], what: str) -> None:
    if (
        not isinstance(value, tuple)
        or not 1 <= len(value) <= MAX_VPC_IDS
        or not all(isinstance(v, str) and pattern.fullmatch(v) for v in value)
    ):
        shown = list(value) if isinstance(value, tuple) else value  # as config spells it
        raise ConfigError(key, shown, f"a list of 1 to {MAX_VPC_IDS} {what}")


def _listed(value: Any) -> Any:
    """A non-empty config list as the tuple the settings hold; anything else as given, for
    `HttpSettings` to refuse (an empty list is not the `()` of no VPC)."""
    return tuple(value) if isinstance(value, list) and value else value


def read_http(value: Any, base: tuple[str, ...]) -> HttpSettings:
    """The `http` section of the subscriber at config path `base`: the config's shapes read
    here, the values checked by `HttpSettings`, its errors naming that subscriber's keys."""
    key = setting_key(*base, "http")
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, f"an object with keys {', '.join(KNOWN_KEYS)}")
    for member in value:
        if member not in KNOWN_KEYS:
            raise ConfigError(
                f"{key}.{member}", value[member], f"known keys: {', '.join(KNOWN_KEYS)}"
            )
    given: dict[str, Any] = {"url": value.get("url")}
    vpc = value.get("vpc")
    if vpc is not None:
        if not isinstance(vpc, Mapping) or set(vpc) != {"subnetIds", "securityGroupIds"}:
            raise ConfigError(f"{key}.vpc", vpc, "an object with subnetIds and securityGroupIds")
        given["subnet_ids"] = _listed(vpc["subnetIds"])
        given["security_group_ids"] = _listed(vpc["securityGroupIds"])
    if "headers" in value:
        headers = value["headers"]
        given["headers"] = tuple(headers.items()) if isinstance(headers, Mapping) else headers
    names = {d.key: f.name for f, d in declared(HttpSettings) if "." not in d.key}
    given.update({names[k]: v for k, v in value.items() if k not in ("vpc", "headers")})
    unnamed = setting_key(*UNNAMED, "http")
    try:
        return HttpSettings(**given)
    except ConfigError as error:
        raise ConfigError(
            key + error.key.removeprefix(unnamed), error.value, error.allowed
        ) from None
