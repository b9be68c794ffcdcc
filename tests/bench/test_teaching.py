"""The teaching benchmark's numbers: examples to a threshold (censored runs count their total),
the ratios against uniform and oracle per seed with intervals, the table, and one function
that runs a list of configs and reuses the completed ones."""

import json

import pytest

from agents.config import RunConfig, StudentConfig, TaskConfig, TeacherConfig
from tests.benches import load_bench

teaching = load_bench("teaching")


def test_examples_needed_interpolate_and_a_run_that_never_gets_there_counts_its_total():
    curve = [(0, 0.2), (1000, 0.5), (2000, 0.9)]
    assert teaching.needed(curve, 0.7) == (pytest.approx(1500.0), True)
    assert teaching.needed(curve, 0.95) == (2000.0, False)


def test_ratios_are_per_seed_against_the_baseline_with_an_interval():
    uniform = {0: [(0, 0.0), (1000, 0.5), (2000, 0.8)], 1: [(0, 0.0), (1000, 0.4), (2000, 0.8)]}
    fast = {0: [(0, 0.0), (1000, 0.8), (2000, 0.9)], 1: [(0, 0.0), (1000, 0.6), (2000, 0.8)]}
    out = teaching.summarise({"uniform": uniform, "fast": fast, "oracle": fast}, 0.8, 2000)
    assert out["uniform"]["examples_to_threshold_ratio"]["mean"] == 1.0
    # seed 0: 1000 / 2000; seed 1: 2000 / 2000
    ratio = out["fast"]["examples_to_threshold_ratio"]
    assert ratio["mean"] == 0.75 and ratio["ci95"] == [0.5, 1.0] and ratio["n"] == 2
    assert out["uniform"]["vs_oracle"]["mean"] == 1.5 and out["fast"]["vs_oracle"]["mean"] == 1.0
    assert out["fast"]["aulc_ratio"]["mean"] > 1.0 and out["fast"]["reached"] == 2
    table = teaching.table({"p": {"students": {"sim": {"levels": {"skill-list": {
        "policies": out}}}}}}, "sim", "skill-list")
    assert "| fast | 0.75 [0.50, 1.00] |" in table


def test_run_configs_runs_the_simulated_student_and_reuses_completed_runs(tmp_path):
    config = RunConfig(task=TaskConfig(id="distractors-v1"), student=StudentConfig("sim"),
                       teacher=TeacherConfig(policy="oracle", budget=240), iterations=2, seed=1)
    curve, = teaching.run_configs([config], tmp_path)
    assert len(curve) == 3 and 0 == curve[0][0] < curve[1][0] <= 240 < curve[2][0] <= 480
    assert curve[-1][1] > curve[0][1]  # the oracle teaches the learnable skills
    cached = tmp_path / "curves" / f"{teaching.digest(config)}.json"
    cached.write_text(json.dumps([[0, 0.5]]))  # a completed run is read back, not run again
    assert teaching.run_configs([config], tmp_path) == [[(0, 0.5)]]
