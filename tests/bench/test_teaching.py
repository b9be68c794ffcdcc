"""The teaching benchmark's numbers: when a curve reaches a target, and the examples ratio
against uniform that the closing tables quote."""

import pytest

from tests.benches import load_bench

teaching = load_bench("teaching")


def test_examples_to_reach_interpolates_between_iterations_and_is_none_when_never_reached():
    curve = [(0, 0.2), (1000, 0.5), (2000, 0.9)]
    assert teaching.examples_to_reach(curve, 0.7) == pytest.approx(1500.0)
    assert teaching.examples_to_reach(curve, 0.5) == 1000.0
    assert teaching.examples_to_reach(curve, 0.1) == 0.0  # already there before any data
    assert teaching.examples_to_reach(curve, 0.95) is None


def test_the_ratio_is_against_uniform_on_the_same_seed_and_null_when_a_seed_never_gets_there():
    uniform = {0: [(0, 0.2), (1000, 0.5), (2000, 0.8)], 1: [(0, 0.2), (1000, 0.4), (2000, 0.6)]}
    fast = {0: [(0, 0.2), (1000, 0.8), (2000, 0.9)], 1: [(0, 0.2), (1000, 0.7), (2000, 0.9)]}
    stuck = {0: [(0, 0.2), (1000, 0.9), (2000, 0.9)], 1: [(0, 0.2), (1000, 0.3), (2000, 0.5)]}
    out = teaching.summarise({"uniform": uniform, "fast": fast, "stuck": stuck})
    assert out["uniform"]["examples_to_match_uniform_ratio"] == 1.0
    # seed 0: 0.8 at 1000 of 2000 (0.5); seed 1: 0.6 reached 4/5 of the way to 1000 (0.4)
    assert out["fast"]["per_seed_ratio"] == [0.5, 0.4]
    assert out["fast"]["examples_to_match_uniform_ratio"] == pytest.approx(0.45)
    assert out["fast"]["final_test_mean"] == 0.9 and out["fast"]["final_test_std"] == 0.0
    assert out["stuck"]["per_seed_ratio"][1] is None
    assert out["stuck"]["examples_to_match_uniform_ratio"] is None


def test_the_table_gives_mean_std_and_ratio_per_policy_and_level_and_never_for_a_miss():
    uniform = {0: [(0, 0.2), (1000, 0.6)], 1: [(0, 0.2), (1000, 0.8)]}
    fast = {0: [(0, 0.2), (1000, 0.9)], 1: [(0, 0.2), (1000, 0.7)]}
    results = [{"task": "t", "level": level, "policy": policy, **stats}
               for level in ("skill-list", "skill-tree")
               for policy, stats in teaching.summarise({"uniform": uniform, "fast": fast}).items()]
    table = teaching.tables(results)
    assert "| policy | skill-list | skill-tree |" in table
    assert "| uniform | 0.700 ± 0.100 (1.00) | 0.700 ± 0.100 (1.00) |" in table
    assert "| fast | 0.800 ± 0.100 (never) | 0.800 ± 0.100 (never) |" in table  # seed 1 ends below 0.8
