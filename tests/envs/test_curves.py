"""Curve metrics and bootstrap intervals over seeds."""

import numpy as np
import pytest

from envs.curves import aulc, band, estimate, examples_to_reach, paired, value_at


def test_a_curve_is_linear_between_points_and_flat_beyond_them():
    curve = [(0, 0.2), (100, 0.6)]
    assert value_at(curve, 50) == pytest.approx(0.4)
    assert value_at(curve, 500) == 0.6 and value_at(curve, -5) == 0.2


def test_examples_to_reach_interpolates_and_is_none_when_never_reached():
    curve = [(0, 0.2), (1000, 0.5), (2000, 0.9)]
    assert examples_to_reach(curve, 0.7) == pytest.approx(1500.0)
    assert examples_to_reach(curve, 0.1) == 0.0
    assert examples_to_reach(curve, 0.95) is None


def test_aulc_is_the_mean_accuracy_over_the_range_and_extends_the_last_point():
    assert aulc([(0, 0.0), (100, 1.0)], 100) == pytest.approx(0.5)
    assert aulc([(0, 0.0), (100, 1.0)], 200) == pytest.approx(0.75)
    assert aulc([(0, 0.4)], 10) == pytest.approx(0.4)


def test_the_interval_matches_a_reference_bootstrap_and_narrows_with_more_seeds():
    values = [0.5, 0.7, 0.6, 0.9, 0.4]
    got = estimate(values, resamples=4000, seed=3)
    rng = np.random.default_rng(3)
    ref = np.array(values)[rng.integers(0, 5, size=(4000, 5))].mean(axis=1)
    assert (got.lo, got.hi) == pytest.approx(tuple(np.percentile(ref, [2.5, 97.5])))
    assert got.lo < got.mean < got.hi and got.n == 5
    wide, narrow = estimate([0.0, 1.0] * 2), estimate([0.0, 1.0] * 50)
    assert narrow.hi - narrow.lo < wide.hi - wide.lo


def test_a_paired_difference_uses_only_shared_seeds():
    d = paired({0: 0.9, 1: 0.8, 2: 0.7}, {0: 0.5, 1: 0.5, 5: 0.0})
    assert d.n == 2 and d.mean == pytest.approx(0.35)
    with pytest.raises(ValueError):
        paired({0: 1.0}, {1: 1.0})


def test_a_band_averages_curves_read_on_one_grid():
    b = band([[(0, 0.0), (10, 1.0)], [(0, 0.0), (20, 1.0)]], grid=[0, 10, 20])
    assert b.mean == pytest.approx((0.0, 0.75, 1.0)) and b.n == 2
    assert all(lo <= m <= hi for lo, m, hi in zip(b.lo, b.mean, b.hi))


def test_one_runs_curriculum_metrics_and_its_ratios_against_baselines():
    from envs.curves import curriculum
    mine = [(0, 0.2), (100, 0.6), (200, 0.8)]
    base = [(0, 0.2), (100, 0.4), (200, 0.6)]
    out = curriculum(mine, 0.6, 200, {"uniform": base})
    assert out["examples_to_threshold"] == pytest.approx(100.0) and out["final_accuracy"] == 0.8
    assert out["aulc"] == pytest.approx((0.4 * 100 + 0.7 * 100) / 200)
    against = out["against"]["uniform"]
    assert against["examples_to_threshold_ratio"] == pytest.approx(0.5)
    assert against["final_accuracy_ratio"] == pytest.approx(0.8 / 0.6)
    assert curriculum(base, 0.9, 200, {"u": mine})["against"]["u"]["examples_to_threshold_ratio"] is None
