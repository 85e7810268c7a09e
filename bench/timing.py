"""A timeit-style loop: calibrated loop count, garbage collector off, `perf_counter_ns`.

Like `timeit`, each repetition runs the callable many times in a tight loop with the garbage
collector disabled, so one figure is the mean of one loop and the repetitions show the noise.
"""

import gc
import itertools
from collections.abc import Callable
from time import perf_counter_ns

from .stats import Summary, summarize

MIN_LOOP_NS = 200_000_000  # each repetition runs at least 0.2 s, as `timeit.Timer.autorange`
REPEAT = 7


def loop_ns(fn: Callable[[], object], number: int) -> int:
    """Nanoseconds for `number` calls of `fn`, with the garbage collector off during the loop."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = perf_counter_ns()
        for _ in itertools.repeat(None, number):
            fn()
        return perf_counter_ns() - start
    finally:
        if was_enabled:
            gc.enable()


def calibrate(fn: Callable[[], object], min_loop_ns: int = MIN_LOOP_NS) -> int:
    """The smallest loop count from 1, 2, 5, 10, 20, 50, ... whose loop takes `min_loop_ns`."""
    for exponent in itertools.count():
        for factor in (1, 2, 5):
            number = factor * 10**exponent
            if loop_ns(fn, number) >= min_loop_ns:
                return number
    raise AssertionError("unreachable")


def interleaved_ns(
    fns: dict[str, Callable[[], object]], repeat: int = REPEAT, min_loop_ns: int = MIN_LOOP_NS
) -> dict[str, list[float]]:
    """Nanoseconds per call of each callable, repetitions taken in turn.

    Alternating the callables within each repetition exposes them to the same background load,
    so the ratio of one to another, taken repetition by repetition, is steadier than either time.
    """
    numbers = {name: calibrate(fn, min_loop_ns) for name, fn in fns.items()}
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            samples[name].append(loop_ns(fn, numbers[name]) / numbers[name])
    return samples


def per_call_ns(
    fn: Callable[[], object], repeat: int = REPEAT, min_loop_ns: int = MIN_LOOP_NS
) -> Summary:
    """Nanoseconds per call: `repeat` calibrated loops, each reduced to its mean per call."""
    number = calibrate(fn, min_loop_ns)
    return summarize([loop_ns(fn, number) / number for _ in range(repeat)])
