"""Charts are pure functions of query frames: tested on a generated history, no server."""

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from envs.history import History
from envs.history import browse, summaries
from ui import charts, comparison

RUN = "gen-0001"  # uniform
LLM_RUN = "gen-0009"  # the LLM teacher's runs are gen-0008 .. gen-0011
TREE_RUN = "gen-0013"  # Skill-Tree runs are gen-0012 .. gen-0015


@pytest.fixture(scope="module")
def history(generated_db):
    return History(generated_db)


def test_heatmap_is_skill_by_iteration_with_n_accuracy_and_change_on_hover(history):
    matrix = summaries.skill_matrix(history, RUN)
    fig = charts.skill_heatmap(matrix)
    heat = fig.data[0]
    assert isinstance(heat, go.Heatmap)
    assert len(heat.y) == 5 and list(heat.x) == [str(i) for i in range(6)]
    row = list(heat.y).index("add")
    cell = matrix[(matrix.skill == "add") & (matrix.iteration == 3)].iloc[0]
    assert heat.z[row][3] == pytest.approx(cell.accuracy)
    text = heat.text[row][3]
    assert f"n {cell.n}" in text and f"accuracy {100 * cell.accuracy:.1f}%" in text
    assert f"change {100 * cell.change:+.1f} pts" in text
    assert heat.text[row][0].endswith("change –")  # iteration 0 has no change


def test_forgetting_alerts_are_found_and_marked():
    matrix = pd.DataFrame({
        "iteration": [0, 1, 2, 3] * 2, "skill": ["a"] * 4 + ["b"] * 4, "n": 10,
        "accuracy": [0.2, 0.9, 0.7, 0.95, 0.1, 0.3, 0.5, 0.6],
        "change": [None, 0.7, -0.2, 0.25, None, 0.2, 0.2, 0.1],
        "best_before": [None, 0.2, 0.9, 0.9, None, 0.1, 0.3, 0.5],
        "alert": [False, False, True, False, False, False, False, False]})
    fig = charts.skill_heatmap(matrix)
    marks = [t for t in fig.data if t.name == "forgetting alert"]
    assert len(marks) == 1 and list(marks[0].x) == ["2"] and list(marks[0].y) == ["a"]
    curves = charts.skill_curves(matrix)
    assert [t.name for t in curves.data] == ["a", "b", "forgetting alert"]


def test_alerts_are_computed_with_the_recorded_rule_when_none_were_recorded(tmp_path):
    history = History(tmp_path / "h.duckdb")
    rows = [(0, 0.5), (1, 0.85), (2, 0.9), (3, 0.75), (4, 0.95), (5, 0.86)]
    with history.transaction() as con:
        con.executemany("INSERT INTO skill_scores VALUES ('r', ?, 'val', 'add', 20, 0, ?, NULL)",
                        [list(r) for r in rows])
        con.executemany("INSERT INTO iterations (run_id, iteration) VALUES ('r', ?)",
                        [[i] for i, _ in rows])
    matrix = summaries.skill_matrix(history, "r")
    assert list(matrix[matrix.alert].iteration) == [3]  # 0.9 -> 0.75; 0.95 -> 0.86 is < 0.1
    with history.transaction() as con:  # a run that recorded its alerts is shown those
        con.execute("INSERT INTO alerts VALUES ('r', 5, 'add', 0.95, 4, 0.86)")
    matrix = summaries.skill_matrix(history, "r")
    assert list(matrix[matrix.alert].iteration) == [5]


def test_long_runs_are_downsampled_but_keep_the_last_iteration_and_alerts(tmp_path):
    history = History(tmp_path / "h.duckdb")
    its = range(0, 301)
    acc = [min(0.95, i / 100) if i != 200 else 0.5 for i in its]  # a dip at 200
    with history.transaction() as con:
        con.executemany("INSERT INTO skill_scores VALUES ('r', ?, 'val', 's', 10, 0, ?, NULL)",
                        [[i, a] for i, a in zip(its, acc)])
        con.executemany("INSERT INTO iterations (run_id, iteration) VALUES ('r', ?)", [[i] for i in its])
    matrix = summaries.skill_matrix(history, "r")
    assert len(matrix) <= summaries.MAX_POINTS + 2
    assert {0, 300, 200} <= set(matrix.iteration)
    assert matrix[matrix.iteration == 200].alert.item()


def test_start_end_and_curves(history):
    frames = summaries.profile(history, RUN)
    bars = charts.start_end_bars(frames["test"])
    assert [t.name for t in bars.data] == ["start", "end"] and len(bars.data[0].x) == 5
    curves = charts.skill_curves(frames["matrix"])
    assert {t.name for t in curves.data} >= set(frames["test"].skill)


def test_curriculum_charts(history):
    frames = summaries.curriculum(history, RUN)
    bars = charts.allocation_bars(frames["allocations"])
    assert bars.layout.barmode == "stack" and len(bars.data) == 5
    assert sum(sum(t.y) for t in bars.data) == frames["allocations"]["count"].sum()
    qc = charts.qc_yield(frames["yield"])
    assert all(0 <= y <= 1 for y in qc.data[0].y)
    assert list(frames["plans"].iteration) == [4, 3, 2, 1, 0]
    assert "no subskills" in charts.skill_forest(frames["forest"]).layout.annotations[0].text


def test_skill_tree_forest_has_subskills_under_skills(history):
    forest = summaries.curriculum(history, TREE_RUN)["forest"]
    assert len(forest) == 15 and set(forest.skill) == set(browse.facets(history, TREE_RUN)["skills"])
    sun = charts.skill_forest(forest).data[0]
    assert isinstance(sun, go.Sunburst)
    k = list(sun.ids).index("add/add/0")
    assert sun.parents[k] == "add" and sun.values[k] == forest.allocation.iloc[0]
    assert sun.values[list(sun.ids).index("add")] == forest[forest.skill == "add"].allocation.sum()
    last = summaries.skill_matrix(history, TREE_RUN).query("skill == 'add'").change.iloc[-1]
    assert forest.reward.iloc[0] == pytest.approx(last)  # reward = the skill's last val change


def test_forest_falls_back_to_allocations_in_older_histories(tmp_path):
    history = History(tmp_path / "h.duckdb")
    with history.transaction() as con:
        con.execute("INSERT INTO runs (run_id, status, level) VALUES ('r', 'completed', 'skill-tree')")
        con.executemany("INSERT INTO allocations VALUES ('r', ?, 'add', ?, ?)",
                        [[1, "add/small", 10], [1, "add/big", 5], [2, "add/small", 4]])
    forest = summaries.curriculum(history, "r")["forest"]
    assert forest.set_index("subskill").allocation.to_dict() == {"add/big": 5, "add/small": 4}
    assert forest.set_index("subskill").generated.to_dict() == {"add/big": 5, "add/small": 14}


def test_compare_draws_a_band_for_seed_groups_only(history):
    ids = ["gen-0000", "gen-0001", "gen-0002", "gen-0004"]  # three uniform seeds + one weakest
    frames = summaries.compare(history, ids)
    labels = comparison.groups(frames["runs"])
    assert labels["gen-0000"] == labels["gen-0001"] == labels["gen-0002"] != labels["gen-0004"]
    fig = charts.compare_curves(comparison.curves_with_groups(frames["curves"], labels))
    bands = [t for t in fig.data if t.fill == "toself"]
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert len(bands) == 1 and len(lines) == 2
    assert "3 seeds" in lines[0].name


def test_config_diff_shows_only_differences(history):
    runs = summaries.compare(history, ["gen-0000", "gen-0005"])["runs"]  # seeds 0 and 1
    diff = comparison.config_diff(runs)
    assert set(diff.key) == {"seed", "student.options.lr", "teacher.policy"}
    assert list(diff.columns) == ["key", "gen-0000", "gen-0005"]
    assert diff.set_index("key").loc["teacher.policy"].tolist() == ["uniform", "weakest"]


def test_skill_table_is_skills_by_runs_with_a_mean_row(history):
    final = summaries.compare(history, ["gen-0000", "gen-0004"])["final"]
    table = comparison.skill_table(final)
    assert list(table.skill) == sorted(set(final.skill)) + ["MEAN"]
    got = table.loc[table.skill == "add", "gen-0000"].item()
    want = final[(final.skill == "add") & (final.run_id == "gen-0000")].accuracy.item()
    assert got == pytest.approx(100 * want, abs=0.05)


def test_cost_charts_and_no_llm(history):
    found = summaries.cost(history, LLM_RUN)
    assert found["llm"] and len(found["per_iteration"]) == 5
    fig = charts.cost_per_iteration(found["per_iteration"])
    assert sum(fig.data[0].y) == pytest.approx(found["per_skill"].cost_usd.sum())
    assert set(found["per_skill"].skill) == set(browse.facets(history, LLM_RUN)["skills"])
    assert not summaries.cost(history, RUN)["llm"]
    assert charts.cost_per_skill(pd.DataFrame()).layout.annotations[0].text == "no LLM"


def test_examples_filter_search_and_page(history):
    page, total = browse.examples(history, RUN, skill="add", verdict="kept")
    assert total == len(page) and set(page.skill) == {"add"} and page.kept.all()
    hits, n = browse.examples(history, RUN, search="add: 1")
    assert n > 0 and all("add: 1" in p for p in hits.prompt)
    all_rows, n_all = browse.examples(history, RUN)
    second, _ = browse.examples(history, RUN, page=1)
    assert n_all == 250 and len(all_rows) == browse.PAGE == 100
    assert (all_rows.iteration.iloc[-1], all_rows.seq.iloc[-1]) == (2, 49)  # 50 per iteration
    assert (second.iteration.iloc[0], second.seq.iloc[0]) == (3, 0)


def test_errors_queries_agree_with_scores(history):
    errs = browse.error_matrix(history, RUN)
    scores = summaries.skill_matrix(history, RUN)
    merged = errs.merge(scores, on=["iteration", "skill"])
    assert (merged.wrong == merged.n_x - merged.correct).all()
    wrong = browse.wrong_answers(history, RUN, 2, "add")
    item = browse.item_answers(history, RUN, wrong.item_id.iloc[0])
    assert not item[item.iteration == 2].correct.item() and len(item) == 6
    assert charts.error_heatmap(errs).data[0].z is not None


def test_every_chart_says_why_it_is_empty():
    blank = pd.DataFrame()
    for fig in (charts.skill_heatmap(blank), charts.skill_curves(blank), charts.start_end_bars(blank),
                charts.allocation_bars(blank), charts.qc_yield(blank), charts.skill_forest(blank),
                charts.error_heatmap(blank), charts.progress_curve(blank),
                charts.compare_curves(blank), charts.cost_per_iteration(blank)):
        assert isinstance(fig, go.Figure) and not fig.data and fig.layout.annotations
        json.loads(fig.to_json())  # serialisable for gr.Plot
