"""View 8, Steer: a plan waiting for approval, shown as an editable table.

Approving continues the run with the edited plan, recorded with ``edited_by = "person"``;
the teacher's own counts and the person's notes are kept in the plan's values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.records import Plan
from students.errors import ConfigError
from ui.handlers import Deps, On, Shared, missing
from ui.launcher import PendingPlan

COLUMNS = ["skill", "subskill", "count"]
PERSON = "person"


@dataclass(frozen=True, slots=True)
class SteerView:
    status: gr.Markdown
    reasoning: gr.Markdown
    table: gr.Dataframe
    notes: gr.Textbox
    key: gr.Textbox  # run@iteration of the plan in the table
    approve: gr.Button
    message: gr.Markdown


def build() -> SteerView:
    status = gr.Markdown(_idle())
    reasoning = gr.Markdown()
    table = gr.Dataframe(headers=COLUMNS, interactive=True, label="Plan (editable)",
                         datatype=["str", "str", "number"], elem_id="steer-table")
    notes = gr.Textbox(label="Notes (recorded with the plan)")
    key = gr.Textbox(label="Waiting run", interactive=False)
    approve = gr.Button("Approve plan", variant="primary")
    return SteerView(status, reasoning, table, notes, key, approve, gr.Markdown())


def wire(view: SteerView, shared: Shared, on: On) -> None:
    on(shared.steer_timer.tick, poll_steer, [view.key],
       [view.status, view.table, view.reasoning, view.key], "poll_steer", trigger_mode="once")
    on(view.approve.click, approve_plan, [view.key, view.table, view.notes], [view.message],
       "approve_plan")


def poll_steer(deps: Deps, loaded: str | None) -> tuple[str, Any, Any, str]:
    """Status, plan table, teacher's reasoning and the waiting run's id.

    The table is only replaced when a different plan starts waiting, so a poll never
    overwrites a person's edits in progress."""
    pending = deps.runner.pending()
    if not pending:
        if loaded:
            return _idle(), pd.DataFrame(columns=COLUMNS), "", ""
        return _idle(), gr.skip(), gr.skip(), ""
    slot = min(pending.values(), key=lambda s: s.run_id)
    status = (f"**{slot.run_id}** waits for approval of its plan for iteration {slot.iteration}"
              f" ({slot.plan.total} examples). Edit the counts, add notes, then approve."
              + (f" ({len(pending) - 1} more run(s) waiting.)" if len(pending) > 1 else ""))
    if _key(slot) == loaded:
        return status, gr.skip(), gr.skip(), loaded
    return status, plan_table(slot.plan), f"**Teacher's reasoning:** {slot.plan.reasoning}", _key(slot)


def approve_plan(deps: Deps, key: str | None, table: pd.DataFrame | None, notes: str) -> str:
    """Continue the waiting run with the edited plan."""
    pending = deps.runner.pending()
    run_id = (key or "").split("@")[0]
    if run_id not in pending:
        raise ConfigError("no plan is waiting for approval (the run may have been stopped)")
    slot = pending[run_id]
    plan = edited_plan(slot.plan, _frame(table), notes or "", skills=slot.observation.skills)
    deps.runner.approve(run_id, plan)
    return f"Approved: {run_id} continues with {plan.total} examples over {len(plan.allocations)} skills."


def plan_table(plan: Plan) -> pd.DataFrame:
    """One row per skill (or per subskill at the Skill-Tree level)."""
    rows = []
    for skill, count in plan.allocations.items():
        subs = plan.subskills.get(skill) or {}
        rows += [[skill, sub, int(n)] for sub, n in subs.items()] or [[skill, "", int(count)]]
    return pd.DataFrame(rows, columns=COLUMNS)


def edited_plan(original: Plan, table: pd.DataFrame, notes: str, *, skills: list[str]) -> Plan:
    """The person's plan from the edited table; ConfigError names a bad row."""
    allocations: dict[str, int] = {}
    subskills: dict[str, dict[str, int]] = {}
    for k, row in enumerate(table.itertuples(index=False), start=1):
        skill, sub, count = str(row[0]).strip(), _text(row[1]), _count(row[2], k)
        if not skill:
            continue
        if skill not in skills:
            raise ConfigError(f"row {k}: unknown skill {skill!r} (known: {', '.join(skills)})")
        allocations[skill] = allocations.get(skill, 0) + count
        if sub:
            subskills.setdefault(skill, {})[sub] = subskills.get(skill, {}).get(sub, 0) + count
    for skill, subs in subskills.items():
        if sum(subs.values()) != allocations[skill]:
            raise ConfigError(f"skill {skill!r} has subskill rows: give each of its rows a subskill")
    if sum(allocations.values()) < 1:
        raise ConfigError("the plan asks for no examples: give at least one skill a count")
    values = {**dict(original.values), "proposed": dict(original.allocations),
              "proposed_subskills": {s: dict(v) for s, v in original.subskills.items()},
              "notes": notes.strip()}
    reasoning = original.reasoning + (f"\n\nPerson's note: {notes.strip()}" if notes.strip() else "")
    return Plan(allocations, reasoning, values, subskills, edited_by=PERSON)


def _frame(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, dict):  # what an API client sends
        return pd.DataFrame(table.get("data", []), columns=table.get("headers", COLUMNS))
    raise ConfigError("the plan table is missing")


def _count(value: Any, row: int) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"row {row}: count must be a whole number, got {value!r}") from None
    if missing(number) or number != int(number) or number < 0:
        raise ConfigError(f"row {row}: count must be a whole number >= 0, got {value!r}")
    return int(number)


def _text(value: Any) -> str:
    return "" if missing(value) else str(value).strip()


def _key(slot: PendingPlan) -> str:
    return f"{slot.run_id}@{slot.iteration}"


def _idle() -> str:
    return ("No plan is waiting. Start a run on the **Runs** tab with *steer* ticked: it pauses"
            " here at each plan.")
