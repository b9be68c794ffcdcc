"""View 3, Skill profile: the skill x iteration heatmap, per-skill curves, test start -> end,
and forgetting alerts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.history import summaries
from ui import charts
from ui.handlers import Deps, On, Shared, follow_run, pct, task_skills


@dataclass(frozen=True, slots=True)
class ProfileView:
    split: gr.Radio
    values: gr.Checkbox
    heatmap: gr.Plot
    alerts: gr.Markdown
    curves: gr.Plot
    start_end: gr.Plot


def build() -> ProfileView:
    with gr.Row():
        split = gr.Radio(["val", "test"], value="val", label="Split", scale=1)
        values = gr.Checkbox(True, label="Show each cell's accuracy (%)", scale=1)
    heatmap = gr.Plot(label="Skill x iteration", elem_id="skill-heatmap")
    alerts = gr.Markdown()
    with gr.Row():
        curves = gr.Plot(label="Per-skill curves")
        start_end = gr.Plot(label="Test accuracy: start and end")
    return ProfileView(split, values, heatmap, alerts, curves, start_end)


def wire(view: ProfileView, shared: Shared, on: On) -> None:
    inputs = [shared.run, view.split, view.values]
    outputs = [view.heatmap, view.curves, view.start_end, view.alerts]
    follow_run(on, shared, load_profile, inputs, outputs, "load_profile")
    for name in ("split", "values"):
        on(getattr(view, name).change, load_profile, inputs, outputs, f"load_profile_on_{name}")


def load_profile(deps: Deps, run_id: str | None, split: str = "val",
                 values: bool = True) -> tuple[Any, Any, Any, str]:
    """Heatmap and curves on ``split`` (skills in the task's order, descriptions on hover),
    test start/end bars and the alerts as Markdown for ``run_id``."""
    if not run_id:
        blank = charts.empty("Skill profile", "pick a run")
        return blank, blank, blank, ""
    frames = summaries.profile(deps.history, run_id)
    matrix = frames["matrix"] if split == "val" else summaries.skill_matrix(deps.history, run_id, split)
    skills = task_skills(deps, run_id)
    order = list(skills)
    title = f"{split.capitalize()} accuracy per skill"
    test = frames["test"]
    if not test.empty and order:
        test = test.set_index("skill").loc[charts.skill_order(test.skill, order)].reset_index()
    return (charts.skill_heatmap(matrix, title, order=order, descriptions=skills, values=bool(values)),
            charts.skill_curves(matrix, title), charts.start_end_bars(test), alerts_text(matrix))


def alerts_text(matrix: pd.DataFrame) -> str:
    """Forgetting alerts per skill: the iterations it sat well below its best, and how low."""
    if matrix.empty:
        return ""
    alerts = matrix[matrix["alert"]]
    if alerts.empty:
        return (f"No forgetting alerts (an alert is a skill whose val accuracy fell"
                f" {100 * summaries.FORGET_DROP:.0f} points or more below its best so far).")
    lines = [f"**{len(alerts)} forgetting alert(s) in {alerts.skill.nunique()} skill(s)**"
             " (marked ✕ on the charts):"]
    for skill, rows in alerts.groupby("skill", sort=True):
        worst = rows.loc[rows.accuracy.idxmin()]
        iterations = ", ".join(str(i) for i in rows.iteration)
        lines.append(f"- {skill}: iteration{'s' if len(rows) > 1 else ''} {iterations}"
                     f" (best {pct(worst.best_before)} → lowest {pct(worst.accuracy)})")
    return "\n".join(lines)
