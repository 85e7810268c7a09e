"""The config table: a settings field declares its config key, bounds, default and docs once.

`setting(...)` puts the declaration on the dataclass field; a `Section` checks every declared
field when it is built (from config or from code, the same `ConfigError` text), reads itself
from the stack config (`Section.read`), and the reference in docs/configuration.md and the
`config:` declarations in Pulumi.yaml are generated from the same declarations
(components/config_reference.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any, ClassVar, Self

from hookgate.components.config_error import ConfigError, setting_key

SETTING = "hookgate.setting"
"""The metadata key of a field's `Setting`."""


@dataclass(frozen=True)
class Integer:
    """An integer from `low` to `high` (no upper bound when None)."""

    low: int
    high: int | None = None

    def accepts(self, value: object) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and value >= self.low
            and (self.high is None or value <= self.high)
        )

    @property
    def allowed(self) -> str:
        if self.high is None:
            return f"an integer of at least {self.low}"
        return f"an integer from {self.low} to {self.high}"

    @property
    def summary(self) -> str:
        dash = "\N{EN DASH}"  # as the reference writes a range
        return f"≥ {self.low}" if self.high is None else f"{self.low}{dash}{self.high}"


@dataclass(frozen=True)
class Boolean:
    def accepts(self, value: object) -> bool:
        return isinstance(value, bool)

    allowed: ClassVar[str] = "true or false"
    summary: ClassVar[str] = "boolean"


@dataclass(frozen=True)
class Choice:
    """One of `values` (compared with `==`, so `1` is not `"1"`)."""

    values: tuple[object, ...]

    def accepts(self, value: object) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)

    @property
    def allowed(self) -> str:
        return f"one of {', '.join(map(str, self.values))}"

    @property
    def summary(self) -> str:
        return ", ".join(f"`{v}`" if isinstance(v, str) else str(v) for v in self.values)


@dataclass(frozen=True)
class Text:
    """A string matching `pattern` entirely; `what` says what that is."""

    pattern: re.Pattern[str]
    what: str

    def accepts(self, value: object) -> bool:
        return isinstance(value, str) and self.pattern.fullmatch(value) is not None

    @property
    def allowed(self) -> str:
        return self.what

    @property
    def summary(self) -> str:
        return self.what


@dataclass(frozen=True)
class Checked:
    """A value of a shape no kind above describes (a list, an object, a URL): its type's own
    `__post_init__` checks it, and `summary` is what the reference says it allows."""

    summary: str

    def accepts(self, value: object) -> bool:
        return True

    @property
    def allowed(self) -> str:
        return self.summary


Kind = Integer | Boolean | Choice | Text | Checked


@dataclass(frozen=True)
class Setting:
    """One config key: its name in its section, what it accepts, and what the docs say."""

    key: str
    kind: Kind
    doc: str = ""
    """What the reference adds after the bounds: why, and what depends on it."""
    shown_default: str | None = None
    """The default as the reference shows it when it is not the field's default value: a value
    derived from other keys, `none`, `required`."""


def setting(
    default: Any, key: str, kind: Kind, doc: str = "", shown_default: str | None = None
) -> Any:
    """A dataclass field declared as config key `key`: `x: int = setting(10, "x", Integer(1))`.

    A default of None means unset is valid (the value is then derived, or there is none)."""
    return field(default=default, metadata={SETTING: Setting(key, kind, doc, shown_default)})


def required_setting(key: str, kind: Kind, doc: str = "") -> Any:
    """A dataclass field without a default declared as config key `key` (the reference shows
    it as required)."""
    return field(metadata={SETTING: Setting(key, kind, doc, shown_default="required")})


def declared(cls: type) -> Iterator[tuple[Field[Any], Setting]]:
    """The fields of dataclass `cls` that are config keys, in declaration order."""
    for f in fields(cls):
        declaration = f.metadata.get(SETTING)
        if declaration is not None:
            yield f, declaration


def check_fields(instance: object, *section: str) -> None:
    """Every declared field of `instance` holds a value its kind accepts (None only where the
    declaration allows unset); the error names the key as a user writes it."""
    for f, declaration in declared(type(instance)):
        value = getattr(instance, f.name)
        if value is None and f.default is None:
            continue
        if not declaration.kind.accepts(value):
            raise ConfigError(
                setting_key(*section, declaration.key), value, declaration.kind.allowed
            )


class Section:
    """A settings section: one object-valued config key (`NAME`) whose members are the
    declared fields. Subclasses are frozen dataclasses; `check` holds their own rules."""

    NAME: ClassVar[str]
    DOC: ClassVar[str]
    """One line for Pulumi.yaml's description of the key."""

    def __post_init__(self) -> None:
        check_fields(self, self.NAME)
        self.check()

    def check(self) -> None:
        """Rules between this section's own fields (none by default)."""

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(declaration.key for _, declaration in declared(cls))

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> Self:
        """The section from the stack config (top-level key → value): unset keys keep their
        defaults; an unknown member is a typo and fails."""
        given = read_object(raw, cls.NAME, cls.keys())
        by_key = {declaration.key: f.name for f, declaration in declared(cls)}
        return cls(**{by_key[key]: value for key, value in given.items()})


def read_object(raw: Mapping[str, Any], name: str, known: tuple[str, ...]) -> dict[str, Any]:
    """An optional object-valued key; unknown members are typos and fail."""
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(setting_key(name), value, f"an object with keys {', '.join(known)}")
    for member in value:
        if member not in known:
            raise ConfigError(
                setting_key(name, member), value[member], f"known keys: {', '.join(known)}"
            )
    return dict(value)
