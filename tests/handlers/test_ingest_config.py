"""The ingest function's settings: PROVIDERS and the other variables, validated once."""

import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from webhooks import providers as provider_json
from webhooks import schemes
from webhooks.environ import SettingsError
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.schemes.base import Tolerance
from webhooks.schemes.generic_hmac import HmacOptions, placeholders

BASE = {"QUEUE_URL": "https://queue", "ARCHIVE_BUCKET": "bucket", "ENVIRONMENT": "dev"}
SCHEME_NAMES = ", ".join(schemes.names())


def providers(**options: object) -> str:
    """PROVIDERS as JSON text; options of any JSON shape, so the invalid ones can be written."""
    return json.dumps(options)


def test_defaults_per_scheme() -> None:
    parsed = provider_json.parse(
        providers(
            gh={"scheme": "github", "secret_arn": "arn:1"},
            pay={"scheme": "stripe", "secret_arn": "arn:2", "tolerance_seconds": 60},
            std={"scheme": "standard", "secret_arn": "arn:4"},
            acme={"scheme": "hmac", "secret_arn": "arn:3", "signature_header": "X-Sig"},
        )
    )
    assert parsed["gh"] == provider_json.build("gh", "github", "arn:1", {})
    gh = parsed["gh"]
    assert (gh.name, gh.scheme.name, gh.secret_arn) == ("gh", "github", "arn:1")
    # GitHub's one option: its id is unsigned, so it deduplicates by content
    assert (gh.options, dict(gh.values), gh.dedupe) == (None, {"dedupe": "content"}, "content")
    assert (parsed["pay"].dedupe, parsed["std"].dedupe) == ("deliveryId", "deliveryId")
    assert parsed["pay"].options == Tolerance(60)
    assert parsed["std"].options == Tolerance(300)
    acme = parsed["acme"]
    assert isinstance(acme.options, HmacOptions)
    assert {name: getattr(acme.options, name) for name in HmacOptions.__slots__} == {
        "tolerance_seconds": 0,
        "signature_header": "x-sig",  # lower-cased
        "signature_prefix": "",
        "algorithm": "sha256",
        "encoding": "hex",
        "timestamp_header": None,
        "delivery_id_header": None,
        "delivery_id_field": None,
        "event_type_header": None,
        "event_type_field": None,
        "sources": (None, None, None, None),
        "parts": (),  # the body alone
        "reads_call": False,
        "numbered": False,
        "signature_list": "",
        "signature_key": "v1",
        "timestamp_key": "t",
        "handshake": "none",
        "verify_token": None,
        "url_unescape": (),
        "accepted": "json",
        "signs_id": False,
        "signs_timestamp": False,
    }
    assert acme.dedupe == "content"  # the signature covers no id


def test_full_hmac_options() -> None:
    acme = provider_json.parse(
        providers(
            acme={
                "scheme": "hmac",
                "secret_arn": "arn",
                "tolerance_seconds": 120,
                "signed_content": "{id}.{timestamp}.{body}",
                "signature_header": "X-Acme-Signature",
                "signature_prefix": "sha512=",
                "algorithm": "sha512",
                "encoding": "base64",
                "timestamp_header": "X-Acme-Time",
                "delivery_id_header": "X-Acme-Id",
                "event_type_header": "X-Acme-Event",
            }
        )
    )["acme"].options
    assert acme.tolerance_seconds == 120
    assert acme.signature_header == "x-acme-signature"
    assert acme.timestamp_header == "x-acme-time"
    assert acme.delivery_id_header == "x-acme-id"
    assert acme.event_type_header == "x-acme-event"
    assert (acme.algorithm, acme.encoding, acme.signature_prefix) == ("sha512", "base64", "sha512=")
    assert acme.parts == ("{id}", ".", "{timestamp}", ".", "{body}")
    assert acme.signs_id and acme.signs_timestamp


def test_build_is_what_parse_makes() -> None:
    given = {
        "signature_header": "X-Sig",
        "tolerance_seconds": 60,
        "timestamp_header": "X-T",
        "signed_content": "{timestamp}:{body}",
    }
    built = provider_json.build("acme", "hmac", "arn", given)
    parsed = provider_json.parse(providers(acme={"scheme": "hmac", "secret_arn": "arn", **given}))
    assert built == parsed["acme"]
    with pytest.raises(schemes.OptionError, match="tolerance_seconds = 4000 is not allowed"):
        provider_json.build("acme", "hmac", "arn", {"tolerance_seconds": 4000})
    with pytest.raises(schemes.OptionError, match="name = 'A' is not allowed"):
        provider_json.build("A", "github", "arn", {})


def test_render_carries_only_non_default_options_and_parses_back() -> None:
    text = providers(
        gh={"scheme": "github", "secret_arn": "arn:1"},
        pay={"scheme": "stripe", "secret_arn": "arn:2", "tolerance_seconds": 300},
        slow={"scheme": "slack", "secret_arn": "arn:3", "tolerance_seconds": 600},
        acme={
            "scheme": "hmac",
            "secret_arn": "arn:4",
            "signature_header": "X-Acme-Signature",
            "algorithm": "sha256",
            "encoding": "base64",
        },
    )
    parsed = provider_json.parse(text)
    rendered = provider_json.render(parsed)
    assert " " not in rendered  # compact
    assert json.loads(rendered) == {
        "gh": {"scheme": "github", "secret_arn": "arn:1"},
        "pay": {"scheme": "stripe", "secret_arn": "arn:2"},
        "slow": {"scheme": "slack", "secret_arn": "arn:3", "tolerance_seconds": 600},
        "acme": {
            "scheme": "hmac",
            "secret_arn": "arn:4",
            "signature_header": "x-acme-signature",
            "encoding": "base64",
        },
    }
    assert provider_json.parse(rendered) == parsed


_HEADER_NAMES = st.text(alphabet="abcXYZ-_ ", min_size=1, max_size=6).filter(str.strip)


@given(
    options=st.fixed_dictionaries(
        {},
        optional={
            "signature_header": _HEADER_NAMES,
            "signature_prefix": st.text(max_size=4),
            "algorithm": st.sampled_from(["sha256", "sha512", "sha1"]),
            "encoding": st.sampled_from(["hex", "base64"]),
            "timestamp_header": _HEADER_NAMES,
            "delivery_id_header": _HEADER_NAMES,
            "event_type_header": _HEADER_NAMES,
            "tolerance_seconds": st.integers(0, 3600),
            "signed_content": st.sampled_from(
                ["{body}", "{id}.{timestamp}.{body}", "{timestamp}:{body}", "v1:{body}:{id}"]
            ),
            "dedupe": st.sampled_from(["content", "deliveryId"]),
        },
    ),
    tolerance=st.integers(1, 3600),
)
def test_render_parses_back_into_the_same_providers(options: dict, tolerance: int) -> None:
    template = options.get("signed_content", "{body}")
    if options.get("tolerance_seconds", 0) > 0 and "{timestamp}" not in template:
        options["signed_content"] = template = "{timestamp}." + template
    if "{timestamp}" in template:
        options.setdefault("timestamp_header", "x-t")
    if "{id}" in template:
        options.setdefault("delivery_id_header", "x-id")
    parsed = provider_json.parse(
        providers(
            acme={"scheme": "hmac", "secret_arn": "arn:1", **options},
            std={"scheme": "standard", "secret_arn": "arn:2", "tolerance_seconds": tolerance},
            gh={"scheme": "github", "secret_arn": "arn:3"},
        )
    )
    assert provider_json.parse(provider_json.render(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "PROVIDERS is not valid JSON"),
        ("[]", "PROVIDERS must be a JSON object"),
        (providers(gh="github"), r"PROVIDERS\['gh'\] must be an object of options"),
        (
            providers(gh={"secret_arn": "a"}),
            rf"PROVIDERS\['gh'\]\.scheme = None is not allowed; allowed: one of {SCHEME_NAMES}$",
        ),
        (
            providers(gh={"scheme": "nosuchsender", "secret_arn": "a"}),
            rf"PROVIDERS\['gh'\]\.scheme = 'nosuchsender' is not allowed; "
            rf"allowed: one of {SCHEME_NAMES}$",
        ),
        (providers(gh={"scheme": "github"}), r"PROVIDERS\['gh'\]\.secret_arn must be a non-empty"),
        (providers(gh={"scheme": "github", "secret_arn": " "}), "secret_arn must be a non-empty"),
        (providers(gh={"scheme": "github", "secret_arn": 5}), "secret_arn must be a non-empty"),
        (
            providers(gh={"scheme": "github", "secret_arn": "a", "tolerance_seconds": 5}),
            r"PROVIDERS\['gh'\]\.tolerance_seconds = 5 is not allowed; "
            "allowed: only valid with schemes "
            + ", ".join(
                n
                for n in schemes.names()
                if "tolerance_seconds" in {o.name for o in schemes.get(n).options}
            )
            + "$",
        ),
        (
            providers(s={"scheme": "stripe", "secret_arn": "a", "signature_header": "x"}),
            r"PROVIDERS\['s'\]\.signature_header = 'x' is not allowed; "
            "allowed: only valid with scheme hmac$",
        ),
        (  # a typo fails loudly instead of silently falling back to the default
            providers(s={"scheme": "stripe", "secret_arn": "a", "tolerence_seconds": 5}),
            r"tolerence_seconds = 5 is not allowed; "
            r"allowed: known keys: scheme, tolerance_seconds, dedupe",
        ),
        (
            providers(s={"scheme": "stripe", "secret_arn": "a", "tolerance_seconds": 0}),
            r"tolerance_seconds = 0 is not allowed; allowed: an integer from 1 to 3600$",
        ),
        (
            providers(s={"scheme": "standard", "secret_arn": "a", "tolerance_seconds": 3601}),
            r"tolerance_seconds = 3601 is not allowed; allowed: an integer from 1 to 3600$",
        ),
        (
            providers(s={"scheme": "slack", "secret_arn": "a", "tolerance_seconds": "300"}),
            r"tolerance_seconds = '300' is not allowed; allowed: an integer from 1 to 3600$",
        ),
        (
            providers(s={"scheme": "slack", "secret_arn": "a", "tolerance_seconds": True}),
            r"tolerance_seconds = True is not allowed; allowed: an integer from 1 to 3600$",
        ),
        (
            providers(acme={"scheme": "hmac", "secret_arn": "a", "tolerance_seconds": -1}),
            r"PROVIDERS\['acme'\]\.tolerance_seconds = -1 is not allowed; "
            "allowed: an integer from 0 to 3600$",
        ),
        (
            providers(a={"scheme": "hmac", "secret_arn": "a", "algorithm": "md5"}),
            r"algorithm = 'md5' is not allowed; allowed: one of sha256, sha512, sha1$",
        ),
        (
            providers(a={"scheme": "hmac", "secret_arn": "a", "encoding": "base32"}),
            r"encoding = 'base32' is not allowed; allowed: one of hex, base64$",
        ),
        (
            providers(acme={"scheme": "hmac", "secret_arn": "a", "tolerance_seconds": 60}),
            r"PROVIDERS\['acme'\]\.tolerance_seconds = 60 is not allowed; "
            r"allowed: 0 unless signed_content signs \{timestamp\}",
        ),
        (  # an unsigned timestamp header is no freshness proof: naming both keys
            providers(
                acme={
                    "scheme": "hmac",
                    "secret_arn": "a",
                    "tolerance_seconds": 60,
                    "timestamp_header": "x-t",
                }
            ),
            r"tolerance_seconds = 60 is not allowed; allowed: 0 unless signed_content signs "
            r"\{timestamp\} .*signed_content is '\{body\}'",
        ),
        (
            providers(acme={"scheme": "hmac", "secret_arn": "a", "signed_content": "{id}.{body}"}),
            r"PROVIDERS\['acme'\]\.delivery_id_header = None is not allowed; "
            r"allowed: required with scheme hmac when signed_content signs \{id\}$",
        ),
        (
            providers(
                acme={"scheme": "hmac", "secret_arn": "a", "signed_content": "{timestamp}{body}"}
            ),
            r"timestamp_header = None is not allowed; "
            r"allowed: required with scheme hmac when signed_content signs \{timestamp\} "
            r"and signature_list is empty$",
        ),
        (
            providers(acme={"scheme": "hmac", "secret_arn": "a", "signed_content": "{id}.{ts}"}),
            r"signed_content = '\{id\}.\{ts\}' is not allowed; allowed: a template of text and "
            r"the placeholders \{id\}, \{timestamp\}, \{body\}, \{method\}, \{url\} and "
            r"\{form\}, with \{body\} at most once",
        ),
        (
            providers(acme={"scheme": "hmac", "secret_arn": "a", "signed_content": "{body}{body}"}),
            r"signed_content = '\{body\}\{body\}' is not allowed",
        ),
        (
            providers(acme={"scheme": "hmac", "secret_arn": "a", "signed_content": "{body}}"}),
            r"signed_content = '\{body\}\}' is not allowed",
        ),
        (
            providers(acme={"scheme": "hmac", "secret_arn": "a", "dedupe": "id"}),
            r"dedupe = 'id' is not allowed; allowed: one of deliveryId, content$",
        ),
        (
            providers(a={"scheme": "hmac", "secret_arn": "a", "signature_header": ""}),
            r"signature_header = '' is not allowed; allowed: a non-empty string$",
        ),
        (
            providers(a={"scheme": "hmac", "secret_arn": "a", "signature_prefix": 1}),
            r"signature_prefix = 1 is not allowed; allowed: a string$",
        ),
        (providers(**{"a/b": {"scheme": "github", "secret_arn": "a"}}), r"\.name = 'a/b' is not"),
        (providers(**{"": {"scheme": "github", "secret_arn": "a"}}), r"\.name = '' is not allowed"),
        # since the restructuring: lower case, no '_', starts with a letter or digit, <= 32
        (providers(GitHub={"scheme": "github", "secret_arn": "a"}), "name = 'GitHub' is not"),
        (providers(a_b={"scheme": "github", "secret_arn": "a"}), "name = 'a_b' is not allowed"),
        (providers(**{"-a": {"scheme": "github", "secret_arn": "a"}}), "name = '-a' is not"),
        (providers(**{"a" * 33: {"scheme": "github", "secret_arn": "a"}}), "at most 32 char"),
        pytest.param(
            providers(**{"gh\n": {"scheme": "github", "secret_arn": "a"}}),
            r"name = 'gh\\n' is not allowed",
            id="trailing-newline",
        ),
    ],
)
def test_invalid_providers_name_the_key(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        provider_json.parse(text)


@pytest.mark.parametrize("name", ["a", "0", "github", "standard-webhooks", "a" * 32, "v2-x-9"])
def test_valid_provider_names(name: str) -> None:
    parsed = provider_json.parse(providers(**{name: {"scheme": "github", "secret_arn": "a"}}))
    assert parsed[name].name == name


def test_environment_defaults() -> None:
    settings = IngestHandlerSettings.from_environ({**BASE, "PROVIDERS": "{}"})
    assert settings.max_body_bytes == 1_048_576
    # was 196_608 in the handler (a bug): the program's default, 32 KiB, is the handler's now
    assert settings.inline_body_limit == 32_768
    assert settings.secrets_refresh_seconds == 300
    assert (settings.metrics_namespace, settings.environment) == ("Webhooks", "dev")
    assert settings.log_level == "INFO"
    assert settings == IngestHandlerSettings(
        queue_url="https://queue", archive_bucket="bucket", providers={}, environment="dev"
    )


def test_environment_values() -> None:
    settings = IngestHandlerSettings.from_environ(
        {
            **BASE,
            "PROVIDERS": providers(gh={"scheme": "github", "secret_arn": "a"}),
            "MAX_BODY_BYTES": "2048",
            "INLINE_BODY_LIMIT": "1024",
            "SECRETS_REFRESH_SECONDS": "60",
            "METRICS_NAMESPACE": "Hooks",
            "ENVIRONMENT": "prod",
            "LOG_LEVEL": "WARNING",
        }
    )
    assert (settings.max_body_bytes, settings.inline_body_limit) == (2048, 1024)
    assert settings.secrets_refresh_seconds == 60
    assert (settings.metrics_namespace, settings.environment) == ("Hooks", "prod")
    assert settings.log_level == "WARNING"
    assert list(settings.providers) == ["gh"]


def test_to_environ_reads_back_into_the_same_settings() -> None:
    settings = IngestHandlerSettings.from_environ(
        {
            **BASE,
            "PROVIDERS": providers(
                gh={"scheme": "github", "secret_arn": "a"},
                acme={"scheme": "hmac", "secret_arn": "b", "signature_header": "X-Sig"},
            ),
            "INLINE_BODY_LIMIT": "1024",
            "LOG_LEVEL": "DEBUG",
        }
    )
    environ = settings.to_environ()
    assert IngestHandlerSettings.from_environ(environ) == settings
    assert json.loads(environ["PROVIDERS"])["acme"] == {
        "scheme": "hmac",
        "secret_arn": "b",
        "signature_header": "x-sig",
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"ARCHIVE_BUCKET": "b", "PROVIDERS": "{}", "ENVIRONMENT": "e"},
            "^environment variable QUEUE_URL is required$",
        ),
        ({"QUEUE_URL": "q", "PROVIDERS": "{}", "ENVIRONMENT": "e"}, "ARCHIVE_BUCKET is required"),
        (BASE, "PROVIDERS is required"),
        (  # no longer defaults to "dev"
            {"QUEUE_URL": "q", "ARCHIVE_BUCKET": "b", "PROVIDERS": "{}"},
            "ENVIRONMENT is required",
        ),
        ({**BASE, "PROVIDERS": "{}", "ENVIRONMENT": " "}, "ENVIRONMENT is required"),
        (
            {**BASE, "PROVIDERS": "{}", "MAX_BODY_BYTES": "1MB"},
            "^environment variable MAX_BODY_BYTES must be a positive integer, got '1MB'$",
        ),
        (
            {**BASE, "PROVIDERS": "{}", "INLINE_BODY_LIMIT": "0"},
            "INLINE_BODY_LIMIT must be a positive integer, got '0'",
        ),
        (
            {**BASE, "PROVIDERS": "{}", "SECRETS_REFRESH_SECONDS": "-5"},
            "SECRETS_REFRESH_SECONDS must be a positive integer, got '-5'",
        ),
        (
            {**BASE, "PROVIDERS": "{}", "MAX_BODY_BYTES": "\u0661\u0662"},
            "MAX_BODY_BYTES must be a positive integer",
        ),
        (
            {**BASE, "PROVIDERS": "{}", "LOG_LEVEL": "VERBOSE"},
            "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR",
        ),
        ({**BASE, "PROVIDERS": '{"x": {"scheme": "nosuchsender"}}'}, r"PROVIDERS\['x'\]"),
    ],
)
def test_invalid_environment_names_the_variable(environ: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        IngestHandlerSettings.from_environ(environ)


# The handler checks both without regular expressions (a cold-start saving); these are the
# expressions they replace, as oracles.
_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_PLACEHOLDER_PATTERN = re.compile(r"\{[^{}]*\}")


@given(st.text(alphabet="az09-_A\n é", max_size=34) | st.from_regex(_NAME_PATTERN, fullmatch=True))
def test_provider_names_are_what_the_pattern_allows(name: str) -> None:
    assert provider_json.is_name(name) == bool(_NAME_PATTERN.fullmatch(name))


def _template_by_pattern(template: str) -> list[str] | None:
    found = _PLACEHOLDER_PATTERN.findall(template)
    rest = _PLACEHOLDER_PATTERN.sub("", template)
    valid = "{" not in rest and "}" not in rest and found.count("{body}") <= 1 and found
    allowed = ("{id}", "{timestamp}", "{body}", "{method}", "{url}", "{form}")
    return found if valid and all(p in allowed for p in found) else None


@given(
    st.lists(
        st.sampled_from(
            ["{", "}", "{body}", "{id}", "{timestamp}", "{url}", "{form}", "{x}", ".", "{}"]
        ),
        max_size=6,
    ).map("".join)
)
@example("{body}}")
@example("}{body}")
@example("{{body}")
@example("{id}.{timestamp}.{body}")
@settings(max_examples=400)
def test_signed_content_templates_are_what_the_pattern_allows(template: str) -> None:
    expected = _template_by_pattern(template)
    if expected is None:
        with pytest.raises(ValueError, match="a template of text"):
            placeholders(template)
    else:
        assert placeholders(template) == expected
