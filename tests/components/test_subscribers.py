"""`webhooks:subscribers`: validated once, errors name the key, the value and what is allowed."""

from typing import Any

import pytest

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import parse_settings
from hookgate.components.subscribers import match_paths
from tests.components.mockstack import SUBSCRIBERS
from tests.components.test_settings import minimal


def parse(subscribers: Any) -> Any:
    raw = minimal()
    raw["providers"] = {"github": {"scheme": "github"}, "stripe": {"scheme": "stripe"}}
    raw["secrets"] = {"github": "gh-secret", "stripe": "whsec_abc"}
    raw["subscribers"] = subscribers
    return parse_settings(raw).subscribers


def test_the_issues_four_subscribers() -> None:
    subs = {s.name: s for s in parse(SUBSCRIBERS)}
    assert sorted(subs) == ["billing", "central", "ci", "everything"]
    assert [s.managed for s in subs.values()] == [True, False, True, True]
    assert subs["central"].target_kind == "bus"
    assert subs["ci"].payload == (("repository.full_name", ("acme/api",)),)
    assert match_paths(tuple(subs.values())) == ("repository.full_name",)


def test_no_subscribers_by_default() -> None:
    raw = minimal()
    assert parse_settings(raw).subscribers == ()


def test_raw_pattern_is_merged() -> None:
    [sub] = parse(
        {
            "x": {
                "providers": ["stripe"],
                "pattern": {"detail": {"body_size": [{"numeric": ["<", 100]}]}},
            }
        }
    )
    assert sub.event_pattern() == {
        "source": ["webhooks.stripe"],
        "detail": {"body_size": [{"numeric": ["<", 100]}]},
    }


def test_target_kinds() -> None:
    subs = parse(
        {
            "q": {"target": "arn:aws:sqs:eu-west-1:210987654321:their-queue"},
            "f": {"target": "arn:aws:lambda:eu-west-1:123456789012:function:consumer"},
        }
    )
    assert {s.name: s.target_kind for s in subs} == {"f": "function", "q": "queue"}


@pytest.mark.parametrize(
    ("subscribers", "key", "value", "allowed"),
    [
        ([1], "webhooks:subscribers", [1], "an object"),
        ({"Bad_Name": {}}, "webhooks:subscribers.Bad_Name", "Bad_Name", "lower-case"),
        (
            {"a": {"providers": ["shopify"]}},
            "webhooks:subscribers.a.providers",
            "shopify",
            "github, stripe",
        ),
        ({"a": {"providers": []}}, "webhooks:subscribers.a.providers", [], "non-empty list"),
        (
            {"a": {"eventTypes": ["*"]}},
            "webhooks:subscribers.a.eventTypes",
            "*",
            "prefix ending in *",
        ),
        (
            {"a": {"eventTypes": ["in*voice"]}},
            "webhooks:subscribers.a.eventTypes",
            "in*voice",
            "prefix ending in *",
        ),
        (
            {"a": {"eventTypes": ["x" * 128 + "*"]}},  # a truncated type keeps 127
            "webhooks:subscribers.a.eventTypes",
            "x" * 128 + "*",
            "at most 127 before the *",
        ),
        (
            {"a": {"payload": {"a.b": ["x" * 257]}}},  # no event carries a longer value
            "webhooks:subscribers.a.payload.a.b",
            ["x" * 257],
            "at most 256 characters",
        ),
        (
            {"a": {"payload": {"a.b": [2**63]}}},  # EventBridge refuses it in an event
            "webhooks:subscribers.a.payload.a.b",
            [2**63],
            "integers within 64 bits",
        ),
        (
            {f"s{n}": {"payload": {f"p{n}.{'x' * 60}": [1]}} for n in range(80)},
            "webhooks:subscribers",
            "80 payload paths",
            "at most 4096 bytes together",
        ),
        (
            {"a": {"payload": {"a..b": ["x"]}}},
            "webhooks:subscribers.a.payload.a..b",
            "a..b",
            "dotted path",
        ),
        (
            {"a": {"payload": {"a.b": []}}},
            "webhooks:subscribers.a.payload.a.b",
            [],
            "non-empty list",
        ),
        (
            {"a": {"payload": {"a": ["x"], "a.b": ["y"]}}},
            "webhooks:subscribers.a.payload.a.b",
            "a.b",
            "not inside",
        ),
        (
            {"a": {"target": "arn:aws:sns:eu-west-1:123456789012:topic"}},
            "webhooks:subscribers.a.target",
            "arn:aws:sns:eu-west-1:123456789012:topic",
            "SQS queue, Lambda function or EventBridge bus",
        ),
        ({"a": {"filter": 1}}, "webhooks:subscribers.a.filter", 1, "known keys"),
        (
            {"a": {"pattern": {"source": ["x"]}}},
            "webhooks:subscribers.a.pattern.source",
            ["x"],
            "does not already set",
        ),
        (
            {"a": {"pattern": {"detail": {"x": "y"}}}},
            "webhooks:subscribers.a.pattern.detail.x",
            "y",
            "non-empty array",
        ),
    ],
)
def test_invalid_subscribers(subscribers: Any, key: str, value: Any, allowed: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(subscribers)
    assert caught.value.key == key
    assert caught.value.value == value
    assert allowed in caught.value.allowed
