"""A subscriber's `http` section: where and how its events are POSTed, validated once.

`webhooks:subscribers.<name>.http` makes the subscriber an HTTPS destination (docs/contract.md,
"HTTP destinations"): its managed queue feeds a delivery function
(hookgate/components/http_destination.py)
that re-signs each event with Standard Webhooks. Plain `http://` is refused except in the local
stack, which marks the program's run with `LOCAL_STACK_VARIABLE` (local/stack.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hookgate.components.config_error import ConfigError, setting_key
from webhooks.keys import LOCAL_STACK_VARIABLE

KNOWN_KEYS = (
    "url",
    "rateLimitPerSecond",
    "timeoutSeconds",
    "maxAgeHours",
    "body",
    "headers",
    "vpc",
)
BODIES = ("original", "event")
# Bounds: the rate limiter spaces requests 1/rate apart (handlers/webhooks/ratelimit.py); the
# subscriber queue keeps messages 4 days (components/bus.py), so retries end well before.
RATE_BOUNDS = (1, 1000)
TIMEOUT_BOUNDS = (1, 60)
MAX_AGE_BOUNDS = (1, 72)
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


@dataclass(frozen=True)
class HttpSettings:
    """One destination: the URL, its limits and what each request carries."""

    url: str
    rate_limit_per_second: int = 10
    timeout_seconds: int = 10
    max_age_hours: int = 24
    body: str = "original"
    """`original`: the sender's bytes and content type; `event`: the published event JSON."""
    headers: tuple[tuple[str, str], ...] = ()
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()


def local_stack() -> bool:
    """Whether the local stack runs the program (`http://` URLs are allowed then only)."""
    return os.environ.get(LOCAL_STACK_VARIABLE) == "1"


def _bounded(
    section: Mapping[str, Any], key: str, name: str, default: int, bounds: tuple[int, int]
) -> int:
    value = section.get(name, default)
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}.{name}", value, f"an integer from {low} to {high}")
    return value


def _url(value: Any, key: str) -> str:
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
    return value


def _headers(value: Any, key: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping) or len(value) > MAX_HEADERS:
        raise ConfigError(key, value, f"an object of at most {MAX_HEADERS} header name → value")
    seen: set[str] = set()
    result = []
    for name, text in value.items():
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
        result.append((name, text))
    return tuple(result)


def _ids(value: Any, key: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= 16
        or not all(isinstance(v, str) and pattern.fullmatch(v) for v in value)
    ):
        raise ConfigError(key, value, f"a list of 1 to 16 {what}")
    return tuple(value)


def read_http(value: Any, base: tuple[str, ...]) -> HttpSettings:
    """The validated `http` section of the subscriber at config path `base`."""
    key = setting_key(*base, "http")
    if not isinstance(value, Mapping):
        raise ConfigError(key, value, f"an object with keys {', '.join(KNOWN_KEYS)}")
    for member in value:
        if member not in KNOWN_KEYS:
            raise ConfigError(
                f"{key}.{member}", value[member], f"known keys: {', '.join(KNOWN_KEYS)}"
            )
    d = HttpSettings(url="")
    body = value.get("body", d.body)
    if body not in BODIES:
        raise ConfigError(f"{key}.body", body, f"one of {', '.join(BODIES)}")
    subnets: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    vpc = value.get("vpc")
    if vpc is not None:
        if not isinstance(vpc, Mapping) or set(vpc) != {"subnetIds", "securityGroupIds"}:
            raise ConfigError(f"{key}.vpc", vpc, "an object with subnetIds and securityGroupIds")
        subnets = _ids(vpc["subnetIds"], f"{key}.vpc.subnetIds", SUBNET_ID, "subnet ids (subnet-…)")
        groups = _ids(
            vpc["securityGroupIds"],
            f"{key}.vpc.securityGroupIds",
            SECURITY_GROUP_ID,
            "security group ids (sg-…)",
        )
    return HttpSettings(
        url=_url(value.get("url"), f"{key}.url"),
        rate_limit_per_second=_bounded(
            value, key, "rateLimitPerSecond", d.rate_limit_per_second, RATE_BOUNDS
        ),
        timeout_seconds=_bounded(value, key, "timeoutSeconds", d.timeout_seconds, TIMEOUT_BOUNDS),
        max_age_hours=_bounded(value, key, "maxAgeHours", d.max_age_hours, MAX_AGE_BOUNDS),
        body=body,
        headers=_headers(value["headers"], f"{key}.headers") if "headers" in value else (),
        subnet_ids=subnets,
        security_group_ids=groups,
    )
