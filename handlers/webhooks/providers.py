"""Provider configuration: the `PROVIDERS` environment variable, validated once per container.

Each provider names its signature scheme, the secret holding its signing keys, and the scheme's
options (docs/contract.md). Unknown keys and keys that don't apply to the scheme are errors, so a
typo in the stack config fails loudly instead of silently weakening verification.
"""

import json
from typing import NamedTuple

SCHEMES = ("github", "stripe", "shopify", "slack", "standard", "hmac")
ALGORITHMS = ("sha256", "sha512", "sha1")
ENCODINGS = ("hex", "base64")
DEFAULT_TOLERANCE_SECONDS = 300

_COMMON = ("scheme", "secret_arn")
_OPTIONS = {
    "github": _COMMON,
    "shopify": _COMMON,
    "stripe": (*_COMMON, "tolerance_seconds"),
    "slack": (*_COMMON, "tolerance_seconds"),
    "standard": (*_COMMON, "tolerance_seconds"),
    "hmac": (
        *_COMMON,
        "tolerance_seconds",
        "signature_header",
        "signature_prefix",
        "algorithm",
        "encoding",
        "timestamp_header",
        "delivery_id_header",
        "event_type_header",
    ),
}


class ConfigError(ValueError):
    """The provider configuration is invalid; the message names the key and what is allowed."""


class Provider(NamedTuple):
    """One configured sender. Header names are lower-case, as the request parser stores them."""

    name: str
    scheme: str
    secret_arn: str
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS
    signature_header: str = "x-signature"
    signature_prefix: str = ""
    algorithm: str = "sha256"
    encoding: str = "hex"
    timestamp_header: str | None = None
    delivery_id_header: str | None = None
    event_type_header: str | None = None


def parse_providers(text: str) -> dict[str, Provider]:
    """Parse and validate the `PROVIDERS` JSON; raise `ConfigError` naming the faulty key."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"PROVIDERS is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError("PROVIDERS must be a JSON object of provider name -> options")
    return {name: _provider(name, options) for name, options in data.items()}


def _provider(name: str, options: object) -> Provider:
    where = f"PROVIDERS[{name!r}]"
    if not name or not name.replace("-", "").replace("_", "").isalnum() or not name.isascii():
        raise ConfigError(f"{where}: provider names are letters, digits, '-' and '_'")
    if not isinstance(options, dict):
        raise ConfigError(f"{where} must be an object of options")
    scheme = options.get("scheme")
    if scheme not in SCHEMES:
        raise ConfigError(f"{where}.scheme is {scheme!r}; allowed: {', '.join(SCHEMES)}")
    allowed = _OPTIONS[scheme]
    for key in options:
        if key not in allowed:
            raise ConfigError(
                f"{where}.{key} does not apply to scheme {scheme!r}; allowed: {', '.join(allowed)}"
            )

    fields: dict[str, object] = {"name": name, "scheme": scheme}
    fields["secret_arn"] = _text(options, "secret_arn", where, required=True)
    default_tolerance = 0 if scheme == "hmac" else DEFAULT_TOLERANCE_SECONDS
    tolerance = options.get("tolerance_seconds", default_tolerance)
    if not isinstance(tolerance, int) or isinstance(tolerance, bool) or tolerance < 0:
        raise ConfigError(f"{where}.tolerance_seconds must be a non-negative integer")
    if tolerance == 0 and scheme != "hmac":
        raise ConfigError(f"{where}.tolerance_seconds must be > 0 (0 turns it off: hmac only)")
    fields["tolerance_seconds"] = tolerance
    if scheme != "hmac":
        return Provider(**fields)

    for key in ("signature_header", "timestamp_header", "delivery_id_header", "event_type_header"):
        if key in options:
            fields[key] = _text(options, key, where, required=True).lower()
    if "signature_prefix" in options:
        fields["signature_prefix"] = _text(options, "signature_prefix", where, required=False)
    for key, choices in (("algorithm", ALGORITHMS), ("encoding", ENCODINGS)):
        if key in options:
            if options[key] not in choices:
                raise ConfigError(
                    f"{where}.{key} is {options[key]!r}; allowed: {', '.join(choices)}"
                )
            fields[key] = options[key]
    if tolerance > 0 and "timestamp_header" not in fields:
        raise ConfigError(f"{where}.timestamp_header is required when tolerance_seconds > 0")
    return Provider(**fields)


def _text(options: dict, key: str, where: str, *, required: bool) -> str:
    value = options.get(key)
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConfigError(f"{where}.{key} must be a non-empty string")
    return value
