"""Webhook pipeline logic shared by the ingest, process and publish Lambda functions.

Standard library only (boto3 is imported by the thin handler modules), so every module here is
a plain function over plain data that tests can call without AWS.

Every handler module starts with `from __future__ import annotations`: annotations left
unevaluated save about 0.4 ms of the ingest function's import (measured side by side with and
without, as `make bench`, "Cold start" times it).
"""

from __future__ import annotations


# The handlers' typed values (settings, providers, requests, envelopes) are `Record`s, not
# dataclasses or NamedTuples: defining a dataclass costs about 1.5 ms of cold start, a NamedTuple
# about 0.17 ms, a slotted class about 0.015 ms; the seven NamedTuples of the ingest path cost
# about 1 ms (measured side by side, as `make bench`, "Cold start" times it). `Record` lives here
# because every handler imports this package anyway, and a module of its own costs about 0.15 ms.
class Record:
    """A typed value: its fields are its `__slots__`, each set once in `__init__` (declared
    `Final`, so mypy refuses a reassignment). Two records are equal when their types and their
    fields are; like a tuple, a record is hashable when its fields are (one holding a dict, such
    as `Envelope`, is not)."""

    __slots__: tuple[str, ...] = ()

    def fields(self) -> tuple[object, ...]:
        """The field values, in `__slots__` order."""
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.fields() == self.fields()

    def __hash__(self) -> int:
        return hash(self.fields())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({shown})"
