"""Each subscriber and HTTP destination rule refuses the same value with the same error, whether
the subscriber comes from stack config (`parse_settings`, `read_subscribers`) or is built in
code (`SubscriberSettings(...)`, `HttpSettings(...)`), and a program that builds an invalid one
stops before the pipeline exists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookgate.components import config_reference
from hookgate.components.config_error import ConfigError
from hookgate.components.config_table import declared
from hookgate.components.http_settings import HttpSettings
from hookgate.components.settings import Settings, parse_settings
from hookgate.components.subscribers import KNOWN_KEYS, SubscriberSettings, read_subscribers
from tests.components.mockstack import PROJECT_DIR
from tests.components.test_example import EXAMPLE_DIR
from tests.components.test_settings import SECRET, minimal
from tests.components.test_settings_rules import _Recording, in_code, run_example
from webhooks.keys import LOCAL_STACK_VARIABLE

URL = "https://orders.example.com/hook"
QUEUE = "arn:aws:sqs:eu-west-1:210987654321:their-queue"
FIFO = QUEUE + ".fifo"
DASH = "\N{EN DASH}"  # as the reference writes a range
SUBNET, GROUP = "subnet-0123456789abcdef0", "sg-0123456789abcdef0"


def from_config(subscribers: dict[str, Any], stack: str | None = None) -> Settings:
    return parse_settings(minimal(subscribers=subscribers), stack=stack)


def _subscriber(**fields: Any) -> Callable[[], object]:
    return lambda: SubscriberSettings("a", **fields)


# (rule, `webhooks:subscribers`, the same value built in code, the key the error names)
RULES: list[tuple[str, dict[str, Any], Callable[[], object], str]] = [
    (
        "a subscriber's name",
        {"Bad Name!": {}},
        lambda: SubscriberSettings("Bad Name!"),
        "webhooks:subscribers.Bad Name!",
    ),
    (
        "provider names are not blank",
        {"a": {"providers": [""]}},
        _subscriber(providers=("",)),
        "webhooks:subscribers.a.providers",
    ),
    (
        "a subscriber names configured providers",
        {"a": {"providers": ["stripe"]}},
        lambda: in_code(subscribers=(SubscriberSettings("a", providers=("stripe",)),)),
        "webhooks:subscribers.a.providers",
    ),
    (
        "event types are not blank",
        {"a": {"eventTypes": [""]}},
        _subscriber(event_types=("",)),
        "webhooks:subscribers.a.eventTypes",
    ),
    (
        "an event type or a prefix ending in *",
        {"a": {"eventTypes": ["*"]}},
        _subscriber(event_types=("*",)),
        "webhooks:subscribers.a.eventTypes",
    ),
    (
        "a payload path of names",
        {"a": {"payload": {"a..b": ["x"]}}},
        _subscriber(payload=(("a..b", ("x",)),)),
        "webhooks:subscribers.a.payload.a..b",
    ),
    (
        "payload values an event carries",
        {"a": {"payload": {"a.b": ["x" * 257]}}},
        _subscriber(payload=(("a.b", ("x" * 257,)),)),
        "webhooks:subscribers.a.payload.a.b",
    ),
    (
        "payload values are listed",
        {"a": {"payload": {"a.b": []}}},
        _subscriber(payload=(("a.b", ()),)),
        "webhooks:subscribers.a.payload.a.b",
    ),
    (
        "no payload path inside another",
        {"a": {"payload": {"a": ["x"], "a.b": ["y"]}}},
        _subscriber(payload=(("a", ("x",)), ("a.b", ("y",)))),
        "webhooks:subscribers.a.payload.a.b",
    ),
    (
        "the stack's payload paths fit an event",
        {f"s{n}": {"payload": {f"p{n}.{'x' * 60}": [1]}} for n in range(80)},
        lambda: in_code(
            subscribers=tuple(
                SubscriberSettings(f"s{n}", payload=((f"p{n}.{'x' * 60}", (1,)),))
                for n in range(80)
            )
        ),
        "webhooks:subscribers",
    ),
    (
        "a pattern has fields",
        {"a": {"pattern": {}}},
        _subscriber(pattern={}),
        "webhooks:subscribers.a.pattern",
    ),
    (
        "a pattern's leaves are arrays",
        {"a": {"pattern": {"detail": {"x": "y"}}}},
        _subscriber(pattern={"detail": {"x": "y"}}),
        "webhooks:subscribers.a.pattern.detail.x",
    ),
    (
        "a pattern adds to the short form",
        {"a": {"pattern": {"source": ["x"]}}},
        _subscriber(pattern={"source": ["x"]}),
        "webhooks:subscribers.a.pattern.source",
    ),
    (
        "a target is an ARN",
        {"a": {"target": "not-an-arn"}},
        _subscriber(target="not-an-arn"),
        "webhooks:subscribers.a.target",
    ),
    (
        "a target EventBridge delivers to",
        {"a": {"target": "arn:aws:sns:eu-west-1:123456789012:topic"}},
        _subscriber(target="arn:aws:sns:eu-west-1:123456789012:topic"),
        "webhooks:subscribers.a.target",
    ),
    (
        "either target or http",
        {"a": {"target": QUEUE, "http": {"url": URL}}},
        _subscriber(target=QUEUE, http=HttpSettings(url=URL)),
        "webhooks:subscribers.a.http",
    ),
    (
        "a message group only for a FIFO queue",
        {"a": {"target": QUEUE, "messageGroupId": "g"}},
        _subscriber(target=QUEUE, message_group_id="g"),
        "webhooks:subscribers.a.messageGroupId",
    ),
    (
        "a message group id SQS takes",
        {"a": {"target": FIFO, "messageGroupId": "g" * 101}},
        _subscriber(target=FIFO, message_group_id="g" * 101),
        "webhooks:subscribers.a.messageGroupId",
    ),
]


@pytest.mark.parametrize(("rule", "config", "build", "key"), RULES, ids=[r[0] for r in RULES])
def test_a_subscriber_rule_refuses_config_and_code_alike(
    rule: str, config: dict[str, Any], build: Callable[[], object], key: str
) -> None:
    with pytest.raises(ConfigError) as parsed:
        from_config(config)
    with pytest.raises(ConfigError) as read:
        read_subscribers({"subscribers": config}, ("github",))
    with pytest.raises(ConfigError) as built:
        build()
    assert parsed.value.key == key, rule
    assert str(read.value) == str(parsed.value)
    assert str(built.value) == str(parsed.value)


def test_a_name_too_long_for_the_stack_is_refused_alike() -> None:
    """A rule of the whole stack (its name sets the room; a destination's role name is the
    longest), so `Settings` checks it."""
    name = "n" * 32
    with pytest.raises(ConfigError) as parsed:
        from_config({name: {"http": {"url": URL}}}, stack="review-1234567")
    with pytest.raises(ConfigError) as built:
        in_code(
            stack="review-1234567", subscribers=(SubscriberSettings(name, http=HttpSettings(URL)),)
        )
    assert parsed.value.key == f"webhooks:subscribers.{name}"
    assert "a name of at most" in parsed.value.allowed
    assert str(built.value) == str(parsed.value)


def _http(**changes: Any) -> dict[str, Any]:
    return {"orders": {"http": {"url": URL, **changes}}}


# (rule, the `http` members, the same section built in code, the key below `http`)
HTTP_RULES: list[tuple[str, dict[str, Any], Callable[[], HttpSettings], str]] = [
    (
        "https only",
        _http(url="http://orders.example.com/"),
        lambda: HttpSettings("http://orders.example.com/"),
        "url",
    ),
    (
        "a web URL",
        _http(url="ftp://orders.example.com/"),
        lambda: HttpSettings("ftp://orders.example.com/"),
        "url",
    ),
    (
        "no credentials in the URL",
        _http(url="https://user:pw@orders.example.com/"),
        lambda: HttpSettings("https://user:pw@orders.example.com/"),
        "url",
    ),
    ("a URL with a host", _http(url="https:///path"), lambda: HttpSettings("https:///path"), "url"),
    ("a URL at all", _http(url=""), lambda: HttpSettings(""), "url"),
    (
        "a rate of at least 1 (the limiter divides by it)",
        _http(rateLimitPerSecond=0),
        lambda: HttpSettings(URL, rate_limit_per_second=0),
        "rateLimitPerSecond",
    ),
    (
        "a rate that is a number",
        _http(rateLimitPerSecond=True),
        lambda: HttpSettings(URL, rate_limit_per_second=True),
        "rateLimitPerSecond",
    ),
    (
        "a timeout within a minute",
        _http(timeoutSeconds=61),
        lambda: HttpSettings(URL, timeout_seconds=61),
        "timeoutSeconds",
    ),
    (
        "retries within 3 days",
        _http(maxAgeHours=100),
        lambda: HttpSettings(URL, max_age_hours=100),
        "maxAgeHours",
    ),
    ("a known body", _http(body="json"), lambda: HttpSettings(URL, body="json"), "body"),
    (
        "no forged signature",
        _http(headers={"webhook-signature": "forged"}),
        lambda: HttpSettings(URL, headers=(("webhook-signature", "forged"),)),
        "headers.webhook-signature",
    ),
    (
        "no hop-by-hop header",
        _http(headers={"Connection": "close"}),
        lambda: HttpSettings(URL, headers=(("Connection", "close"),)),
        "headers.Connection",
    ),
    (
        "a header once",
        _http(headers={"X-A": "1", "x-a": "2"}),
        lambda: HttpSettings(URL, headers=(("X-A", "1"), ("x-a", "2"))),
        "headers.x-a",
    ),
    (
        "a header name is a token",
        _http(headers={"bad name": "x"}),
        lambda: HttpSettings(URL, headers=(("bad name", "x"),)),
        "headers.bad name",
    ),
    (
        "a header value on one line",
        _http(headers={"X-A": "line\nbreak"}),
        lambda: HttpSettings(URL, headers=(("X-A", "line\nbreak"),)),
        "headers.X-A",
    ),
    (
        "at most 20 headers",
        _http(headers={f"X-{n}": "v" for n in range(21)}),
        lambda: HttpSettings(URL, headers=tuple((f"X-{n}", "v") for n in range(21))),
        "headers",
    ),
    (
        "subnet ids",
        _http(vpc={"subnetIds": ["subnet-x"], "securityGroupIds": [GROUP]}),
        lambda: HttpSettings(URL, subnet_ids=("subnet-x",), security_group_ids=(GROUP,)),
        "vpc.subnetIds",
    ),
    (
        "security groups with the subnets",
        _http(vpc={"subnetIds": [SUBNET], "securityGroupIds": []}),
        lambda: HttpSettings(URL, subnet_ids=(SUBNET,)),
        "vpc.securityGroupIds",
    ),
    (
        "at most 16 subnets",
        _http(vpc={"subnetIds": [SUBNET] * 17, "securityGroupIds": [GROUP]}),
        lambda: HttpSettings(URL, subnet_ids=(SUBNET,) * 17, security_group_ids=(GROUP,)),
        "vpc.subnetIds",
    ),
]


@pytest.mark.parametrize(
    ("rule", "config", "build", "key"), HTTP_RULES, ids=[r[0] for r in HTTP_RULES]
)
def test_an_http_rule_refuses_config_and_code_alike(
    rule: str, config: dict[str, Any], build: Callable[[], HttpSettings], key: str
) -> None:
    """An `HttpSettings` built alone does not know its subscriber: its error names the key as
    the reference writes it, `subscribers.<name>.http...`, and is otherwise the reader's."""
    with pytest.raises(ConfigError) as parsed:
        from_config(config)
    with pytest.raises(ConfigError) as read:
        read_subscribers({"subscribers": config}, ("github",))
    with pytest.raises(ConfigError) as built:
        build()
    assert parsed.value.key == f"webhooks:subscribers.orders.http.{key}", rule
    assert str(read.value) == str(parsed.value)
    unnamed = str(parsed.value).replace("subscribers.orders.http", "subscribers.<name>.http", 1)
    assert str(built.value) == unnamed
    assert built.value.key == f"webhooks:subscribers.<name>.http.{key}"


def test_plain_http_only_in_the_local_stack_from_config_and_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = "http://127.0.0.1:8080/hook"
    monkeypatch.setenv(LOCAL_STACK_VARIABLE, "1")
    assert from_config(_http(url=local)).subscribers == (
        SubscriberSettings("orders", http=HttpSettings(local)),
    )
    monkeypatch.delenv(LOCAL_STACK_VARIABLE)
    with pytest.raises(ConfigError, match=r"http:// only in the local stack"):
        HttpSettings(local)


def test_config_and_code_build_the_same_subscribers() -> None:
    config = {
        "orders": {
            "providers": ["github"],
            "eventTypes": ["push", "pull_*"],
            "payload": {"repository.full_name": ["acme/api"]},
            "pattern": {"detail": {"body_size": [{"numeric": ["<", 100]}]}},
            "http": {
                "url": URL,
                "rateLimitPerSecond": 20,
                "body": "event",
                "headers": {"X-Team": "orders"},
                "vpc": {"subnetIds": [SUBNET], "securityGroupIds": [GROUP]},
            },
        },
        "fifo": {"target": FIFO},
    }
    built = (
        SubscriberSettings("fifo", target=FIFO),
        SubscriberSettings(
            "orders",
            providers=("github",),
            event_types=("push", "pull_*"),
            payload=(("repository.full_name", ("acme/api",)),),
            pattern={"detail": {"body_size": [{"numeric": ["<", 100]}]}},
            http=HttpSettings(
                URL,
                rate_limit_per_second=20,
                body="event",
                headers=(("X-Team", "orders"),),
                subnet_ids=(SUBNET,),
                security_group_ids=(GROUP,),
            ),
        ),
    )
    assert from_config(config).subscribers == built
    assert built[0].message_group_id == "fifo"  # a FIFO target's group, derived in code too


def test_a_payload_path_given_twice_in_code_is_refused() -> None:
    """Only code can give a path twice (a config object has each key once)."""
    with pytest.raises(ConfigError, match=r"subscribers\.a\.payload\.x = 'x'.*filtered once"):
        SubscriberSettings("a", payload=(("x", (1,)), ("x", (2,))))


def _example_with(tmp_path: Path, subscriber: str) -> Path:
    """examples/minimal, its `Settings` given `subscriber` (Python source), in `tmp_path`."""
    program = (EXAMPLE_DIR / "__main__.py").read_text()
    anchor = '    metrics_namespace="WebhooksExample",\n'
    imports = "import pulumi_aws as aws\n"
    assert anchor in program and imports in program
    program = program.replace(anchor, f"{anchor}    subscribers=({subscriber},),\n").replace(
        imports,
        imports
        + "from hookgate.components.http_settings import HttpSettings\n"
        + "from hookgate.components.subscribers import SubscriberSettings\n",
    )
    (tmp_path / "__main__.py").write_text(program)
    return tmp_path


def test_the_example_with_an_http_subscriber_deploys_it(tmp_path: Path) -> None:
    mocks = _Recording()
    run_example(
        _example_with(tmp_path, f'SubscriberSettings("orders", http=HttpSettings("{URL}"))'), mocks
    )
    assert "webhooks-http-orders-function" in mocks.created  # the destination's deliver function


@pytest.mark.parametrize(
    ("http", "config"),
    [
        ('HttpSettings("http://orders.example.com/")', {"url": "http://orders.example.com/"}),
        (f'HttpSettings("{URL}", rate_limit_per_second=0)', {"url": URL, "rateLimitPerSecond": 0}),
        (
            f'HttpSettings("{URL}", headers=(("webhook-signature", "forged"),))',
            {"url": URL, "headers": {"webhook-signature": "forged"}},
        ),
    ],
    ids=["plain http", "rate 0", "forged signature header"],
)
def test_the_example_with_a_bad_http_subscriber_stops_before_anything_exists(
    tmp_path: Path, http: str, config: dict[str, Any]
) -> None:
    mocks = _Recording()
    with pytest.raises(ConfigError) as raised:
        run_example(_example_with(tmp_path, f'SubscriberSettings("orders", http={http})'), mocks)
    with pytest.raises(ConfigError) as parsed:
        from_config({"orders": {"http": config}})
    unnamed = str(parsed.value).replace("subscribers.orders.http", "subscribers.<name>.http", 1)
    assert str(raised.value) == unnamed
    assert mocks.created == []


def test_the_example_with_a_subscriber_of_an_unknown_provider_stops_alike(
    tmp_path: Path,
) -> None:
    """A rule between sections: the example's `Settings` refuses it as `parse_settings` does."""
    mocks = _Recording()
    subscriber = f'SubscriberSettings("orders", providers=("gitlab",), http=HttpSettings("{URL}"))'
    with pytest.raises(ConfigError) as raised:
        run_example(_example_with(tmp_path, subscriber), mocks)
    raw = minimal(
        providers={"github": {"scheme": "github"}, "stripe": {"scheme": "stripe"}},
        secrets={"github": SECRET, "stripe": "whsec_ZXhhbXBsZQ=="},
        subscribers={"orders": {"providers": ["gitlab"], "http": {"url": URL}}},
    )
    with pytest.raises(ConfigError) as parsed:
        parse_settings(raw)
    assert str(raised.value) == str(parsed.value)
    assert mocks.created == []


def test_the_reference_lists_every_subscriber_and_http_key_as_declared() -> None:
    page = (PROJECT_DIR / config_reference.DOCS).read_text()
    assert config_reference.reference_page(PROJECT_DIR) == page, config_reference.COMMAND
    rows = [line for line in page.splitlines() if line.startswith("| `subscribers.")]
    keys = [row.split("`")[1] for row in rows]
    assert keys == [
        "subscribers.<name>",
        *(f"subscribers.<name>.{key}" for key in KNOWN_KEYS),
        *(f"subscribers.<name>.http.{d.key}" for _, d in declared(HttpSettings)),
    ]
    rate = next(row for row in rows if "http.rateLimitPerSecond" in row)
    assert "| 10 |" in rate and f"1{DASH}1000" in rate  # the field's default and bounds
    project = (PROJECT_DIR / config_reference.PROJECT).read_text()
    assert f"rateLimitPerSecond: 1{DASH}1000, default 10" in " ".join(project.split())


def test_the_check_fails_when_a_subscriber_row_drifts(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        (tmp_path / name).write_text((PROJECT_DIR / name).read_text())
    (tmp_path / "docs").mkdir()
    page = (PROJECT_DIR / config_reference.DOCS).read_text()
    edited = page.replace(f"| 1{DASH}60; per request |", f"| 1{DASH}120; per request |")
    assert edited != page
    (tmp_path / config_reference.DOCS).write_text(edited)
    assert config_reference.main(["--check", "--root", str(tmp_path)]) == 1
