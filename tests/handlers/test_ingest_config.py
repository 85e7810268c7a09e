"""The ingest function's configuration: PROVIDERS and the other variables, validated once."""

import json

import pytest
from webhooks.ingest_config import IngestConfig
from webhooks.providers import ConfigError, Provider, parse_providers

BASE = {"QUEUE_URL": "https://queue", "ARCHIVE_BUCKET": "bucket"}


def providers(**options: dict) -> str:
    return json.dumps(options)


def test_defaults_per_scheme() -> None:
    parsed = parse_providers(
        providers(
            gh={"scheme": "github", "secret_arn": "arn:1"},
            pay={"scheme": "stripe", "secret_arn": "arn:2", "tolerance_seconds": 60},
            acme={"scheme": "hmac", "secret_arn": "arn:3", "signature_header": "X-Sig"},
        )
    )
    assert parsed["gh"] == Provider("gh", "github", "arn:1")
    assert parsed["gh"].tolerance_seconds == 300
    assert parsed["pay"].tolerance_seconds == 60
    acme = parsed["acme"]
    assert (acme.tolerance_seconds, acme.signature_header) == (0, "x-sig")  # lower-cased
    assert (acme.algorithm, acme.encoding, acme.signature_prefix) == ("sha256", "hex", "")


def test_full_hmac_options() -> None:
    acme = parse_providers(
        providers(
            acme={
                "scheme": "hmac",
                "secret_arn": "arn",
                "tolerance_seconds": 120,
                "signature_header": "X-Acme-Signature",
                "signature_prefix": "sha512=",
                "algorithm": "sha512",
                "encoding": "base64",
                "timestamp_header": "X-Acme-Time",
                "delivery_id_header": "X-Acme-Id",
                "event_type_header": "X-Acme-Event",
            }
        )
    )["acme"]
    assert acme.timestamp_header == "x-acme-time"
    assert acme.delivery_id_header == "x-acme-id"
    assert acme.event_type_header == "x-acme-event"
    assert (acme.algorithm, acme.encoding, acme.signature_prefix) == ("sha512", "base64", "sha512=")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "PROVIDERS is not valid JSON"),
        ("[]", "PROVIDERS must be a JSON object"),
        (providers(gh="github"), r"PROVIDERS\['gh'\] must be an object"),
        (providers(gh={"secret_arn": "a"}), r"scheme is None; allowed: github, stripe, shopify"),
        (providers(gh={"scheme": "gitlab", "secret_arn": "a"}), "scheme is 'gitlab'; allowed"),
        (providers(gh={"scheme": "github"}), r"\.secret_arn must be a non-empty string"),
        (providers(gh={"scheme": "github", "secret_arn": " "}), "secret_arn must be a non-empty"),
        (
            providers(gh={"scheme": "github", "secret_arn": "a", "tolerance_seconds": 5}),
            "tolerance_seconds does not apply to scheme 'github'; allowed: scheme, secret_arn",
        ),
        (
            providers(s={"scheme": "stripe", "secret_arn": "a", "signature_header": "x"}),
            "signature_header does not apply to scheme 'stripe'",
        ),
        (
            providers(s={"scheme": "stripe", "secret_arn": "a", "tolerance_seconds": 0}),
            "tolerance_seconds must be > 0",
        ),
        (
            providers(s={"scheme": "slack", "secret_arn": "a", "tolerance_seconds": "300"}),
            "tolerance_seconds must be a non-negative integer",
        ),
        (
            providers(s={"scheme": "slack", "secret_arn": "a", "tolerance_seconds": True}),
            "tolerance_seconds must be a non-negative integer",
        ),
        (
            providers(a={"scheme": "hmac", "secret_arn": "a", "algorithm": "md5"}),
            "algorithm is 'md5'; allowed: sha256, sha512, sha1",
        ),
        (
            providers(a={"scheme": "hmac", "secret_arn": "a", "encoding": "base32"}),
            "encoding is 'base32'; allowed: hex, base64",
        ),
        (
            providers(a={"scheme": "hmac", "secret_arn": "a", "tolerance_seconds": 60}),
            "timestamp_header is required when tolerance_seconds > 0",
        ),
        (
            providers(a={"scheme": "hmac", "secret_arn": "a", "signature_header": ""}),
            "signature_header must be a non-empty string",
        ),
        (providers(**{"a/b": {"scheme": "github", "secret_arn": "a"}}), "provider names are"),
        (providers(**{"": {"scheme": "github", "secret_arn": "a"}}), "provider names are"),
    ],
)
def test_invalid_providers_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_providers(text)


def test_environment_defaults() -> None:
    config = IngestConfig.from_environ({**BASE, "PROVIDERS": "{}"})
    assert config.max_body_bytes == 1_048_576
    assert config.inline_body_limit == 196_608
    assert config.secrets_refresh_seconds == 300
    assert (config.metrics_namespace, config.environment) == ("Webhooks", "dev")


def test_environment_values() -> None:
    config = IngestConfig.from_environ(
        {
            **BASE,
            "PROVIDERS": providers(gh={"scheme": "github", "secret_arn": "a"}),
            "MAX_BODY_BYTES": "2048",
            "INLINE_BODY_LIMIT": "1024",
            "SECRETS_REFRESH_SECONDS": "60",
            "METRICS_NAMESPACE": "Hooks",
            "ENVIRONMENT": "prod",
        }
    )
    assert (config.max_body_bytes, config.inline_body_limit) == (2048, 1024)
    assert config.secrets_refresh_seconds == 60
    assert (config.metrics_namespace, config.environment) == ("Hooks", "prod")
    assert list(config.providers) == ["gh"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ARCHIVE_BUCKET": "b", "PROVIDERS": "{}"}, "QUEUE_URL is required"),
        ({"QUEUE_URL": "q", "PROVIDERS": "{}"}, "ARCHIVE_BUCKET is required"),
        (BASE, "PROVIDERS is required"),
        ({**BASE, "PROVIDERS": "{}", "MAX_BODY_BYTES": "1MB"}, "MAX_BODY_BYTES must be a positive"),
        ({**BASE, "PROVIDERS": "{}", "INLINE_BODY_LIMIT": "0"}, "INLINE_BODY_LIMIT must be"),
        ({**BASE, "PROVIDERS": "{}", "SECRETS_REFRESH_SECONDS": "-5"}, "SECRETS_REFRESH_SECONDS"),
    ],
)
def test_invalid_environment_names_the_variable(environ: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        IngestConfig.from_environ(environ)
