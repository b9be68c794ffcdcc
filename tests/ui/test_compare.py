"""Compare: groups are whole configs less the seed; intervals match a reference bootstrap;
paired differences on shared seeds; the command line's formats and the app's view."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import numpy as np
import pytest

from agents.sweep import parse_spec, store
from envs.history import History
from envs.history.comparing import comparison_frames
from ui import comparison
from ui.cli import main
from ui.handlers import Deps
from ui.launcher import Launcher
from ui.views import compare as view

POLICIES, BUDGETS, SEEDS = ("uniform", "weakest"), (100, 200), (0, 1, 2)
# Two more keys vary with the budget, so that four keys differ and the policy sorts last:
# a label made of the first three differing keys would merge the two policies.
WITH_BUDGET = {100: {"env.regime": "continue", "iterations": 3},
               200: {"env.regime": "retrain", "iterations": 4}}


def _spec():
    runs = [{"teacher.policy": p, "teacher.budget": b, "seed": s, **WITH_BUDGET[b]}
            for p in POLICIES for b in BUDGETS for s in SEEDS]
    return parse_spec({"name": "grid", "runs": runs})


def _accuracy(policy: str, budget: int, seed: int, t: int) -> float:
    gain = (0.08 if policy == "weakest" else 0.05) * (budget / 100) ** 0.5
    return min(1.0, 0.2 + gain * t + 0.013 * ((seed * 7 + t * 3) % 5))


@pytest.fixture
def grid(tmp_path):
    """A history holding the 12 runs of a 2 policies x 2 budgets x 3 seeds sweep."""
    history = History(tmp_path / "h.duckdb")
    spec = _spec()
    cells = store.register(history, spec, spec.cells(), "local:2")
    with history.transaction() as con:
        for cell, c in zip(spec.cells(), cells.itertuples()):
            cfg = cell.config
            policy, budget, seed = cfg.teacher.policy, cfg.teacher.budget, cfg.seed
            con.execute("INSERT INTO runs (run_id, status, policy, seed, config) VALUES"
                        " (?, 'completed', ?, ?, ?)", [c.run_id, policy, seed, c.config])
            for t in range(cfg.iterations + 1):
                acc = _accuracy(policy, budget, seed, t)
                con.execute("INSERT INTO iterations (run_id, iteration, examples_used, t_total,"
                            " t_train, test_mean, val_mean) VALUES (?, ?, ?, 2.0, 1.5, ?, ?)",
                            [c.run_id, t, t * budget, acc, acc - 0.01])
                for skill, shift in (("add", 0.05), ("mul", -0.05)):
                    for split in ("val", "test"):
                        con.execute("INSERT INTO skill_scores (run_id, iteration, split, skill,"
                                    " accuracy) VALUES (?, ?, ?, ?, ?)",
                                    [c.run_id, t, split, skill, acc + shift])
        con.execute("UPDATE sweep_cells SET status = 'completed'")
    return history, spec


def _reference(values):
    """The percentile bootstrap of the mean, written out here: 10,000 resamples, seed 0."""
    arr = np.asarray(values, dtype=float)
    picks = np.random.default_rng(0).integers(0, len(arr), size=(10_000, len(arr)))
    lo, hi = np.percentile(arr[picks].mean(axis=1), [2.5, 97.5])
    return arr.mean(), lo, hi


def test_four_configs_give_four_groups_of_three_seeds_with_reference_intervals(grid, capsys):
    history, spec = grid
    assert main(["compare", "grid", "--db", str(history.path), "--format", "json",
                 "--threshold", "0.4"]) == 0
    report = json.loads(capsys.readouterr().out)
    groups = report["groups"]
    assert len(groups) == 4 and all(len(g["runs"]) == 3 for g in groups)
    assert {tuple(sorted(r["seed"] for r in g["runs"])) for g in groups} == {(0, 1, 2)}
    assert sorted((g["config"]["teacher.policy"], g["config"]["teacher.budget"]) for g in groups) \
        == [(p, b) for p in POLICIES for b in BUDGETS]
    labels = [g["label"] for g in groups]
    assert len(set(labels)) == 4 and all("policy=" in label for label in labels)
    runs = comparison_frames(history, [r["run_id"] for g in groups for r in g["runs"]])["runs"]
    by_label = comparison.groups(runs)  # what the curves of the app's charts are grouped by
    assert sorted(Counter(by_label.values()).values()) == [3, 3, 3, 3]
    for g, s in zip(groups, report["summary"]):
        policy, budget = g["config"]["teacher.policy"], g["config"]["teacher.budget"]
        iterations = g["config"]["iterations"]
        finals = [_accuracy(policy, budget, seed, iterations) for seed in SEEDS]
        mean, lo, hi = _reference(finals)
        assert s["final"]["mean"] == pytest.approx(mean)
        assert s["final"]["ci95"] == pytest.approx([lo, hi])
        assert s["final"]["n"] == 3
        # normalised AULC over the range every run covers (to 300 examples: the shortest run)
        xs = np.linspace(0, 300, 3001)
        aulcs = [np.trapezoid(np.interp(xs, [t * budget for t in range(iterations + 1)],
                                        [_accuracy(policy, budget, seed, t)
                                         for t in range(iterations + 1)]), xs) / 300
                 for seed in SEEDS]
        assert s["aulc"]["mean"] == pytest.approx(np.mean(aulcs), abs=1e-6)
        assert s["aulc"]["ci95"] == pytest.approx(list(_reference(aulcs)[1:]), abs=1e-6)
    base = report["baseline"]
    base_runs = next(g for g in groups if g["group"] == base)
    for p in report["paired"]:
        g = next(g for g in groups if g["group"] == p["group"])
        diffs = [_accuracy(g["config"]["teacher.policy"], g["config"]["teacher.budget"], s,
                           g["config"]["iterations"])
                 - _accuracy(base_runs["config"]["teacher.policy"],
                             base_runs["config"]["teacher.budget"], s,
                             base_runs["config"]["iterations"]) for s in SEEDS]
        mean, lo, hi = _reference(diffs)
        assert p["shared_seeds"] == 3 and p["final"]["n"] == 3
        assert p["final"]["mean"] == pytest.approx(mean)
        assert p["final"]["ci95"] == pytest.approx([lo, hi])


def test_text_markdown_csv_and_the_per_skill_table(grid, capsys, tmp_path):
    history, _ = grid
    db = str(history.path)
    assert main(["compare", "grid", "--db", db, "--baseline", "policy=uniform, budget=100"]) == 2
    assert "baseline" in capsys.readouterr().err
    assert main(["compare", "grid", "--db", db, "--x", "iteration", "--metric", "val:add"]) == 0
    text = capsys.readouterr().out
    assert "val accuracy of add" in text and "AULC (iteration)" in text
    assert "paired against G1 on shared seeds" in text
    out = tmp_path / "c.md"
    assert main(["compare", "grid", "--db", db, "--format", "markdown", "--out", str(out)]) == 0
    assert out.read_text().count("| G") >= 8 and capsys.readouterr().out == f"wrote {out}\n"
    assert main(["compare", "grid", "--db", db, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    skills = [r for r in rows if r["section"] == "skill"]
    assert {r["skill"] for r in skills} == {"add", "mul"} and len(skills) == 8
    assert {r["section"] for r in rows} == {"group", "paired vs G1", "skill"}
    assert main(["compare", "nothing-like-this", "--db", db]) == 2
    assert "neither a run nor a sweep" in capsys.readouterr().err
    assert main(["compare", "grid", "--db", db, "--metric", "test:nope"]) == 2
    assert "no skill 'nope'" in capsys.readouterr().err


def test_the_view_shows_the_same_groups_and_marks_the_better_group_per_skill(grid):
    history, _ = grid
    deps = Deps(history, Launcher(history))
    summary, paired, skills, overlay, phases, files, baseline, metric = view.compare_groups(
        deps, None, "grid", "seconds", "test", None, None)
    assert list(summary.n) == [3, 3, 3, 3] and len(paired) == 3
    best = skills.set_index("skill")["best"]
    weakest_200 = summary.group[3]  # the groups appear in the spec's order: weakest x 200 last
    assert set(best) == {weakest_200}
    assert len(overlay.data) == 4 * 2 and [t.name for t in phases.data][-1] == "train"
    assert [f.rsplit(".", 1)[1] for f in files] == ["csv", "md", "json"]
    assert baseline["choices"] == ["G1", "G2", "G3", "G4"] and "test:add" in metric["choices"]
    figure, table, diff, path = view.compare_runs(deps, None, "grid", "iteration", "test")
    bands = [t for t in figure.data if t.fill == "toself"]
    assert len(bands) == 4 and all("3 seeds" in t.name for t in figure.data if t.mode)
