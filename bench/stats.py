"""Summaries of repeated measurements: median, spread and ratios, standard library only."""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    """Repetitions of one measurement; `spread` is (max - min) / median, e.g. 0.04 for ±2 %."""

    median: float
    minimum: float
    maximum: float
    count: int

    @property
    def spread(self) -> float:
        return (self.maximum - self.minimum) / self.median if self.median else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "median": self.median,
            "min": self.minimum,
            "max": self.maximum,
            "spread": self.spread,
            "n": self.count,
        }


def summarize(values: Sequence[float]) -> Summary:
    """Median, minimum and maximum of at least one value."""
    if not values:
        raise ValueError("no values to summarize")
    return Summary(statistics.median(values), min(values), max(values), len(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ratio(value: float, comparator: float) -> float:
    """`value / comparator`; infinite when the comparator is zero and the value is not."""
    if comparator == 0:
        return 0.0 if value == 0 else math.inf
    return value / comparator


def paired_ratios(values: Sequence[float], comparators: Sequence[float]) -> Summary:
    """Ratios of repetitions taken side by side (`values[i] / comparators[i]`), summarized."""
    if len(values) != len(comparators):
        raise ValueError("paired samples must have the same length")
    return summarize([ratio(v, c) for v, c in zip(values, comparators, strict=True)])
