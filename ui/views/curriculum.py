"""View 4, Curriculum: what the teacher allocated, why, how much survived QC, and the
Skill-Tree forest; for an LLM teacher, first, how much of its output was usable (plans,
examples kept and why the rest were rejected, fallback plans)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.history import summaries
from envs.history.llm_usage import llm_usage
from envs.history.queries import run_row
from envs.level import Level
from ui import charts, llm_account
from ui.handlers import Deps, On, Shared, follow_run, human
from ui.views.run_form import NO_SUBSKILLS


@dataclass(frozen=True, slots=True)
class CurriculumView:
    teacher: gr.Markdown
    allocations: gr.Plot
    plans: gr.Dataframe
    qc: gr.Plot
    forest: gr.Plot
    forest_table: gr.Dataframe
    forest_note: gr.Markdown


def build() -> CurriculumView:
    teacher = gr.Markdown(elem_id="teacher-account", visible=False)
    allocations = gr.Plot(label="Allocations")
    plans = gr.Dataframe(human(pd.DataFrame(), "pick a run"),
                         label="The teacher's reasoning per iteration", interactive=False,
                         wrap=True, max_height=320, elem_id="plans-table")
    with gr.Row():
        qc = gr.Plot(label="QC yield")
        forest = gr.Plot(label="Skill-Tree forest", visible=False)
    forest_note = gr.Markdown()
    forest_table = gr.Dataframe(label="Subskills: allocations and rewards", interactive=False,
                                wrap=True, visible=False)
    return CurriculumView(teacher, allocations, plans, qc, forest, forest_table, forest_note)


def wire(view: CurriculumView, shared: Shared, on: On) -> None:
    follow_run(on, shared, load_curriculum, [shared.run],
               [view.teacher, view.allocations, view.plans, view.qc, view.forest, view.forest_table,
                view.forest_note], "load_curriculum")


def load_curriculum(deps: Deps, run_id: str | None) -> tuple[Any, ...]:
    """The LLM teacher's usable shares (shown only for a run with LLM calls), allocation bars,
    plans table, QC yield chart, and the forest chart and table (shown only for a Skill-Tree
    run) with a line saying why a forest is missing."""
    if not run_id:
        blank = charts.empty("Curriculum", "pick a run")
        hidden = gr.update(visible=False)
        return hidden, blank, human(pd.DataFrame(), "pick a run"), blank, hidden, hidden, ""
    usage = llm_usage(deps.history, run_id)
    frames = summaries.curriculum(deps.history, run_id)
    row = run_row(deps.history, run_id)
    tree = row.get("level") == Level.SKILL_TREE.value
    forest = frames["forest"].round({"fresh_accuracy": 3, "reward": 4, "mean_reward": 4})
    note = ""
    if tree and forest.empty and row.get("policy") in NO_SUBSKILLS:
        note = (f"No subskills: the {row['policy']!r} policy plans whole skills, so this"
                " Skill-Tree run grows none. A policy that plans subskills (explore-exploit,"
                " alp, sec, frontier, llm) fills this forest.")
    shown = tree and not forest.empty
    teacher = llm_account.glance(usage) if usage else ""
    return (gr.Markdown(teacher, visible=bool(teacher)), charts.allocation_bars(frames["allocations"]),
            human(frames["plans"], "no plans yet: iteration 0 only evaluates the student"),
            charts.qc_yield(frames["yield"]),
            gr.Plot(charts.skill_forest(frames["forest"]), visible=shown),
            gr.Dataframe(human(forest), visible=shown), note)
