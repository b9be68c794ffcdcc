"""The app driven through its API with gradio_client: every view's event, errors as one-line
messages, and real runs started, steered, stopped and resumed from the app."""

import base64
import csv
import json
import time

import numpy as np
import plotly.graph_objects as go
import pytest
from gradio_client import Client

from agents.config import RunConfig
from envs.history import History
from envs.history.clock import utcnow
from ui.app import build_app
from ui.launcher import Launcher

from .conftest import TINY_STUDENT_OPTIONS, TINY_TASK_OPTIONS, free_port, html_rows, html_runs

LLM_RUN, RUN, TREE_RUN = "gen-0009", "gen-0001", "gen-0013"


@pytest.fixture(scope="module")
def served(generated_db, tmp_path_factory):
    """The app on a copy of the generated history, with a runner writing to the same file."""
    folder = tmp_path_factory.mktemp("app")
    path = folder / "history.duckdb"
    path.write_bytes(generated_db.read_bytes())
    history = History(path)
    runner = Launcher(history, checkpoint_dir=folder / "checkpoints", poll_s=0.5)
    app = build_app(history, runner, poll_s=0.5)
    app.launch(server_port=free_port(), prevent_thread_lock=True, quiet=True)
    client = Client(app.local_url, verbose=False)
    yield client, history, runner
    runner.shutdown()
    app.close()


def api(client, name, *args):
    return client.predict(*args, api_name=f"/{name}")


def form(steer=False, iterations=2, budget=20, student=None):
    """The Start form's fields, in the order the start_run event takes them."""
    return ["arith-v0", json.dumps(TINY_TASK_OPTIONS), "skill-list", "weakest", "procedural",
            "tiny-gpt", json.dumps(student or TINY_STUDENT_OPTIONS), "", "", budget, iterations, 0,
            steer]


def plot(value) -> go.Figure:
    """A gr.Plot value back as a figure (plotly sends arrays as typed binary)."""
    def decode(node):
        if isinstance(node, dict) and set(node) >= {"dtype", "bdata"}:
            return np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"]).tolist()
        if isinstance(node, dict):
            return {k: decode(v) for k, v in node.items()}
        return [decode(v) for v in node] if isinstance(node, list) else node
    if "plot" not in value:  # an update: the figure with other properties (visible)
        value = value["value"]
    return go.Figure(decode(json.loads(value["plot"])))


def test_the_form_starts_from_the_run_config_defaults(served, tmp_path):
    """The form shows RunConfig()'s defaults (those the CLI runs with), before and after its
    menus are filled from the registries."""
    config = RunConfig()
    menus = {"Task": config.task.id, "Environment level": config.teacher.level,
             "Policy": config.teacher.policy, "Engine": config.teacher.engine,
             "Student": config.student.id}
    expected = {**menus, "Budget (examples per iteration)": config.teacher.budget,
                "Iterations": config.iterations, "Seed": config.seed}
    app = build_app(tmp_path / "history.duckdb")
    shown = [(block.label, block.value) for block in app.blocks.values()
             if getattr(block, "label", None) in expected]
    assert sorted(shown) == sorted(expected.items())
    client, _, _ = served
    assert [menu["value"] for menu in api(client, "form_menus")] == list(menus.values())


def test_runs_table_lists_every_run(served):
    client, _, _ = served
    table, menu, compare_menu = api(client, "list_runs", None)
    header = html_rows(table)[0]
    rows = html_runs(table)
    assert len(rows) >= 16 and header[:3] == ["Name", "Status", "Where"]
    row = rows[RUN]
    assert row[2] == "headless" and row[8] == "5/5" and row[10].endswith("%")
    assert menu["value"] == next(iter(rows))
    assert {c[1] for c in compare_menu["choices"]} >= {RUN, LLM_RUN}


def test_run_views_answer(served):
    client, _, _ = served
    heatmap, curves, start_end, alerts = api(client, "load_profile", RUN, "val", True)
    heat = plot(heatmap).data[0]
    assert heat.type == "heatmap" and len(heat.y) == 5 and "accuracy" in heat.text[0][1]
    assert heat.texttemplate == "%{z:.0%}"  # each cell shows its accuracy
    test = plot(api(client, "load_profile", RUN, "test", False)[0]).data[0]
    assert test.z != heat.z and not test.texttemplate  # the test split, without cell values
    teacher, alloc, plans, qc, forest, forest_table, note = api(client, "load_curriculum", TREE_RUN)
    assert teacher["visible"] is False  # an algorithmic teacher: no LLM account
    assert plot(alloc).layout.barmode == "stack" and len(plans["data"]) == 5
    assert plot(forest).data[0].type == "sunburst" and len(forest_table["value"]["data"]) == 15
    assert forest["visible"] and forest_table["visible"]
    *_, forest, forest_table, note = api(client, "load_curriculum", RUN)  # a Skill-List run
    assert forest["visible"] is False and forest_table["visible"] is False
    assert plot(api(client, "load_error_matrix", RUN, "val")).data[0].type == "heatmap"
    text, bar, progress, loss = api(client, "poll_live", RUN, False)  # version stays server-side
    assert RUN in text and "completed" in text and "Completed iterations:** 5 of 5" in text
    assert "100.0%" in bar and len(plot(progress).data) == 2
    assert plot(progress).layout.xaxis.dtick == 1  # iterations are whole numbers


def test_data_view_filters_and_opens_the_teacher_call(served):
    client, _, _ = served
    table, summary = api(client, "search_examples", LLM_RUN, "2", "add", "kept", "", 1)
    assert table["data"] and {r[2] for r in table["data"]} == {"add"}
    assert table["headers"][:3] == ["Iteration", "Example #", "Skill"]
    assert summary.startswith(f"{len(table['data'])} examples match; showing 1–")
    empty, summary = api(client, "search_examples", LLM_RUN, "2", "add", "kept", "", 99)
    assert empty["data"][0][0].startswith("page 99 is past the last page") and "Page 99" in summary
    seq = table["data"][0][1]
    call = api(client, "open_teacher_call", LLM_RUN, 2, seq)
    assert f"call-{LLM_RUN}-002-" in call and "Write 10 new add problems." in call
    assert "gpt-4o-mini" in call
    procedural = api(client, "open_teacher_call", RUN, 1, 0)
    assert "no teacher call" in procedural


def test_errors_view_wrong_answers_and_one_item_across_iterations(served):
    client, history, _ = served
    wrong = api(client, "list_wrong_answers", RUN, "val", "2", "add")
    assert wrong["headers"] == ["Item id", "Prompt", "Right answer", "Prediction"] and wrong["data"]
    item = wrong["data"][0][0]
    head, answers = api(client, "item_answers", RUN, "val", item)
    assert item in head and [r[0] for r in answers["data"]] == list(range(6))
    assert answers["data"][2][2] is False


def test_compare_overlays_tabulates_diffs_and_exports_csv(served):
    client, _, _ = served
    figure, table, diff, path = api(client, "compare_runs", ["gen-0000", "gen-0001", "gen-0005"])
    assert any(t.fill == "toself" for t in plot(figure).data)  # two uniform seeds -> a band
    assert {r[0] for r in diff["data"]} == {"seed", "teacher.policy", "student.options.lr"}
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == table["headers"] and len(rows) == len(table["data"]) + 1
    assert rows[-1][0] == "MEAN"


def test_cost_in_dollars_per_point_and_no_llm(served):
    client, _, _ = served
    text, per_iteration, per_skill, table = api(client, "load_cost", LLM_RUN)
    assert "LLM calls" in text and "$" in text and ("per point" in text or "no gain" in text)
    assert list(plot(per_iteration).data[0].x) == [1, 2, 3, 4, 5]
    assert table["headers"][-1] == "usd_per_point" and len(table["data"]) == 5
    assert "**LLM teacher: usable output**" in text and "**Fallback plans**" in text
    text, *_ = api(client, "load_cost", RUN)
    assert text.startswith("**no LLM**")


@pytest.mark.parametrize("name, args, message", [
    ("compare_runs", [["gen-0001"]], "pick two or more runs"),
    ("stop_run", ["gen-0001"], "is not running"),
    ("resume_run", ["gen-0001", False], "already completed"),
    ("start_run", form(student={"layers": "many"}), None),
])
def test_errors_are_shown_as_one_line_messages(served, name, args, message):
    client, _, _ = served
    with pytest.raises(Exception) as err:
        api(client, name, *args)
    text = str(err.value)
    assert "Traceback" not in text and len(text.splitlines()) == 1
    if message:
        assert message in text


def test_bad_form_values_name_the_field(served):
    client, _, _ = served
    fields = form()
    fields[1] = "{not json"
    with pytest.raises(Exception, match="task options must be a JSON object"):
        api(client, "start_run", *fields)
    fields = form(iterations=0)
    with pytest.raises(Exception, match="iterations must be a whole number >= 1"):
        api(client, "start_run", *fields)


def test_the_form_checks_its_llm_endpoint(served):
    """Check endpoint, beside the LLM fields: nothing listens on this port, so one line."""
    client, _, _ = served
    url = f"http://127.0.0.1:{free_port()}/v1"
    text = api(client, "check_llm", url, "m", "")
    assert text.startswith(f"⚠️ the LLM endpoint cannot serve a teacher: {url}")
    assert "| reachable | **no** |" in text


def _wait_for_plan(client, run_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, table, reasoning, key = api(client, "poll_steer", "")
        if key.startswith(run_id + "@"):
            return table, key
        time.sleep(0.2)
    raise AssertionError(f"no plan of {run_id} waited for approval within {timeout} s")


@pytest.mark.slow
def test_a_steered_run_from_the_app_generates_exactly_the_edited_plan_and_records_it(served):
    client, history, runner = served
    *_, menu, _ = api(client, "start_run", *form(steer=True, budget=20))
    run_id = menu["value"]
    approved = {}
    for iteration in (1, 2):
        table, key = _wait_for_plan(client, run_id)
        assert key == f"{run_id}@{iteration}" and sum(r[2] for r in table["data"]) == 20
        rows = [[skill, "", 0] for skill, _, _ in table["data"]]
        rows[0][2], rows[3][2] = 7 + iteration, 5  # the person's edit
        approved[iteration] = {r[0]: r[2] for r in rows if r[2]}
        message = api(client, "approve_plan", key, {"headers": ["skill", "subskill", "count"],
                                                     "data": rows}, f"note {iteration}")
        assert message.startswith(f"Approved: {run_id}")
    assert runner.wait(run_id, 120) and runner.error(run_id) is None
    table, *_ = api(client, "list_runs", run_id)  # it ran in a thread of the app, and shows up
    row = html_runs(table)[run_id]
    assert row[1:3] == ["completed", "here"] and row[8] == "2/2"
    heat = plot(api(client, "load_profile", run_id, "val", True)[0]).data[0]
    assert heat.type == "heatmap" and list(heat.x) == ["0", "1", "2"]
    made = history.rows("SELECT iteration, skill, count(*) FROM examples WHERE run_id = ?"
                        " GROUP BY ALL ORDER BY ALL", [run_id])
    assert {(i, s): n for i, s, n in made} == {
        (i, s): n for i, counts in approved.items() for s, n in counts.items()}
    plans = history.rows('SELECT iteration, edited_by, "values", reasoning FROM plans'
                         " WHERE run_id = ? ORDER BY iteration", [run_id])
    assert [p[1] for p in plans] == ["person", "person"]
    values = json.loads(plans[0][2])
    assert sum(values["proposed"].values()) == 20 and values["notes"] == "note 1"
    assert plans[1][3].endswith("Person's note: note 2")
    allocations = history.rows("SELECT skill, count FROM allocations WHERE run_id = ?"
                               " AND iteration = 1 AND count > 0 ORDER BY skill", [run_id])
    assert dict(allocations) == approved[1]


@pytest.mark.slow
def test_stop_while_a_plan_waits_then_resume(served):
    client, history, runner = served
    *_, menu, _ = api(client, "start_run", *form(steer=True, iterations=1))
    run_id = menu["value"]
    _wait_for_plan(client, run_id)
    message, *_ = api(client, "stop_run", run_id)
    assert "stopping" in message
    assert runner.wait(run_id, 60)
    assert history.scalar("SELECT status FROM runs WHERE run_id = ?", [run_id]) == "stopped"
    assert api(client, "poll_steer", "")[3] == ""  # nothing waits any more
    message, *_ = api(client, "resume_run", run_id, False)
    assert "Resuming" in message
    assert runner.wait(run_id, 120) and runner.error(run_id) is None
    assert history.scalar("SELECT status FROM runs WHERE run_id = ?", [run_id]) == "completed"
    assert history.scalar("SELECT max(iteration) FROM iterations WHERE run_id = ?", [run_id]) == 1


def test_a_run_alive_in_another_process_is_not_resumed_but_can_be_asked_to_stop(served):
    client, history, _ = served
    with history.transaction() as con:
        con.execute("INSERT INTO runs (run_id, status, heartbeat_at, config) VALUES"
                    " ('elsewhere', 'running', ?, '{}')", [utcnow()])
    with pytest.raises(Exception, match="running in another process"):
        api(client, "resume_run", "elsewhere", False)
    message, *_ = api(client, "stop_run", "elsewhere")
    assert "asked the process running elsewhere to stop" in message
    assert history.scalar("SELECT count(*) FROM controls WHERE run_id = 'elsewhere'"
                          " AND action = 'stop' AND handled_at IS NULL") == 1
