"""The registry of sender schemes: a scheme's name → its `Scheme` (one module per scheme).

Everything outside this package asks the registry (`find`, `get`, `names`) and never names a
particular scheme: the program's settings, the ingest function's provider parsing, the local
stack's development secrets, the benchmark's and the drill's payload lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import generic_hmac, github, shopify, slack, standard, stripe
from .base import Option, OptionError, Provider, Scheme, UnknownOption, config_key

__all__ = [
    "Option",
    "OptionError",
    "Provider",
    "Scheme",
    "config_key",
    "find",
    "get",
    "names",
    "register",
    "unregister",
    "validate",
]

_REGISTRY: dict[str, Scheme[Any]] = {}


def register(scheme: Scheme[Any]) -> None:
    """Make `scheme` available under its name; a name is registered once."""
    if scheme.name in _REGISTRY:
        raise ValueError(f"scheme {scheme.name!r} is registered already")
    _REGISTRY[scheme.name] = scheme


def unregister(name: str) -> None:
    """Remove a scheme (tests that register one of their own)."""
    del _REGISTRY[name]


def find(name: object) -> Scheme[Any] | None:
    """The scheme registered as `name`, if any (None for anything else, a non-string too)."""
    return _REGISTRY.get(name) if isinstance(name, str) else None


def get(name: str) -> Scheme[Any]:
    """The scheme registered as `name`; raises `LookupError` naming the registered ones."""
    found = _REGISTRY.get(name)
    if found is None:
        raise LookupError(f"unknown scheme {name!r}; registered: {', '.join(_REGISTRY)}")
    return found


def names() -> tuple[str, ...]:
    """Every registered scheme name, in registration order."""
    return tuple(_REGISTRY)


def validate(
    chosen: Scheme[Any], given: Mapping[str, object], spell: Callable[[str], str] = str
) -> dict[str, object]:
    """`chosen.validate(given, spell)`; a key only other schemes know says which ones do."""
    try:
        return chosen.validate(given, spell)
    except UnknownOption as error:
        others = [
            other.name
            for other in _REGISTRY.values()
            if error.key in {spell(option.name) for option in other.options}
        ]
        if not others:
            raise
        schemes = "schemes" if len(others) > 1 else "scheme"
        raise OptionError(
            error.key, error.value, f"only valid with {schemes} {', '.join(others)}"
        ) from None


for _module in (github, stripe, shopify, slack, standard, generic_hmac):
    register(_module.SCHEME)
