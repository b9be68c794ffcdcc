"""View 4, Curriculum: what the teacher allocated, why, how much survived QC, and the
Skill-Tree forest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.history import summaries
from ui import charts
from ui.handlers import Deps, On, Shared, follow_run


@dataclass(frozen=True, slots=True)
class CurriculumView:
    allocations: gr.Plot
    plans: gr.Dataframe
    qc: gr.Plot
    forest: gr.Plot
    forest_table: gr.Dataframe


def build() -> CurriculumView:
    allocations = gr.Plot(label="Allocations")
    plans = gr.Dataframe(label="The teacher's reasoning per iteration", interactive=False,
                         wrap=True, max_height=320)
    with gr.Row():
        qc = gr.Plot(label="QC yield")
        forest = gr.Plot(label="Skill-Tree forest")
    forest_table = gr.Dataframe(label="Subskills: allocations and rewards", interactive=False)
    return CurriculumView(allocations, plans, qc, forest, forest_table)


def wire(view: CurriculumView, shared: Shared, on: On) -> None:
    follow_run(on, shared, load_curriculum, [shared.run],
               [view.allocations, view.plans, view.qc, view.forest, view.forest_table],
               "load_curriculum")


def load_curriculum(deps: Deps, run_id: str | None
                    ) -> tuple[Any, pd.DataFrame, Any, Any, pd.DataFrame]:
    """Allocation bars, plans table, QC yield chart, forest chart and forest table."""
    if not run_id:
        blank = charts.empty("Curriculum", "pick a run")
        return blank, pd.DataFrame(), blank, blank, pd.DataFrame()
    frames = summaries.curriculum(deps.history, run_id)
    forest = frames["forest"].round({"fresh_accuracy": 3, "reward": 4, "mean_reward": 4})
    return (charts.allocation_bars(frames["allocations"]), frames["plans"],
            charts.qc_yield(frames["yield"]), charts.skill_forest(frames["forest"]), forest)
