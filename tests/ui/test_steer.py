"""The Steer view: the table adds up to the plan (Skill-Tree level included), an unchanged
approval keeps the teacher's plan, the total is shown and held against the budget, and a new
plan starts with empty notes. Approvals go through the real runner service's steering hook."""

import threading

import pandas as pd
import pytest

from envs.history import History
from envs.history.runlog import RunLog
from envs.records import Plan
from students.errors import ConfigError
from ui.app import build_app
from ui.handlers import Deps
from ui.launcher import Launcher, PendingPlan
from ui.views.steer import (COLUMNS, approve_plan, edited_plan, new_plan_form, plan_table,
                            poll_steer, waiting_status)

SKILLS = ["rev", "first"]
# what budget_plan makes at the Skill-Tree level: half of each skill's count over its
# subskills, the rest for the skill's own generator (200 in all, 104 over subskills)
TREE = Plan({"rev": 100, "first": 100}, "teacher's reasoning", {"w": 1},
            {"rev": {"rev-short": 26, "rev-long": 26}, "first": {"first-word": 52}})


def test_the_skill_tree_table_adds_up_to_the_plan():
    table = plan_table(TREE)
    assert table["count"].sum() == TREE.total == 200
    own = table[table["subskill"] == ""]
    assert dict(zip(own["skill"], own["count"])) == {"rev": 48, "first": 48}


def test_approving_an_unchanged_plan_records_the_teachers_plan():
    approved = edited_plan(TREE, plan_table(TREE), "", skills=SKILLS, budget=200)
    assert approved is TREE and approved.total == 200 and approved.edited_by is None


def test_notes_alone_are_kept_without_calling_the_plan_edited():
    noted = edited_plan(TREE, plan_table(TREE), " too easy ", skills=SKILLS, budget=200)
    assert (noted.total, noted.edited_by, noted.values["notes"]) == (200, None, "too easy")
    assert noted.reasoning.endswith("Person's note: too easy") and noted.subskills == TREE.subskills


def test_an_edit_of_the_own_share_changes_that_share_only():
    table = plan_table(TREE)
    table.loc[(table["skill"] == "rev") & (table["subskill"] == ""), "count"] = 10
    edited = edited_plan(TREE, table, "", skills=SKILLS, budget=200)
    assert edited.edited_by == "person" and dict(edited.allocations) == {"rev": 62, "first": 100}
    assert edited.subskills == TREE.subskills and edited.values["proposed"] == {"rev": 100, "first": 100}


def test_a_total_over_the_budget_is_refused_unless_allowed():
    table = pd.DataFrame([["rev", "", 222], ["first", "", 100]], columns=COLUMNS)
    with pytest.raises(ConfigError, match="322 examples, over the run's budget of 200"):
        edited_plan(TREE, table, "", skills=SKILLS, budget=200)
    allowed = edited_plan(TREE, table, "", skills=SKILLS, budget=200, over_budget=True)
    assert allowed.total == 322 and allowed.values["over_budget"] == {"total": 322, "budget": 200}


def test_the_status_shows_the_total_against_the_budget():
    slot = PendingPlan("r1", 3, TREE, None)  # type: ignore[arg-type]
    assert "200 examples of a budget of 200" in waiting_status(slot, 200)


def test_a_new_plan_starts_with_empty_notes(tmp_path):
    """The notes box and the over-budget box are reset whenever another plan is loaded."""
    history = History(tmp_path / "h.duckdb")
    app = build_app(history, Launcher(history))
    resets = [fn for fn in app.fns.values() if fn.api_name == "new_plan_form"]
    assert len(resets) == 1
    key = next(fn for fn in app.fns.values() if fn.api_name == "poll_steer").outputs[-1]
    assert (key._id, "change") in [(t[0], t[1]) for t in resets[0].targets]
    labels = [getattr(block, "label", None) for block in resets[0].outputs]
    assert labels == ["Notes (recorded with the plan)", "Allow a total over the run's budget"]
    assert new_plan_form(Deps(history, Launcher(history))) == ("", False)


def test_approving_through_the_runner_service(tmp_path):
    """A run waits in the real steering hook; the view shows its total against the budget,
    then an unchanged approval gives the run the teacher's own plan back."""
    history = History(tmp_path / "h.duckdb")
    history.ensure()
    log = RunLog.create(history, "r1", config={"teacher": {"budget": 200}},
                        summary={"task": "strings-v0", "budget": 200}, versions={})
    runner = Launcher(history)
    deps = Deps(history, runner)
    observation = type("Obs", (), {"iteration": 0, "skills": SKILLS})()
    adopted: list[Plan] = []
    steer = runner._steer_for("r1", threading.Event())
    thread = threading.Thread(target=lambda: adopted.append(steer(TREE, observation)))
    thread.start()
    try:
        for _ in range(200):
            if runner.pending():
                break
            thread.join(0.05)
        status, table, _, key = poll_steer(deps, "")
        assert key == "r1@1" and "200 examples of a budget of 200" in status
        over = table.copy()
        over.loc[0, "count"] += 122
        with pytest.raises(ConfigError, match="322 examples, over the run's budget of 200"):
            approve_plan(deps, key, over, "")
        message = approve_plan(deps, key, table, "")
        thread.join(10)
        assert message.startswith("Approved: r1 continues with 200 examples (budget 200)")
        assert message.endswith("the teacher's plan, unchanged.")
        assert adopted == [TREE] and adopted[0].edited_by is None
    finally:
        if runner.pending():
            runner.approve("r1", TREE)
        thread.join(10)
        if hasattr(log, "close"):  # its heartbeat
            log.close()
