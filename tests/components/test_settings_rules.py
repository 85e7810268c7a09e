"""Each rule between settings refuses the same combination with the same error, whether the
settings come from stack config (`parse_settings`) or are built in code (`Settings(...)`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import pytest

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import (
    ApiSettings,
    ArchiveSettings,
    IngestSettings,
    ProcessorSettings,
    ProviderSettings,
    QueueSettings,
    Settings,
    TableSettings,
    parse_settings,
)
from hookgate.components.subscribers import SubscriberSettings
from local.mockrun import run_program
from tests.components.mockstack import AwsMocks
from tests.components.test_example import EXAMPLE_DIR, SECRETS
from tests.components.test_settings import SECRET, minimal

GITHUB = ProviderSettings(name="github", scheme="github")


def in_code(**changes: Any) -> Settings:
    """`minimal()` built in code, plus `changes` (field → value)."""
    fields: dict[str, Any] = {
        "profile": "dev",
        "stack": "dev",
        "providers": (GITHUB,),
        "secret_values": {"github": SECRET},
    }
    fields.update(changes)
    return Settings(**fields)


def test_config_and_code_build_the_same_settings() -> None:
    assert parse_settings(minimal()) == in_code()
    raw = minimal(
        providers={"stripe": {"scheme": "stripe", "toleranceSeconds": 600}},
        secrets={"stripe": "whsec_ZXhhbXBsZQ=="},
        processor={"timeoutSeconds": 20},
        archive={"forceDestroy": True},
    )
    built = in_code(
        providers=(ProviderSettings("stripe", "stripe", {"tolerance_seconds": 600}),),
        secret_values={"stripe": "whsec_ZXhhbXBsZQ=="},
        processor=ProcessorSettings(timeout_seconds=20),
        archive=ArchiveSettings(force_destroy=True),
    )
    assert parse_settings(raw) == built
    assert built.queue_visibility_timeout_seconds == 120
    assert built.archive_expiration_days == 30 + 4 + 14


# (rule, config changes for `minimal`, the same combination built in code, key in the error)
RULES: list[tuple[str, dict[str, Any], Callable[[], Settings], str]] = [
    (
        "visibility at least 6 x the processor timeout + its window",
        {"processor": {"batchingWindowSeconds": 20}, "queue": {"visibilityTimeoutSeconds": 199}},
        lambda: in_code(
            processor=ProcessorSettings(batching_window_seconds=20),
            queue=QueueSettings(visibility_timeout_seconds=199),
        ),
        "webhooks:queue.visibilityTimeoutSeconds",
    ),
    (
        "a batch completes before the deadline",
        {"processor": {"timeoutSeconds": 1, "batchSize": 5000, "batchingWindowSeconds": 1}},
        lambda: in_code(
            processor=ProcessorSettings(
                timeout_seconds=1, batch_size=5000, batching_window_seconds=1
            )
        ),
        "webhooks:processor.batchSize",
    ),
    (
        "a batch above 10 needs a batching window",
        {"processor": {"batchSize": 11}},
        lambda: in_code(processor=ProcessorSettings(batch_size=11)),
        "webhooks:processor.batchingWindowSeconds",
    ),
    (
        "the processor's reserved concurrency covers its pollers",
        {"processor": {"reservedConcurrency": 5}},
        lambda: in_code(processor=ProcessorSettings(reserved_concurrency=5)),
        "webhooks:processor.reservedConcurrency",
    ),
    (
        "the DLQ keeps messages longer than the queue",
        {"queue": {"dlqRetentionSeconds": 345600}},
        lambda: in_code(queue=QueueSettings(dlq_retention_seconds=345600)),
        "webhooks:queue.dlqRetentionSeconds",
    ),
    (
        "a function URL needs reserved concurrency",
        {"api": {"kind": "functionUrl"}},
        lambda: in_code(api=ApiSettings(kind="functionUrl")),
        "webhooks:ingest.reservedConcurrency",
    ),
    (
        "a function URL has no stage throttling",
        {"api": {"kind": "functionUrl", "throttlingRateLimit": 10}},
        lambda: in_code(api=ApiSettings(kind="functionUrl", throttling_rate_limit=10)),
        "webhooks:api.throttlingRateLimit",
    ),
    (
        "a function URL has no custom domain",
        {"api": {"kind": "functionUrl", "domainName": "hooks.example.com", "hostedZoneId": "Z1"}},
        lambda: in_code(
            api=ApiSettings(
                kind="functionUrl", domain_name="hooks.example.com", hosted_zone_id="Z1"
            )
        ),
        "webhooks:api.domainName",
    ),
    (
        "the burst fits the ingest function's reserved concurrency",
        {"ingest": {"reservedConcurrency": 200}, "api": {"throttlingBurstLimit": 1000}},
        lambda: in_code(
            ingest=IngestSettings(reserved_concurrency=200),
            api=ApiSettings(throttling_burst_limit=1000),
        ),
        "webhooks:api.throttlingBurstLimit",
    ),
    (
        "a custom domain takes a certificate or a zone",
        {"api": {"domainName": "hooks.example.com"}},
        lambda: in_code(api=ApiSettings(domain_name="hooks.example.com")),
        "webhooks:api.domainName",
    ),
    (
        "the execute-api URL stays without a domain",
        {"api": {"disableExecuteApiEndpoint": True}},
        lambda: in_code(api=ApiSettings(disable_execute_api_endpoint=True)),
        "webhooks:api.disableExecuteApiEndpoint",
    ),
    (
        "archived bodies outlive the events (TTL + queue + DLQ retention)",
        {"archive": {"expirationDays": 7}},
        lambda: in_code(archive=ArchiveSettings(expiration_days=7)),
        "webhooks:archive.expirationDays",
    ),
    (
        "events kept forever keep their bodies forever",
        {"table": {"eventTtlDays": 0}, "archive": {"expirationDays": 365}},
        lambda: in_code(
            table=TableSettings(event_ttl_days=0), archive=ArchiveSettings(expiration_days=365)
        ),
        "webhooks:archive.expirationDays",
    ),
    (
        "a rename leaves the former name",
        {
            "providers": {
                "github": {"scheme": "github"},
                "gh": {"scheme": "github", "renamedFrom": "github"},
            },
            "secrets": {"github": SECRET, "gh": SECRET},
        },
        lambda: in_code(
            providers=(ProviderSettings("gh", "github", renamed_from="github"), GITHUB),
            secret_values={"github": SECRET, "gh": SECRET},
        ),
        "webhooks:providers.gh.renamedFrom",
    ),
    (
        "every provider has its secret",
        {"secrets": {}},
        lambda: in_code(secret_values={}),
        "webhooks:secrets.github",
    ),
    (
        "every secret has its provider",
        {"secrets": {"github": SECRET, "stripe": SECRET}},
        lambda: in_code(secret_values={"github": SECRET, "stripe": SECRET}),
        "webhooks:secrets.stripe",
    ),
    (
        "a secret in its scheme's format",
        {"providers": {"sw": {"scheme": "standard"}}, "secrets": {"sw": SECRET}},
        lambda: in_code(
            providers=(ProviderSettings("sw", "standard"),), secret_values={"sw": SECRET}
        ),
        "webhooks:secrets.sw",
    ),
    (
        "a known scheme",
        {"providers": {"github": {"scheme": "nosuchsender"}}},
        lambda: in_code(providers=(ProviderSettings("github", "nosuchsender"),)),
        "webhooks:providers.github.scheme",
    ),
    (
        "a subscriber names configured providers",
        {"subscribers": {"billing": {"providers": ["stripe"]}}},
        lambda: in_code(subscribers=(SubscriberSettings("billing", providers=("stripe",)),)),
        "webhooks:subscribers.billing.providers",
    ),
    (
        "no two resources get one name",
        {"subscribers": {"x": {}, "x-dlq": {}}},
        lambda: in_code(subscribers=(SubscriberSettings("x"), SubscriberSettings("x-dlq"))),
        "webhooks:subscribers.x-dlq",
    ),
]


@pytest.mark.parametrize(("rule", "changes", "build", "key"), RULES, ids=[r[0] for r in RULES])
def test_a_rule_refuses_config_and_code_alike(
    rule: str, changes: dict[str, Any], build: Callable[[], Settings], key: str
) -> None:
    with pytest.raises(ConfigError) as from_config:
        parse_settings(minimal(**changes))
    with pytest.raises(ConfigError) as from_code:
        build()
    assert from_config.value.key == key, rule
    assert str(from_code.value) == str(from_config.value)
    assert SECRET not in str(from_code.value)


def test_replace_checks_again_and_derives_again() -> None:
    """`dataclasses.replace` builds a new `Settings`: derived values follow, rules apply."""
    settings = in_code()
    longer = replace(settings, table=TableSettings(event_ttl_days=90))
    assert longer.archive_expiration_days == 90 + 4 + 14
    with pytest.raises(ConfigError, match=r"archive\.expirationDays = 48"):
        replace(longer, archive=ArchiveSettings(expiration_days=48))


def test_a_secret_given_as_an_output_is_checked_by_name_only() -> None:
    settings = in_code(secret_values={"github": pulumi.Output.secret("never read here")})
    assert settings.providers == (GITHUB,)
    with pytest.raises(ConfigError, match=r"webhooks:secrets\.gitlab .*no provider 'gitlab'"):
        in_code(secret_values={"gitlab": pulumi.Output.secret("x")})


class _Recording(AwsMocks):
    """The mocks, remembering every resource the program asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.created: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args.name)
        return super().new_resource(args)


def run_example(program_dir: Path, mocks: _Recording) -> None:
    """`program_dir/__main__.py` (the example, or a variant) under `mocks`, its secrets set."""
    run_program(
        program_dir,
        project="webhooks-minimal",
        stack="example",
        config={f"webhooks-minimal:{key}": value for key, value in SECRETS.items()},
        secret_keys=[f"webhooks-minimal:{key}" for key in SECRETS],
        aws=mocks,
    )


def test_the_pipeline_refuses_the_examples_old_30_day_events_with_7_day_bodies(
    tmp_path: Path,
) -> None:
    """examples/minimal once kept events 30 days and their archived bodies 7: the same program
    now stops with the config reader's error before creating anything."""
    program = (EXAMPLE_DIR / "__main__.py").read_text()
    fixed = "archive=ArchiveSettings(force_destroy=True)"
    assert fixed in program
    (tmp_path / "__main__.py").write_text(
        program.replace(fixed, "archive=ArchiveSettings(expiration_days=7, force_destroy=True)")
    )

    valid = _Recording()
    run_example(EXAMPLE_DIR, valid)
    assert valid.created  # the recording sees what a program creates
    mocks = _Recording()
    with pytest.raises(ConfigError) as raised:
        run_example(tmp_path, mocks)
    with pytest.raises(ConfigError) as from_config:
        parse_settings(minimal(archive={"expirationDays": 7}))
    assert str(raised.value) == str(from_config.value)
    assert "at least 48 = table.eventTtlDays (30)" in str(raised.value)
    assert mocks.created == []


def test_the_example_without_one_secret_names_the_key_before_anything_exists(
    tmp_path: Path,
) -> None:
    """Built from examples/minimal without stripe's `secret_values` entry: a config error, not
    a KeyError inside an apply half-way through the graph."""
    program = (EXAMPLE_DIR / "__main__.py").read_text()
    entry = '        "stripe": config.require_secret("stripeSecret"),\n'
    assert entry in program
    (tmp_path / "__main__.py").write_text(program.replace(entry, ""))
    mocks = _Recording()
    with pytest.raises(ConfigError, match=r"^webhooks:secrets\.stripe is not set"):
        run_example(tmp_path, mocks)
    assert mocks.created == []
