"""The registry of sender schemes: a scheme's name → its `Scheme` (one module per scheme).

Everything outside this package asks the registry (`find`, `get`, `names`) and never names a
particular scheme: the program's settings, the ingest function's provider parsing, the local
stack's development secrets, the benchmark's and the drill's payload lists.

A built-in scheme's module is imported the first time its name is looked up, so the ingest
function imports only the schemes its providers use: each costs about 0.2 to 0.3 ms of cold
start with cached bytecode and 1 to 2 ms compiled from source (`make bench`, "Cold start", one
provider against one per scheme; docs/design.md, "Cold start as a sender feels it").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from .base import Option, OptionError, Provider, Scheme, UnknownOption, config_key, preset

__all__ = [
    "BUILT_IN",
    "Option",
    "OptionError",
    "Provider",
    "Scheme",
    "config_key",
    "find",
    "get",
    "names",
    "register",
    "requires",
    "unregister",
    "validate",
]

BUILT_IN = {
    "github": "github",
    "stripe": "stripe",
    "shopify": "shopify",
    "slack": "slack",
    "standard": "standard",
    "hmac": "generic_hmac",
    "token": "token",
    "basic": "token",
    "in-body": "in_body",
    "adyen": "in_body",
    "auth0": "token",
    "bitbucket": "generic_hmac",
    "calendly": "generic_hmac",
    "circleci": "generic_hmac",
    "clerk": "standard",
    "coinbase-commerce": "generic_hmac",
    "datadog": "token",
    "docusign": "generic_hmac",
    "dropbox": "generic_hmac",
    "gitlab": "token",
    "hubspot": "generic_hmac",
    "intercom": "generic_hmac",
    "jira": "generic_hmac",
    "lemonsqueezy": "generic_hmac",
    "linear": "generic_hmac",
    "mailgun": "in_body",
    "meta": "generic_hmac",
    "microsoft-graph": "in_body",
    "mux": "generic_hmac",
    "okta": "token",
    "openai": "standard",
    "paddle": "generic_hmac",
    "pagerduty": "generic_hmac",
    "postmark": "token",
    "replicate": "standard",
    "resend": "standard",
    "sentry": "generic_hmac",
    "square": "generic_hmac",
    "twilio": "generic_hmac",
    "twitch": "generic_hmac",
    "typeform": "generic_hmac",
    "vercel": "generic_hmac",
    "woocommerce": "generic_hmac",
    "xero": "generic_hmac",
    "zoom": "generic_hmac",
    "discord": "ed25519",
    "telnyx": "ed25519",
    "sendgrid": "ecdsa",
    "aws-sns": "sns",
    "google-pubsub": "jwt",
    "plaid": "jwt",
}
"""Each built-in scheme's name → its module in this package (imported on first use). A module
builds its family's `SCHEME`; the other names are its `PRESETS`, the named senders of that
family, built from their data on first lookup (`schemes.base.preset`). A public-key family has
no form of its own a provider could configure: its module builds `SCHEMES` instead, one scheme
per sender from that sender's data (its `SENDERS`)."""

_REGISTRY: dict[str, Scheme[Any]] = {}


def register(scheme: Scheme[Any]) -> None:
    """Make `scheme` available under its name; a name is registered once."""
    if scheme.name in _REGISTRY or scheme.name in BUILT_IN:
        raise ValueError(f"scheme {scheme.name!r} is registered already")
    _REGISTRY[scheme.name] = scheme


def unregister(name: str) -> None:
    """Remove a scheme (tests that register one of their own)."""
    if name in BUILT_IN:
        raise ValueError(f"scheme {name!r} is built in")
    del _REGISTRY[name]


def find(name: object) -> Scheme[Any] | None:
    """The scheme registered as `name`, if any (None for anything else, a non-string too)."""
    if not isinstance(name, str):
        return None
    found = _REGISTRY.get(name)
    if found is None and name in BUILT_IN:
        module = importlib.import_module(f".{BUILT_IN[name]}", __name__)
        schemes: dict[str, Scheme[Any]] | None = getattr(module, "SCHEMES", None)
        if schemes is not None:
            found = schemes[name]
        else:
            family: Scheme[Any] = module.SCHEME
            found = family if family.name == name else preset(family, name, **module.PRESETS[name])
        _REGISTRY[name] = found
    return found


def requires(name: str) -> tuple[str, ...]:
    """The third-party packages scheme `name` imports (its module's `REQUIRES`): what the
    functions' package must carry for a provider of it (components/packages.py)."""
    if find(name) is None or name not in BUILT_IN:
        return ()
    module = importlib.import_module(f".{BUILT_IN[name]}", __name__)
    required: tuple[str, ...] = getattr(module, "REQUIRES", ())
    return required


def get(name: str) -> Scheme[Any]:
    """The scheme registered as `name`; raises `LookupError` naming the registered ones."""
    found = find(name)
    if found is None:
        raise LookupError(f"unknown scheme {name!r}; registered: {', '.join(names())}")
    return found


def names() -> tuple[str, ...]:
    """Every registered scheme name: the built-in ones, then others in registration order."""
    return (*BUILT_IN, *(name for name in _REGISTRY if name not in BUILT_IN))


def validate(
    chosen: Scheme[Any], given: Mapping[str, object], spell: Callable[[str], str] = str
) -> dict[str, object]:
    """`chosen.validate(given, spell)`; a key only other schemes know says which ones do."""
    try:
        return chosen.validate(given, spell)
    except UnknownOption as error:
        others = [
            name
            for name in names()
            if error.key in {spell(option.name) for option in get(name).options}
        ]
        if not others:
            raise
        schemes = "schemes" if len(others) > 1 else "scheme"
        raise OptionError(
            error.key, error.value, f"only valid with {schemes} {', '.join(others)}"
        ) from None
