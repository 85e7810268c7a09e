"""The ingest function's `PROVIDERS` variable: provider name → scheme, secret ARN, options.

Parsed once per container through the scheme registry, which owns every option's rules and
defaults; `render` writes the same JSON from `Provider`s (the program builds the variable with
it), carrying only what differs from a default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeGuard

from . import schemes
from .envelope import MAX_PROVIDER_LENGTH
from .environ import SettingsError
from .schemes import OptionError, Provider

NAME_RULE = (
    f"a name of lower-case letters, digits and '-', at most {MAX_PROVIDER_LENGTH} characters"
)
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
RESERVED = ("scheme", "secret_arn")


def is_name(name: object) -> TypeGuard[str]:
    """Whether `name` follows `NAME_RULE` (and does not start with `-`).

    Checked with set operations rather than a regular expression: compiling one at import cost
    about 120 µs of the ingest function's cold start (timed after `import boto3`)."""
    return (
        isinstance(name, str)
        and 0 < len(name) <= MAX_PROVIDER_LENGTH
        and name[0] != "-"
        and _NAME_CHARACTERS.issuperset(name)
    )


def build(
    name: str, scheme_name: object, secret_arn: str, given: Mapping[str, object]
) -> Provider[Any]:
    """One provider from its scheme name and options (snake_case); raise `OptionError`."""
    if not is_name(name):
        raise OptionError("name", name, NAME_RULE)
    scheme = schemes.find(scheme_name)
    if scheme is None:
        raise OptionError("scheme", scheme_name, f"one of {', '.join(schemes.names())}")
    values = schemes.validate(scheme, given)
    return Provider(name, scheme, secret_arn, scheme.configure(values), values)


def parse(text: str) -> dict[str, Provider[Any]]:
    """Parse and validate `PROVIDERS`; raise `SettingsError` naming the faulty key."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise SettingsError(f"PROVIDERS is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise SettingsError("PROVIDERS must be a JSON object of provider name -> options")
    return {name: _provider(name, options) for name, options in data.items()}


def _provider(name: str, options: object) -> Provider[Any]:
    where = f"PROVIDERS[{name!r}]"
    if not isinstance(options, dict):
        raise SettingsError(f"{where} must be an object of options")
    secret_arn = options.get("secret_arn")
    if not isinstance(secret_arn, str) or not secret_arn.strip():
        raise SettingsError(f"{where}.secret_arn must be a non-empty string")
    given = {key: value for key, value in options.items() if key not in RESERVED}
    try:
        return build(name, options.get("scheme"), secret_arn, given)
    except OptionError as error:
        raise SettingsError(f"{where}.{error}") from None


def render(providers: Mapping[str, Provider[Any]]) -> str:
    """`PROVIDERS` for these providers: what `parse` reads back into the same providers."""
    return json.dumps(
        {
            name: {
                "scheme": provider.scheme.name,
                "secret_arn": provider.secret_arn,
                **provider.scheme.explicit(provider.values),
            }
            for name, provider in providers.items()
        },
        separators=(",", ":"),
    )
