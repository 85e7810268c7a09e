"""The option every scheme with a signed timestamp shares: how old a delivery may be."""

from collections.abc import Mapping
from typing import Any, NamedTuple

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


class Tolerance(NamedTuple):
    tolerance_seconds: int


def configure(values: Mapping[str, Any]) -> Tolerance:
    return Tolerance(values["tolerance_seconds"])
