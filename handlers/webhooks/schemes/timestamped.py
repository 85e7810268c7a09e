"""The option every scheme with a signed timestamp shares: how old a delivery may be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .. import Record
from .base import Option

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


class Tolerance(Record):
    __slots__ = ("tolerance_seconds",)

    def __init__(self, tolerance_seconds: int) -> None:
        self.tolerance_seconds: Final = tolerance_seconds


def configure(values: Mapping[str, Any]) -> Tolerance:
    return Tolerance(values["tolerance_seconds"])
