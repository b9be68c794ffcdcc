"""View 7, Compare: runs overlaid (seed bands), per-skill final accuracy, config differences,
CSV export."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from students.errors import ConfigError
from envs.history import summaries
from ui import charts, comparison
from ui.handlers import Deps, On, Shared

_EXPORTS = Path(tempfile.gettempdir()) / "curriculab-exports"


@dataclass(frozen=True, slots=True)
class CompareView:
    runs: gr.Dropdown  # filled with every run by the Runs view, as the run menu is
    go: gr.Button
    plot: gr.Plot
    table: gr.Dataframe
    file: gr.File
    diff: gr.Dataframe


def build() -> CompareView:
    runs = gr.Dropdown([], multiselect=True, label="Runs to compare (two or more)",
                       allow_custom_value=True)
    go = gr.Button("Compare", variant="primary")
    plot = gr.Plot(label="Mean test accuracy against examples used")
    table = gr.Dataframe(label="Final test accuracy per skill (%)", interactive=False)
    file = gr.File(label="CSV of the table")
    diff = gr.Dataframe(label="Config differences only", interactive=False)
    return CompareView(runs, go, plot, table, file, diff)


def wire(view: CompareView, shared: Shared, on: On) -> None:
    on(view.go.click, compare_runs, [view.runs], [view.plot, view.table, view.diff, view.file],
       "compare_runs")


def compare_runs(deps: Deps, run_ids: list[str] | None
                 ) -> tuple[Any, pd.DataFrame, pd.DataFrame, str | None]:
    """Curves, the skills x runs table, the config differences and the table as a CSV file."""
    run_ids = list(dict.fromkeys(run_ids or []))
    if len(run_ids) < 2:
        raise ConfigError("pick two or more runs to compare")
    frames = summaries.compare(deps.history, run_ids)
    missing = sorted(set(run_ids) - set(frames["runs"].run_id))
    if missing:
        raise ConfigError(f"unknown run(s): {', '.join(missing)}")
    labels = comparison.groups(frames["runs"])
    figure = charts.compare_curves(comparison.curves_with_groups(frames["curves"], labels))
    table = comparison.skill_table(frames["final"], labels)
    return figure, table, comparison.config_diff(frames["runs"]), export(table, run_ids)


def export(table: pd.DataFrame, run_ids: list[str]) -> str:
    """Write the per-skill table as CSV; returns the file's path."""
    _EXPORTS.mkdir(parents=True, exist_ok=True)
    name = f"compare-{len(run_ids)}-runs-{abs(hash(tuple(run_ids))) % 10**8:08d}.csv"
    path = _EXPORTS / name
    table.to_csv(path, index=False)
    return str(path)
