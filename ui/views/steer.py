"""View 8, Steer: a plan waiting for approval, shown as an editable table.

Each row is a skill's count, or at the Skill-Tree level a subskill's; there a skill's row
with an empty subskill is the share its own generator makes (the setting of its val and
test items), so the table always adds up to the plan. Its total is shown against the run's
budget, and a total over the budget is refused unless the person ticks the box that allows
it. Approving continues the run: with the teacher's plan unchanged when the counts are
unchanged (notes, if any, are added to it), else with the edited plan, recorded with
``edited_by = "person"``; the teacher's own counts and the person's notes are kept in the
plan's values. A new plan starts with an empty notes box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.history.queries import run_row
from envs.records import Plan
from students.errors import ConfigError, CurriculabError
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
    over_budget: gr.Checkbox
    approve: gr.Button
    message: gr.Markdown


def build() -> SteerView:
    status = gr.Markdown(_idle())
    reasoning = gr.Markdown()
    table = gr.Dataframe(headers=COLUMNS, interactive=True, label="Plan (editable)",
                         datatype=["str", "str", "number"], elem_id="steer-table")
    notes = gr.Textbox(label="Notes (recorded with the plan)")
    key = gr.Textbox(label="Waiting run", interactive=False)
    over_budget = gr.Checkbox(False, label="Allow a total over the run's budget")
    approve = gr.Button("Approve plan", variant="primary")
    return SteerView(status, reasoning, table, notes, key, over_budget, approve, gr.Markdown())


def wire(view: SteerView, shared: Shared, on: On) -> None:
    on(shared.steer_timer.tick, poll_steer, [view.key],
       [view.status, view.table, view.reasoning, view.key], "poll_steer", trigger_mode="once")
    # the key changes when another plan is loaded (or none waits): its notes start empty
    on(view.key.change, new_plan_form, [], [view.notes, view.over_budget], "new_plan_form")
    on(view.approve.click, approve_plan, [view.key, view.table, view.notes, view.over_budget],
       [view.message], "approve_plan")


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
    status = waiting_status(slot, budget_of(deps, slot.run_id))
    if len(pending) > 1:
        status += f" ({len(pending) - 1} more run(s) waiting.)"
    if _key(slot) == loaded:
        return status, gr.skip(), gr.skip(), loaded
    return status, plan_table(slot.plan), f"**Teacher's reasoning:** {slot.plan.reasoning}", _key(slot)


def new_plan_form(deps: Deps) -> tuple[str, bool]:
    """Empty notes and an unticked over-budget box for the plan just loaded."""
    return "", False


def waiting_status(slot: PendingPlan, budget: int | None) -> str:
    """The line above the table: whose plan waits, and its total against the budget."""
    against = f" of a budget of {budget}" if budget is not None else ""
    return (f"**{slot.run_id}** waits for approval of its plan for iteration {slot.iteration}"
            f": **{slot.plan.total} examples{against}**. Edit the counts, add notes, then approve.")


def approve_plan(deps: Deps, key: str | None, table: pd.DataFrame | None, notes: str,
                 over_budget: bool = False) -> str:
    """Continue the waiting run with the plan in the table (the teacher's when unchanged)."""
    pending = deps.runner.pending()
    run_id = (key or "").split("@")[0]
    if run_id not in pending:
        raise ConfigError("no plan is waiting for approval (the run may have been stopped)")
    slot = pending[run_id]
    budget = budget_of(deps, run_id)
    plan = edited_plan(slot.plan, _frame(table), notes or "", skills=slot.observation.skills,
                       budget=budget, over_budget=bool(over_budget))
    deps.runner.approve(run_id, plan)
    how = "as edited" if plan.edited_by == PERSON else "the teacher's plan, unchanged"
    against = f" (budget {budget})" if budget is not None else ""
    return (f"Approved: {run_id} continues with {plan.total} examples{against} over "
            f"{len(plan.allocations)} skills, {how}.")


def budget_of(deps: Deps, run_id: str) -> int | None:
    """The run's examples per iteration, from its recorded config (None if not recorded)."""
    try:
        budget = run_row(deps.history, run_id)["config"]["teacher"]["budget"]
    except (KeyError, TypeError, CurriculabError):
        return None
    return int(budget) if isinstance(budget, (int, float)) else None


def plan_table(plan: Plan) -> pd.DataFrame:
    """One row per skill; at the Skill-Tree level one per subskill, plus the skill's own
    share (empty subskill) when its subskills do not take all of its count."""
    rows = []
    for skill, count in plan.allocations.items():
        subs = plan.subskills.get(skill) or {}
        rows += [[skill, sub, int(n)] for sub, n in subs.items()]
        own = int(count) - sum(int(n) for n in subs.values())
        if not subs or own > 0:
            rows.append([skill, "", own])
    return pd.DataFrame(rows, columns=COLUMNS)


def edited_plan(original: Plan, table: pd.DataFrame, notes: str, *, skills: list[str],
                budget: int | None = None, over_budget: bool = False) -> Plan:
    """The plan from the table: ``original`` itself (with the notes, if any) when the counts
    are unchanged, else the person's edit. A total over ``budget`` is refused unless
    ``over_budget``. ConfigError names a bad row."""
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
    total = sum(allocations.values())
    if total < 1:
        raise ConfigError("the plan asks for no examples: give at least one skill a count")
    if budget is not None and total > budget and not over_budget:
        raise ConfigError(f"the plan asks for {total} examples, over the run's budget of {budget}:"
                          " lower the counts, or tick 'Allow a total over the run's budget'")
    notes = notes.strip()
    noted = original.reasoning + (f"\n\nPerson's note: {notes}" if notes else "")
    if _counts(allocations, subskills) == _counts(original.allocations, original.subskills):
        if not notes:
            return original
        return Plan(original.allocations, noted, {**dict(original.values), "notes": notes},
                    original.subskills, edited_by=original.edited_by)
    values = {**dict(original.values), "proposed": dict(original.allocations),
              "proposed_subskills": {s: dict(v) for s, v in original.subskills.items()},
              "notes": notes}
    if budget is not None and total > budget:
        values["over_budget"] = {"total": total, "budget": budget}
    return Plan(allocations, noted, values, subskills, edited_by=PERSON)


def _counts(allocations: Any, subskills: Any) -> tuple[dict, dict]:
    """Counts to compare, without the zeros a table row or a plan may or may not carry."""
    return ({s: int(n) for s, n in allocations.items() if n},
            {s: {u: int(n) for u, n in subs.items() if n} for s, subs in subskills.items()
             if any(subs.values())})


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
