"""What a sender scheme is: its options, its secret format, its verifier and its describer.

A scheme module (`schemes/<scheme>.py`) builds one `Scheme`; the registry (`schemes/__init__.py`)
maps names to them. The option schema is the one owner of a provider's options: the program's
settings validate the stack config with it (camelCase keys) and the ingest function validates its
`PROVIDERS` variable with it (snake_case keys), so the two sides cannot disagree.

The two options several schemes share are here too: `dedupe` (every scheme) and the timestamp
tolerance (the schemes that sign a timestamp).
"""

from __future__ import annotations

import secrets as _random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Generic, TypeVar

from .. import Record
from ..delivery import Answer, Delivery
from ..envelope import DEDUPE_BY_CONTENT, DEDUPE_BY_DELIVERY_ID

Headers = Mapping[str, str]
Keys = Sequence[bytes]
Options = TypeVar("Options")


class OptionError(ValueError):
    """One option is wrong: `key` as spelled by the caller, the value, and what is allowed."""

    def __init__(self, key: str, value: object, allowed: str) -> None:
        super().__init__(f"{key} = {value!r} is not allowed; allowed: {allowed}")
        self.key = key
        self.value = value
        self.allowed = allowed


class UnknownOption(OptionError):
    """A key the scheme has no option of (perhaps another scheme has)."""


def config_key(name: str) -> str:
    """The stack-config spelling of an option: `signature_header` → `signatureHeader`."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


# Option and Scheme are slotted classes with `Final` fields, not Records (webhooks/__init__.py):
# both are schema, compared by identity.
class Option:
    """One provider option: its name in `PROVIDERS` (snake_case), its type, bounds and default.

    `kind` is `text` (non-empty string; `lower` folds header names), `prefix` (any string,
    empty included), `integer` (from `low` to `high`) or `choice` (one of `choices`).
    """

    __slots__ = (
        "choices",
        "default",
        "description",
        "high",
        "kind",
        "low",
        "lower",
        "name",
        "required",
    )

    def __init__(
        self,
        name: str,
        kind: str,
        *,
        default: object = None,
        low: int = 0,
        high: int = 0,
        choices: tuple[str, ...] = (),
        lower: bool = False,
        description: str = "",
        required: bool = False,
    ) -> None:
        self.name: Final = name
        self.kind: Final = kind
        self.default: Final = default
        self.low: Final = low
        self.high: Final = high
        self.choices: Final = choices
        self.lower: Final = lower
        self.description: Final = description
        self.required: Final = required
        """Whether a provider must give it (a preset's own value, e.g. Meta's verify token)."""

    def __repr__(self) -> str:
        return f"Option({self.name!r}, {self.kind!r})"

    def but(self, *, default: object = None, required: bool = False) -> Option:
        """This option with another default, or required: what a preset shows its users."""
        return Option(
            self.name,
            self.kind,
            default=default,
            low=self.low,
            high=self.high,
            choices=self.choices,
            lower=self.lower,
            description=self.description,
            required=required,
        )

    def parse(self, key: str, value: object) -> object:
        """The validated value; raise `OptionError` naming `key` (the caller's spelling)."""
        if self.kind == "integer":
            if type(value) is not int or not self.low <= value <= self.high:
                raise OptionError(key, value, f"an integer from {self.low} to {self.high}")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise OptionError(key, value, f"one of {', '.join(self.choices)}")
            return value
        if self.kind == "prefix":
            if not isinstance(value, str):
                raise OptionError(key, value, "a string")
            return value
        if not isinstance(value, str) or not value.strip():
            raise OptionError(key, value, "a non-empty string")
        return value.lower() if self.lower else value


ACCEPTED = ("json", "json-200", "empty", "[accepted]")
"""How a stored delivery is answered: 202 with `{"delivery_id": ...}` (the default), the same
with 200 (senders that count only 200 as delivered: Lemon Squeezy, Coinbase Commerce, Postmark,
Dropbox), 200 with no body (Xero's "intent to receive"), or 200 with the text `[accepted]`
(Adyen)."""
ACCEPTED_OPTION = Option(
    "accepted",
    "choice",
    default="json",
    choices=ACCEPTED,
    description="the answer to a stored delivery: 202 or 200 JSON, 200 empty, 200 [accepted]",
)


def utf8_key(secret: str) -> bytes:
    """The HMAC key of most senders: the secret's UTF-8 bytes."""
    key = secret.encode()
    if not key:
        raise ValueError("signing secret is empty")
    return key


def hex_secret(entropy: bytes) -> str:
    """A development secret of most senders: hex text."""
    return entropy.hex()


class Handshake(Record):
    """A sender's handshake: the method it comes with (`GET` or `POST`) and how it is answered.

    `answer(headers, body, keys, now)` is the `Answer` when the request is the handshake, else
    `None` (a POST then goes on as a delivery; a GET is a 400). The receiver never stores it.
    """

    __slots__ = ("answer", "method", "name")

    def __init__(
        self, name: str, method: str, answer: Callable[[Headers, bytes, Keys, int], Answer | None]
    ) -> None:
        self.name: Final = name
        self.method: Final = method
        self.answer: Final = answer


class About(Record):
    """A sender's catalogue entry (`python -m ops senders`, docs/senders.md): its family, what
    it signs, its handshake, the page of its documentation that says so, and where the test
    vector that checks the preset came from."""

    __slots__ = ("docs", "family", "handshake", "signed", "vector")

    def __init__(
        self, family: str, signed: str, docs: str, vector: str, handshake: str = ""
    ) -> None:
        self.family: Final = family
        self.signed: Final = signed
        self.docs: Final = docs
        self.vector: Final = vector
        self.handshake: Final = handshake


class Scheme(Generic[Options]):
    """Everything specific to one signature scheme.

    - `options`: the schema of the provider options it accepts (besides `scheme`);
      `check(values, spell)` adds rules that span options (`spell` gives a key's spelling).
    - `configure(values)`: the validated values (defaults filled in) as the scheme's own
      typed options, built once per container.
    - `verify(options, headers, body, keys, now)`: `None` when authentic, else the 401 reason.
    - `describe(options, headers, body, body_sha256)`: delivery id, event type, kept headers
      and special answers of a verified request; raises `UnreadableDelivery` (400).
    - `signing_key(secret)`: the HMAC key of one configured secret (`ValueError` if none).
    - `check_secret(secret)`: what the program requires of a configured secret; by default that
      it yields a key. Raises `ValueError` saying what is expected.
    - `development_secret(entropy)`: a random secret shaped like the sender's, for local runs.
    - `automatic_dedupe(values)`: the dedupe mode when the scheme leaves it to its options.
    - `handshake(options)`: the sender's `Handshake`, if it has one with these options.
    - `accepted(options)`: how a stored delivery is answered (`ACCEPTED`), when the sender
      demands other than the default 202 with the delivery id (Xero, Adyen).
    - `about`: the sender's catalogue entry (`About`).
    """

    __slots__ = (
        "about",
        "accepted",
        "automatic_dedupe",
        "check",
        "check_secret",
        "configure",
        "describe",
        "development_secret",
        "handshake",
        "name",
        "options",
        "signing_key",
        "verify",
    )

    def __init__(
        self,
        name: str,
        configure: Callable[[Mapping[str, Any]], Options],
        verify: Callable[[Options, Headers, bytes, Keys, int], str | None],
        describe: Callable[[Options, Headers, bytes, str], Delivery],
        *,
        options: tuple[Option, ...] = (),
        check: Callable[[Mapping[str, Any], Callable[[str], str]], None] | None = None,
        signing_key: Callable[[str], bytes] = utf8_key,
        check_secret: Callable[[str], object] | None = None,
        development_secret: Callable[[bytes], str] = hex_secret,
        automatic_dedupe: Callable[[Mapping[str, Any]], str] | None = None,
        handshake: Callable[[Options], Handshake | None] | None = None,
        accepted: Callable[[Options], str] | None = None,
        about: About | None = None,
    ) -> None:
        self.name: Final = name
        self.configure: Final = configure
        self.verify: Final = verify
        self.describe: Final = describe
        self.options: Final = options
        self.check: Final = check
        self.signing_key: Final = signing_key
        self.check_secret: Final = check_secret
        self.development_secret: Final = development_secret
        self.automatic_dedupe: Final = automatic_dedupe
        """The dedupe mode when the `dedupe` option is left at a `None` default
        (`dedupe_option`)."""
        self.handshake: Final = handshake
        self.accepted: Final = accepted
        self.about: Final = about

    def __repr__(self) -> str:
        return f"Scheme({self.name!r})"

    def validate(
        self, given: Mapping[str, object], spell: Callable[[str], str] = str
    ) -> dict[str, object]:
        """Every option's value: the given ones validated, the rest at their defaults.

        `given` is keyed by `spell(option.name)` (identity for `PROVIDERS`, `config_key` for the
        stack config); an unknown key raises `OptionError` saying which keys this scheme knows.
        """
        known = {spell(option.name): option for option in self.options}
        for key, value in given.items():
            if key not in known:
                raise UnknownOption(key, value, f"known keys: {', '.join(['scheme', *known])}")
        for key, option in known.items():
            if option.required and key not in given:
                raise OptionError(key, None, f"required with scheme {self.name}")
        values = {
            option.name: option.parse(key, given[key]) if key in given else option.default
            for key, option in known.items()
        }
        if self.check is not None:
            self.check(values, spell)
        return values

    def explicit(self, values: Mapping[str, object]) -> dict[str, object]:
        """The values that differ from their defaults: what `PROVIDERS` needs to carry."""
        return {
            option.name: values[option.name]
            for option in self.options
            if values.get(option.name, option.default) != option.default
        }

    def validate_secret(self, secret: str) -> None:
        """Raise `ValueError` saying what is expected when `secret` is not in this format."""
        (self.check_secret or self.signing_key)(secret)

    def new_development_secret(self) -> str:
        """A fresh random development secret in this sender's format."""
        return self.development_secret(_random.token_bytes(24))


class Provider(Record, Generic[Options]):
    """One configured sender: its route name, scheme, secret and typed options."""

    __slots__ = (
        "accepted",
        "dedupe",
        "handshake",
        "name",
        "options",
        "scheme",
        "secret_arn",
        "values",
    )

    def __init__(
        self,
        name: str,
        scheme: Scheme[Options],
        secret_arn: str,
        options: Options,
        values: Mapping[str, object],
    ) -> None:
        self.name: Final = name
        self.scheme: Final = scheme
        self.secret_arn: Final = secret_arn
        self.options: Final = options
        self.values: Final = values
        """The validated option values the typed `options` were built from."""
        chosen = values.get("dedupe")
        automatic = scheme.automatic_dedupe
        self.dedupe: Final[str] = (
            chosen
            if isinstance(chosen, str)
            else automatic(values)
            if automatic is not None
            else DEDUPE_BY_DELIVERY_ID
        )
        """`deliveryId` or `content` (`dedupe_option`): what makes two deliveries one event;
        decided once per container, read on every request."""
        self.handshake: Final = scheme.handshake(options) if scheme.handshake else None
        """The sender's handshake, answered by the receiver and never stored."""
        self.accepted: Final[str] = scheme.accepted(options) if scheme.accepted else "json"
        """How a stored delivery is answered: one of `ACCEPTED`."""

    def verify(self, headers: Headers, body: bytes, keys: Keys, now: int) -> str | None:
        """`None` when the delivery is authentic, else the reason for the 401."""
        return self.scheme.verify(self.options, headers, body, keys, now)

    def describe(self, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
        """Delivery id, event type and kept headers of a verified request."""
        return self.scheme.describe(self.options, headers, body, body_sha256)

    def signing_key(self, secret: str) -> bytes:
        return self.scheme.signing_key(secret)


def dedupe_option(default: str | None) -> Option:
    """The scheme's `dedupe` option: what decides that two deliveries are one event.

    - `deliveryId`: the sender's delivery id is the event's key. Right when the signature covers
      the id (Stripe, Slack, Standard Webhooks, generic HMAC signing `{id}`): nobody without the
      secret can choose it.
    - `content`: the SHA-256 of the raw body is the key, and the delivery ids it arrived under
      are kept on the event. Right when the id is outside the signature (GitHub, Shopify,
      generic HMAC over the body alone): whoever holds one captured request can send it under
      any id, and with this key a replay under a fresh id is still stored once.

    Each scheme chooses its default; `None` means the scheme decides from its other options
    (`Scheme.automatic_dedupe`).
    """
    return Option(
        "dedupe",
        "choice",
        default=default,
        choices=(DEDUPE_BY_DELIVERY_ID, DEDUPE_BY_CONTENT),
        description="what makes two deliveries one event: the delivery id, or the body's bytes",
    )


DEFAULT_TOLERANCE_SECONDS = 300
MAX_TOLERANCE_SECONDS = 3600
TOLERANCE = Option(
    "tolerance_seconds",
    "integer",
    default=DEFAULT_TOLERANCE_SECONDS,
    low=1,
    high=MAX_TOLERANCE_SECONDS,
    description="how far the signed timestamp may be from now, in seconds",
)
"""The option of every scheme with a signed timestamp: how old a delivery may be."""


class Tolerance(Record):
    """The typed options of a scheme whose only option besides `dedupe` is `TOLERANCE`."""

    __slots__ = ("tolerance_seconds",)

    def __init__(self, tolerance_seconds: int) -> None:
        self.tolerance_seconds: Final = tolerance_seconds


def configure_tolerance(values: Mapping[str, Any]) -> Tolerance:
    return Tolerance(values["tolerance_seconds"])


TIMESTAMPED_OPTIONS = (TOLERANCE, dedupe_option(DEDUPE_BY_DELIVERY_ID))
"""The options of a scheme that signs a timestamp and its delivery id (Stripe, Slack, Standard
Webhooks): how old a delivery may be, and dedupe by the signed id unless told otherwise."""


def hex_key(secret: str) -> bytes:
    """The HMAC key of a sender whose secret is hex text (Adyen)."""
    try:
        key = bytes.fromhex(secret)
    except ValueError:
        raise ValueError("signing secret is not hex text") from None
    if not key:
        raise ValueError("signing secret is empty")
    return key


def preset(
    family: Scheme[Options],
    name: str,
    about: About,
    *,
    fixed: Mapping[str, object] | None = None,
    settable: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
    signing_key: Callable[[str], bytes] | None = None,
    check_secret: Callable[[str], object] | None = None,
    development_secret: Callable[[bytes], str] | None = None,
) -> Scheme[Options]:
    """A named sender as data: `family` with the option values `fixed`, of which the users of
    `name` may set only those in `settable` (the fixed value is then their default) and must
    give those in `required`. Secrets are the family's unless the sender's differ."""
    fixed = dict(fixed or {})
    by_name = {option.name: option for option in family.options}
    shown = (*settable, *required, *(("dedupe",) if "dedupe" in by_name else ()))
    options = tuple(
        by_name[key].but(default=fixed.get(key, by_name[key].default), required=key in required)
        for key in dict.fromkeys(shown)
    )
    own = {option.name for option in options}
    base = {key: value for key, value in fixed.items() if key not in own}

    def family_values(values: Mapping[str, Any]) -> dict[str, object]:
        given = {key: value for key, value in values.items() if value is not None}
        return family.validate({**base, **given})

    def check(values: Mapping[str, Any], spell: Callable[[str], str]) -> None:
        try:
            family_values(values)
        except OptionError as error:
            if error.key not in own:
                raise  # the preset itself is wrong: its tests say so
            raise OptionError(spell(error.key), error.value, error.allowed) from None

    def configure(values: Mapping[str, Any]) -> Options:
        return family.configure(family_values(values))

    def automatic_dedupe(values: Mapping[str, Any]) -> str:
        automatic = family.automatic_dedupe
        full = family_values(values)
        chosen = full.get("dedupe")
        if isinstance(chosen, str):
            return chosen
        return automatic(full) if automatic is not None else DEDUPE_BY_DELIVERY_ID

    return Scheme(
        name,
        configure,
        family.verify,
        family.describe,
        options=options,
        check=check,
        signing_key=signing_key or family.signing_key,
        check_secret=check_secret or (None if signing_key else family.check_secret),
        development_secret=development_secret or family.development_secret,
        automatic_dedupe=automatic_dedupe,
        handshake=family.handshake,
        accepted=family.accepted,
        about=about,
    )


def named_handshake(
    kind: str,
    verify: Callable[[Headers, bytes, Keys, int], str | None],
    verify_token: str | None = None,
) -> Handshake | None:
    """A family's handshake named by its `handshake` option (`none`: no handshake), built by
    `schemes/handshakes.py`, which only the senders that have one import; `verify` checks the
    request's signature or token, as the family does for a delivery."""
    if kind == "none":
        return None
    from . import handshakes

    return handshakes.build(kind, verify, verify_token)
