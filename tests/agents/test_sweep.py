"""Sweeps: specs and their one-line errors, cells, local workers, rerun and resume, merging."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from agents.config import RunConfig
from agents.runner import start_run
from agents.sweep import LocalExecutor, load_spec, parse_spec, run_configs, run_sweep
from agents.sweep import store
from agents.sweep.spec import from_configs
from agents.sweep.worker import CellTask, export, shard_path
from envs.history import History
from envs.history.queries import row_counts
from students.errors import ConfigError
from ui.cli import main

BASE = {"iterations": 2, "task": {"options": {"skills": ["max", "len"], "eval_size": 8}},
        "teacher": {"budget": 40},
        "student": {"options": {"d_model": 32, "layers": 1, "heads": 2, "epochs": 1}}}
SPEC = {"name": "t", "base": BASE, "axes": {"teacher.policy": ["uniform", "weakest"], "seed": [0]}}


def _toml(path: Path) -> Path:
    path.write_text("""
name = "t"
[base]
iterations = 2
[base.task]
options = { skills = ["max", "len"], eval_size = 8 }
[base.teacher]
budget = 40
[base.student]
options = { d_model = 32, layers = 1, heads = 2, epochs = 1 }
[axes]
"teacher.policy" = ["uniform", "weakest"]
seed = [0]
""")
    return path


def test_axes_are_crossed_runs_added_and_ids_stable(tmp_path):
    spec = parse_spec({**SPEC, "axes": {"teacher.policy": ["uniform", "weakest", "alp"],
                                        "seed": [0, 1, 2, 3]},
                       "runs": [{"teacher.policy": "sec", "student.options.d_model": 16},
                                {"teacher.policy": "uniform", "seed": 0}]})  # a duplicate
    cells = spec.cells()
    assert len(cells) == 13
    assert [c.axes for c in cells[:2]] == [{"teacher.policy": "uniform", "seed": 0},
                                          {"teacher.policy": "uniform", "seed": 1}]
    assert cells[-1].config.student.options["d_model"] == 16
    assert cells[-1].config.student.options["layers"] == 1  # the base's options stay
    assert spec.sweep_id == parse_spec(json.loads(json.dumps(spec.as_json()))).sweep_id
    yaml_path = tmp_path / "s.yaml"
    yaml_path.write_text("name: t\nbase:\n  iterations: 2\naxes:\n  seed: [0, 1]\n")
    assert [c.config.seed for c in load_spec(yaml_path).cells()] == [0, 1]


@pytest.mark.parametrize("spec, message", [
    ({"axes": {"teacher.polcy": ["a"]}}, "'axes.teacher.polcy': 'polcy' is not a run config key"),
    ({"axes": {"seed": []}}, "'axes.seed' must be a non-empty list"),
    ({"axes": {"seed": ["x"]}}, "config key 'seed' = 'x': expected an integer"),
    ({"axes": {"teacher.budget": [0]}}, "'teacher.budget' = 0"),
    ({"axes": {"seed.x": [1]}}, "'axes.seed.x': nothing lies below"),
    ({"base": {"iterations": True}}, "'iterations'"),
    ({"base": []}, "key 'base' must be a table"),
    ({"runs": [{"teacher.level": "nowhere"}]}, "runs[0]"),
    ({"sweeps": 1}, "unknown key 'sweeps'"),
    ({"name": "a b"}, "key 'name'"),
])
def test_a_bad_spec_is_one_line_naming_the_key(spec, message):
    with pytest.raises(ConfigError) as err:
        parse_spec(spec)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("text, suffix, message", [
    ("[axes\n", ".toml", "not valid TOML"),
    ("axes: [1, 2\n", ".yaml", "not valid YAML"),
    ("{}", ".ini", "expected a .toml, .yaml or .yml file"),
    ("\xff\xfe", ".toml", "not UTF-8"),
])
def test_a_bad_spec_file_exits_2_with_one_line_and_records_nothing(tmp_path, capsys, text,
                                                                   suffix, message):
    path = tmp_path / f"s{suffix}"
    path.write_bytes(text.encode("latin-1"))
    db = tmp_path / "h.duckdb"
    assert main(["sweep", str(path), "--db", str(db), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not db.exists()


@pytest.mark.slow
def test_local_sweep_merges_every_cell_and_a_rerun_skips_them(tmp_path, capsys):
    spec, db = _toml(tmp_path / "s.toml"), tmp_path / "h.duckdb"
    assert main(["sweep", str(spec), "--db", str(db), "--quiet", "--workers", "2"]) == 0
    out = capsys.readouterr().out
    history = History(db)
    sweep_id = load_spec(spec).sweep_id
    cells = store.cells_of(history, sweep_id)
    assert list(cells.status) == ["completed"] * 2 and list(cells.attempts) == [1, 1]
    assert f"sweep {sweep_id}: completed, 2 cells" in out
    runs = history.frame("SELECT run_id, policy, status, config FROM runs ORDER BY policy")
    assert list(runs.policy) == ["uniform", "weakest"] and set(runs.status) == {"completed"}
    assert set(runs.run_id) == set(cells.run_id)
    counts = {r: row_counts(history, r) for r in runs.run_id}
    assert all(c["iterations"] == 3 and c["answers"] == 3 * 2 * 2 * 8 for c in counts.values())
    assert not list((tmp_path / "h.shards" / sweep_id).glob("*.duckdb"))  # merged, removed
    # the same command again: nothing runs, nothing doubles
    assert main(["sweep", str(spec), "--db", str(db), "--quiet"]) == 0
    assert "2 cells, 2 done before" in capsys.readouterr().out
    assert {r: row_counts(history, r) for r in runs.run_id} == counts
    assert list(store.cells_of(history, sweep_id).attempts) == [1, 1]
    # and the runs are what `curriculab run` makes of the same config
    config = RunConfig.from_dict(json.loads(runs.config.iloc[0]))
    alone = History(tmp_path / "alone.duckdb")
    solo = start_run(config, alone, progress=False)
    sweep_tests = history.rows("SELECT iteration, test_mean FROM iterations WHERE run_id = ?"
                               " ORDER BY iteration", [runs.run_id.iloc[0]])
    assert alone.rows("SELECT iteration, test_mean FROM iterations WHERE run_id = ?"
                      " ORDER BY iteration", [solo.run_id]) == sweep_tests


@pytest.mark.slow
def test_a_stopped_cell_resumes_after_its_last_iteration_and_a_failed_one_keeps_its_error(tmp_path):
    """A cell whose worker stopped after iteration 1 resumes there (its iteration-1 rows are
    not made again); a failing cell is retried on the next invocation with its error kept."""
    configs = [RunConfig.from_dict({**BASE, "iterations": 3}),
               RunConfig.from_dict({**BASE, "task": {"id": "no-such-task"}})]
    history, shards = History(tmp_path / "h.duckdb"), str(tmp_path / "shards")
    spec = from_configs(configs, "r")
    cells = store.register(history, spec, spec.cells(), "local:1")
    first = cells.iloc[0]
    task = CellTask(spec.sweep_id, first.cell, first.run_id, json.loads(first.config), shards)
    stop = threading.Event()
    seen = []

    def steer(plan, obs):  # called during iteration 2's plan: stop before iteration 3
        seen.append(obs)
        if len(seen) == 2:
            stop.set()
        return plan

    shard = History(shard_path(task))
    config = replace(RunConfig.from_dict(task.config),
                     checkpoint_dir=str(shard_path(task).parent / "checkpoints"))
    start_run(config, shard, progress=False, run_id=task.run_id, stop=stop, steer=steer)
    before = shard.rows("SELECT iteration, started_at FROM iterations ORDER BY iteration")
    assert [i for i, _ in before] == [0, 1, 2]
    result = run_configs(configs, history, LocalExecutor(1), name="r", shards=shards)
    assert [c.status for c in result.cells] == ["completed", "failed"]
    assert "no-such-task" in result.cells[1].error
    cells = store.cells_of(history, spec.sweep_id)
    assert cells.resumed_after.iloc[0] == 2
    after = history.rows("SELECT iteration, started_at FROM iterations WHERE run_id = ?"
                         " ORDER BY iteration", [first.run_id])
    assert after[:3] == before and [i for i, _ in after] == [0, 1, 2, 3]
    again = run_configs(configs, history, LocalExecutor(1), name="r", shards=shards)
    assert again.skipped == 1 and again.cells[1].attempts == 2
    assert "no-such-task" in again.cells[1].error


def test_merging_a_run_twice_keeps_one_copy(tmp_path):
    """Rows arrive as Arrow; a merge replaces whatever the history held for the run."""
    shard = History(tmp_path / "shard.duckdb")
    with shard.transaction() as con:
        con.execute("INSERT INTO runs (run_id, status) VALUES ('r1', 'completed')")
        con.execute("INSERT INTO iterations (run_id, iteration, test_mean) VALUES"
                    " ('r1', 0, 0.1), ('r1', 1, 0.2)")
    tables = export(shard, "r1")
    assert set(tables) == {"runs", "iterations"}
    history = History(tmp_path / "h.duckdb")
    spec = parse_spec({"base": BASE})
    cell = store.register(history, spec, spec.cells(), "local:1").iloc[0]
    for _ in range(2):
        store.merge(history, spec.sweep_id, cell.cell, "r1", tables, "completed")
    assert history.rows("SELECT count(*) FROM iterations") == [(2,)]
    assert history.rows("SELECT count(*) FROM runs") == [(1,)]
    assert store.cells_of(history, spec.sweep_id).status.tolist() == ["completed"]
