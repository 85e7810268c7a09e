"""Stack settings: defaults, the stack files, and one clear error per invalid value."""

import copy
import json
import re
from typing import Any

import pulumi
import pytest
from pulumi.runtime.sync_await import _sync_await

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import Settings, load_settings, parse_settings
from tests.components.mockstack import AwsMocks, example_secrets, run_stack, stack_config

SECRET = "s3cr3t-value-never-echoed"


def minimal(**changes: Any) -> dict[str, Any]:
    """The smallest valid config, plus `changes` (top-level key → value)."""
    raw: dict[str, Any] = {
        "environment": "dev",
        "providers": {"github": {"scheme": "github"}},
        "secrets": {"github": SECRET},
    }
    raw.update(changes)
    return raw


def from_stack_file(stack: str) -> dict[str, Any]:
    config = stack_config(stack)
    raw = {k.removeprefix("webhooks:"): v for k, v in config.items() if k.startswith("webhooks:")}
    raw["secrets"] = example_secrets(config)
    return raw


def test_defaults_are_production_values() -> None:
    settings = parse_settings(minimal())
    assert settings.table.point_in_time_recovery is True
    assert settings.table.deletion_protection is True
    assert settings.queue_visibility_timeout_seconds == 6 * settings.processor.timeout_seconds
    assert settings.queue.dlq_retention_seconds > settings.queue.retention_seconds
    assert settings.logs.retention_days == 90
    assert settings.archive.force_destroy is False
    assert settings.alarms.email is None
    assert settings.secret_values == {"github": SECRET}
    assert settings.name("queue") == "webhooks-queue-dev"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_are_valid(stack: str) -> None:
    settings = parse_settings(from_stack_file(stack))
    assert isinstance(settings, Settings)
    assert settings.profile == stack
    assert len({p.scheme for p in settings.providers}) >= 3


def test_stack_files_hold_no_secrets() -> None:
    for stack in ("dev", "prod"):
        config = stack_config(stack)
        assert "webhooks:secrets" not in config
        assert not any("secure" in str(value) for value in config.values())


def test_secret_list_keeps_rotation_order() -> None:
    settings = parse_settings(minimal(secrets={"github": ["new", "old"]}))
    assert settings.secret_values == {"github": ["new", "old"]}


def test_visibility_timeout_follows_the_processor_timeout() -> None:
    settings = parse_settings(minimal(processor={"timeoutSeconds": 60}))
    assert settings.queue_visibility_timeout_seconds == 360


def test_hmac_options_reach_the_handler_in_snake_case() -> None:
    providers = {
        "acme": {
            "scheme": "hmac",
            "signatureHeader": "X-Sig",
            "algorithm": "sha512",
            "encoding": "base64",
            "toleranceSeconds": 0,
        }
    }
    [provider] = parse_settings(minimal(providers=providers, secrets={"acme": "k"})).providers
    # what differs from the scheme's defaults (toleranceSeconds 0 is the default), header names
    # lower-cased as the handler compares them
    assert provider.handler_options() == {
        "scheme": "hmac",
        "signature_header": "x-sig",
        "algorithm": "sha512",
        "encoding": "base64",
    }


def _set(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    *parents, last = path.split(".")
    target = raw
    for part in parents:
        target = target.setdefault(part, {})
    if value is _DELETE:
        target.pop(last, None)
    else:
        target[last] = value
    return raw


class _Delete:
    """Marks a key to remove from the stack config (a stable repr keeps test ids stable)."""

    def __repr__(self) -> str:
        return "<unset>"


_DELETE = _Delete()
HMAC = {"scheme": "hmac"}
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"

# (path to change, new value, key named in the error, words of the allowed values)
INVALID = [
    ("environment", "staging", "webhooks:environment", "one of dev, prod"),
    ("environment", _DELETE, "webhooks:environment", "is not set"),
    ("providers", {}, "webhooks:providers", "provider name"),
    (
        "providers.github.scheme",
        "nosuchsender",
        "webhooks:providers.github.scheme",
        "github, stripe",
    ),
    ("providers.github.schema", "github", "webhooks:providers.github.schema", "known keys"),
    ("providers.github.signatureHeader", "x", "webhooks:providers.github.signatureHeader", "hmac"),
    ("providers.github.toleranceSeconds", 60, "webhooks:providers.github.toleranceSeconds", "only"),
    ("providers.Git Hub", {"scheme": "github"}, "webhooks:providers.Git Hub", "lower-case"),
    ("providers.gh\n", {"scheme": "github"}, "webhooks:providers.gh\n", "lower-case"),
    ("processor.batchSize", 0, "webhooks:processor.batchSize", "from 1 to 10000"),
    ("processor.batchSize", 10001, "webhooks:processor.batchSize", "from 1 to 10000"),
    ("processor.batchSize", 11, "webhooks:processor.batchingWindowSeconds", "at least 1"),
    (
        "processor.batchingWindowSeconds",
        301,
        "webhooks:processor.batchingWindowSeconds",
        "0 to 300",
    ),
    ("processor.maximumConcurrency", 1, "webhooks:processor.maximumConcurrency", "2 to 1000"),
    ("processor.maximumConcurrency", 1001, "webhooks:processor.maximumConcurrency", "2 to 1000"),
    ("processor.reservedConcurrency", 5, "webhooks:processor.reservedConcurrency", "at least"),
    ("processor.timeoutSeconds", 901, "webhooks:processor.timeoutSeconds", "1 to 900"),
    ("processor.timeoutSeconds", "thirty", "webhooks:processor.timeoutSeconds", "an integer"),
    ("processor.memoryMb", 64, "webhooks:processor.memoryMb", "128 to 10240"),
    ("processor.memoryMb", True, "webhooks:processor.memoryMb", "an integer"),
    ("processor.timeoutSecs", 30, "webhooks:processor.timeoutSecs", "known keys"),
    ("processor", 30, "webhooks:processor", "an object"),
    ("queue.visibilityTimeoutSeconds", 179, "webhooks:queue.visibilityTimeoutSeconds", "6 x"),
    ("queue.visibilityTimeoutSeconds", 1.5, "webhooks:queue.visibilityTimeoutSeconds", "integer"),
    ("queue.visibilityTimeoutSeconds", 43201, "webhooks:queue.visibilityTimeoutSeconds", "43200"),
    ("queue.retentionSeconds", 59, "webhooks:queue.retentionSeconds", "60 to 1209600"),
    ("queue.retentionSeconds", 1209601, "webhooks:queue.retentionSeconds", "60 to 1209600"),
    ("queue.dlqRetentionSeconds", 345600, "webhooks:queue.dlqRetentionSeconds", "above"),
    ("queue.maxReceiveCount", 0, "webhooks:queue.maxReceiveCount", "1 to 1000"),
    ("ingest.timeoutSeconds", 30, "webhooks:ingest.timeoutSeconds", "1 to 29"),
    ("ingest.maxBodyBytes", 4194305, "webhooks:ingest.maxBodyBytes", "1 to 4194304"),
    ("ingest.inlineBodyLimit", 245761, "webhooks:ingest.inlineBodyLimit", "1 to 245760"),
    ("table.eventTtlDays", -1, "webhooks:table.eventTtlDays", "0 to 36500"),
    ("table.deletionProtection", "yes", "webhooks:table.deletionProtection", "true or false"),
    ("logs.retentionDays", 8, "webhooks:logs.retentionDays", "1, 3, 5, 7, 14"),
    ("logs.level", "TRACE", "webhooks:logs.level", "DEBUG, INFO"),
    ("api.throttlingRateLimit", 0, "webhooks:api.throttlingRateLimit", "at least 1"),
    ("api.domainName", "hooks.example.com", "webhooks:api.domainName", "exactly one of"),
    ("api.domainName", "Hooks.Example.com", "webhooks:api.domainName", "lower-case DNS name"),
    ("api.domainName", "localhost", "webhooks:api.domainName", "DNS name"),
    ("api.certificateArn", CERT, "webhooks:api.certificateArn", "only together with"),
    ("api.certificateArn", "arn:aws:iam::1:x", "webhooks:api.certificateArn", "ACM certificate"),
    ("api.hostedZoneId", "Z123", "webhooks:api.hostedZoneId", "only together with"),
    ("api.hostedZoneId", "zone-1", "webhooks:api.hostedZoneId", "hosted zone id"),
    ("api.domain", "hooks.example.com", "webhooks:api.domain", "known keys"),
    ("alarms.email", "not-an-address", "webhooks:alarms.email", "e-mail address"),
    ("alarms.periodSeconds", 120, "webhooks:alarms.periodSeconds", "60, 300"),
    ("archive.expirationDays", -1, "webhooks:archive.expirationDays", "0 to 36500"),
    ("metricsNamespace", "", "webhooks:metricsNamespace", "CloudWatch namespace"),
    # the local stack's key server, refused by the program anywhere else (webhooks.keys)
    (
        "providers.github",
        {
            "scheme": "aws-sns",
            "topicArns": "arn:aws:sns:eu-west-1:1:t",
            "keyOrigin": "http://127.0.0.1:1",
        },
        "webhooks:providers.github.keyOrigin",
        "refused outside the local stack",
    ),
]


@pytest.mark.parametrize(("path", "value", "key", "allowed"), INVALID, ids=lambda x: str(x))
def test_invalid_value_names_key_value_and_allowed(
    path: str, value: Any, key: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(_set(minimal(), path, value))
    message = str(raised.value)
    assert raised.value.key == key
    assert message.startswith(key + " ")
    assert allowed in message
    if value is not _DELETE and not isinstance(value, dict):
        assert repr(value) in message


SECRET_CASES = [
    ("missing", minimal(secrets={}), "webhooks:secrets.github", "pulumi config set --secret"),
    (
        "unknown provider",
        minimal(secrets={"github": SECRET, "gitlab": SECRET}),
        "webhooks:secrets.gitlab",
        "no provider 'gitlab'",
    ),
    ("empty", minimal(secrets={"github": ""}), "webhooks:secrets.github", "non-empty"),
    ("empty list", minimal(secrets={"github": []}), "webhooks:secrets.github", "non-empty"),
    (
        "digits stored as a number",
        minimal(secrets={"github": 1234}),
        "webhooks:secrets.github",
        "--type string",
    ),
    (
        "standard without whsec_",
        minimal(providers={"sw": {"scheme": "standard"}}, secrets={"sw": SECRET}),
        "webhooks:secrets.sw",
        "whsec_",
    ),
    (
        "hmac tolerance without a signed timestamp",
        minimal(providers={"a": {**HMAC, "toleranceSeconds": 300}}, secrets={"a": SECRET}),
        "webhooks:providers.a.toleranceSeconds",
        "0 unless signedContent signs {timestamp}",
    ),
]


@pytest.mark.parametrize(("case", "raw", "key", "allowed"), SECRET_CASES, ids=lambda x: str(x))
def test_secret_errors_name_the_key_but_never_the_secret(
    case: str, raw: dict[str, Any], key: str, allowed: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(raw)
    assert raised.value.key == key, case
    assert allowed in str(raised.value)
    assert SECRET not in str(raised.value)


def test_custom_domain_takes_a_certificate_or_a_zone_never_both() -> None:
    with_cert = parse_settings(
        minimal(api={"domainName": "hooks.example.com", "certificateArn": CERT})
    )
    assert (with_cert.api.certificate_arn, with_cert.api.hosted_zone_id) == (CERT, None)
    with_zone = parse_settings(
        minimal(api={"domainName": "hooks.example.com", "hostedZoneId": "Z1"})
    )
    assert (with_zone.api.certificate_arn, with_zone.api.hosted_zone_id) == (None, "Z1")
    both = {"domainName": "hooks.example.com", "certificateArn": CERT, "hostedZoneId": "Z1"}
    with pytest.raises(ConfigError, match="not both") as raised:
        parse_settings(minimal(api=both))
    assert raised.value.key == "webhooks:api.domainName"
    assert "'hooks.example.com'" in str(raised.value)


def test_visibility_timeout_covers_the_batching_window_too() -> None:
    processor = {"timeoutSeconds": 30, "batchSize": 25, "batchingWindowSeconds": 20}
    assert parse_settings(minimal(processor=processor)).queue_visibility_timeout_seconds == 200
    with pytest.raises(ConfigError) as raised:
        parse_settings(minimal(processor=processor, queue={"visibilityTimeoutSeconds": 199}))
    message = str(raised.value)
    assert raised.value.key == "webhooks:queue.visibilityTimeoutSeconds"
    assert "processor.timeoutSeconds (30)" in message
    assert "processor.batchingWindowSeconds (20)" in message
    assert "= 200" in message


def test_the_program_fails_on_invalid_config_before_creating_anything() -> None:
    config = stack_config("dev")
    config["webhooks:processor"] = {"batchSize": 20000}
    with pytest.raises(ConfigError, match=r"webhooks:processor\.batchSize = 20000"):
        run_stack("dev", config=config)


def test_the_program_fails_on_a_missing_secret() -> None:
    secrets = example_secrets(stack_config("prod"))
    del secrets["stripe"]
    with pytest.raises(ConfigError, match=r"webhooks:secrets\.stripe is not set"):
        run_stack("prod", secrets=secrets)


def test_load_settings_names_the_stack_and_keeps_secrets_secret() -> None:
    """`load_settings` reads the stack's name and the secrets as Pulumi secret config."""
    pulumi.runtime.set_mocks(AwsMocks(), project="webhooks", stack="pr-7", preview=False)
    pulumi.runtime.set_all_config(
        {
            "webhooks:environment": "dev",
            "webhooks:providers": json.dumps({"github": {"scheme": "github"}}),
            "webhooks:secrets": json.dumps({"github": SECRET}),
        },
        ["webhooks:secrets"],
    )
    settings = load_settings()
    assert settings.stack == "pr-7"
    assert settings.name("queue") == "webhooks-queue-pr-7"
    values = settings.secret_values
    assert isinstance(values, pulumi.Output)
    assert _sync_await(values.is_secret()) is True
    assert _sync_await(values.future()) == {"github": SECRET}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_pin_the_aws_account(stack: str) -> None:
    """`aws:allowedAccountIds` makes the provider refuse any other account: a list of ids."""
    ids = stack_config(stack)["aws:allowedAccountIds"]
    assert isinstance(ids, list)
    assert ids
    assert all(isinstance(i, str) and re.fullmatch(r"[0-9]{12}", i) for i in ids)


# --- retention: archived bodies outlive the events that point at them ----------------------


def test_archive_expiry_defaults_to_the_smallest_consistent_value() -> None:
    settings = parse_settings(minimal())
    # 30-day TTL + 4-day queue + 14-day DLQ
    assert settings.archive_expiration_days == 30 + 4 + 14
    settings = parse_settings(
        minimal(
            table={"eventTtlDays": 7},
            queue={"retentionSeconds": 86_401, "dlqRetentionSeconds": 7 * 86_400},
        )
    )
    assert settings.archive_expiration_days == 7 + 2 + 7  # retention rounded up to whole days
    assert parse_settings(minimal(table={"eventTtlDays": 0})).archive_expiration_days == 0


def test_archive_expiry_below_ttl_plus_retentions_names_both_keys_and_the_minimum() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(minimal(table={"eventTtlDays": 30}, archive={"expirationDays": 30}))
    assert raised.value.key == "webhooks:archive.expirationDays"
    assert raised.value.value == 30
    assert raised.value.allowed.startswith("at least 48 = table.eventTtlDays (30)")
    assert "queue.retentionSeconds (4 days)" in raised.value.allowed
    assert "queue.dlqRetentionSeconds (14 days)" in raised.value.allowed
    assert parse_settings(minimal(archive={"expirationDays": 48})).archive_expiration_days == 48
    with pytest.raises(ConfigError):
        parse_settings(minimal(archive={"expirationDays": 47}))


def test_ttl_never_requires_archive_expiry_off() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings(minimal(table={"eventTtlDays": 0}, archive={"expirationDays": 365}))
    assert raised.value.key == "webhooks:archive.expirationDays"
    assert raised.value.allowed == (
        "0 (bodies never expire) while table.eventTtlDays is 0 (events never expire)"
    )
    settings = parse_settings(minimal(table={"eventTtlDays": 0}, archive={"expirationDays": 0}))
    assert settings.archive_expiration_days == 0
    # keeping bodies forever is always consistent
    assert parse_settings(minimal(archive={"expirationDays": 0})).archive_expiration_days == 0


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_keep_bodies_as_long_as_events(stack: str) -> None:
    settings = parse_settings(from_stack_file(stack))
    days = -(-settings.queue.retention_seconds // 86_400) - (
        -settings.queue.dlq_retention_seconds // 86_400
    )
    assert settings.archive_expiration_days >= settings.table.event_ttl_days + days
