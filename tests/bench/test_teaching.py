"""The teaching benchmark's numbers: examples to a threshold (censored runs count their total),
the ratios against uniform and oracle per seed with intervals, the table, and one function
that runs a list of configs as a sweep into one history and reuses the completed ones."""

from dataclasses import replace

import pytest

from agents.config import RunConfig, StudentConfig, TaskConfig, TeacherConfig
from agents.sweep import LocalExecutor
from envs.history import History
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


@pytest.mark.slow
def test_run_configs_records_each_run_in_one_history_and_reuses_completed_runs(tmp_path):
    config = RunConfig(task=TaskConfig(id="distractors-v1"), student=StudentConfig("sim"),
                       teacher=TeacherConfig(policy="oracle", budget=240), iterations=2, seed=1)
    other = replace(config, seed=2)
    history = History(tmp_path / "teaching.duckdb")
    kept = teaching.Kept(lambda: LocalExecutor(1))
    curve, second = teaching.run_configs([config, other], history, kept, shards=str(tmp_path / "s"))
    assert len(curve) == 3 and 0 == curve[0][0] < curve[1][0] <= 240 < curve[2][0] <= 480
    assert curve[-1][1] > curve[0][1]  # the oracle teaches the learnable skills
    assert len(second) == 3 and second != curve
    run_id, = history.rows("SELECT run_id FROM sweep_cells c JOIN runs USING (run_id)"
                           " WHERE c.status = 'completed' AND runs.seed = 1")[0]
    # a completed run is read back from the history, not run again, even when asked for
    # within another list of configs (another sweep's worth)
    with history.transaction() as con:
        con.execute("UPDATE iterations SET test_mean = 0.5 WHERE run_id = ?", [run_id])
    again, = teaching.run_configs([config], history)
    assert again == [(x, 0.5) for x, _ in curve]
    assert history.rows("SELECT count(*), count(DISTINCT sweep_id) FROM sweep_cells") == [(2, 1)]
    # the next sweep (another student's, in the benchmark) runs on the same worker process
    teaching.run_configs([replace(config, seed=3, iterations=1)], history, kept, name="next",
                         shards=str(tmp_path / "s"))
    kept.shutdown()
    workers = history.rows("SELECT count(DISTINCT sweep_id), count(DISTINCT worker) FROM sweep_cells")
    assert workers == [(2, 1)]


def test_a_cluster_address_with_workers_is_refused_in_one_line(capsys):
    with pytest.raises(SystemExit) as exit:
        teaching.parse_args(["--ray", "auto", "--workers", "2"])
    assert exit.value.code == 2 and "--workers applies to local workers" in capsys.readouterr().err
