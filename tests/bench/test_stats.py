"""Stats helpers of the benchmark: medians, spreads, percentiles and ratios."""

import math

import pytest

from bench.stats import percentile, ratio, summarize
from bench.timing import calibrate, loop_ns, per_call_ns


def test_summary_is_median_and_range():
    summary = summarize([5.0, 1.0, 3.0, 100.0, 2.0])
    assert (summary.median, summary.minimum, summary.maximum, summary.count) == (3.0, 1, 100, 5)
    assert summary.spread == pytest.approx(99 / 3)


def test_summary_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        summarize([])


@pytest.mark.parametrize(("q", "expected"), [(0, 1.0), (50, 50.5), (99, 99.01), (100, 100.0)])
def test_percentile_interpolates_between_ranks(q, expected):
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_rejects_out_of_range_q():
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_ratio_handles_zero_comparator():
    assert ratio(3.0, 1.5) == 2.0
    assert ratio(0.0, 0.0) == 0.0
    assert math.isinf(ratio(1.0, 0.0))


def test_loop_counts_every_call_and_restores_gc():
    import gc

    calls = []
    assert gc.isenabled()
    assert loop_ns(lambda: calls.append(gc.isenabled()), 25) >= 0
    assert calls == [False] * 25
    assert gc.isenabled()


def test_calibrate_grows_the_loop_until_it_is_long_enough():
    calls = []
    number = calibrate(lambda: calls.append(1), min_loop_ns=1)
    assert number == 1
    # an unreachable minimum would loop forever; a tiny positive one stops at a 1-2-5 step
    number = calibrate(lambda: None, min_loop_ns=50_000)
    assert str(number).lstrip("125").strip("0") == ""


def test_per_call_summary_has_one_figure_per_repetition():
    summary = per_call_ns(lambda: None, repeat=3, min_loop_ns=10_000)
    assert summary.count == 3
    assert 0 < summary.minimum <= summary.median <= summary.maximum
