"""View 7, Compare: runs (or a whole sweep) grouped by their config less the seed; mean
curves with 95% bootstrap bands against examples, iterations or wall time; final accuracy,
AULC and x to a threshold with intervals; paired differences against a baseline group; the
per-skill table with the better run marked; per-skill overlays; phase wall times; config
differences; CSV, Markdown and JSON exports."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from envs.history import summaries
from envs.history.comparing import comparison_frames
from students.errors import ConfigError
from ui import comparison, compare_charts, seed_groups
from ui.compare_command import resolve
from ui.compare_report import CompareReport, build_report, render, sections
from ui.handlers import Deps, On, Shared

_EXPORTS = Path(tempfile.gettempdir()) / "curriculab-exports"


@dataclass(frozen=True, slots=True)
class CompareView:
    runs: gr.Dropdown  # filled with every run by the Runs view, as the run menu is
    sweep: gr.Textbox
    x: gr.Radio
    metric: gr.Dropdown
    threshold: gr.Number
    baseline: gr.Dropdown
    go: gr.Button
    plot: gr.Plot
    table: gr.Dataframe
    file: gr.File
    diff: gr.Dataframe
    summary: gr.Dataframe
    paired: gr.Dataframe
    skills: gr.Dataframe
    overlay: gr.Plot
    phases: gr.Plot
    exports: gr.File


def build() -> CompareView:
    runs = gr.Dropdown([], multiselect=True, label="Runs to compare (two or more)",
                       allow_custom_value=True)
    with gr.Row():
        sweep = gr.Textbox(label="or a sweep (id, name or prefix)", scale=2)
        x = gr.Radio(list(seed_groups.X_AXES), value="examples", label="x axis", scale=2)
        metric = gr.Dropdown(["test", "val"], value="test", label="metric (mean or one skill)",
                             allow_custom_value=True, scale=2)
        threshold = gr.Number(None, label="threshold (blank: lowest group's final)", scale=1)
        baseline = gr.Dropdown([], value=None, label="baseline group", allow_custom_value=True,
                               scale=1)
    go = gr.Button("Compare", variant="primary")
    plot = gr.Plot(label="Mean over seeds with its 95% band")
    summary = gr.Dataframe(label="Per group: final, AULC, x to threshold (mean [95%])",
                           interactive=False)
    paired = gr.Dataframe(label="Paired against the baseline on shared seeds", interactive=False)
    skills = gr.Dataframe(label="Final accuracy per skill by group (mean [95%]), best marked",
                          interactive=False)
    table = gr.Dataframe(label="Final test accuracy per skill and run (%), best run marked",
                         interactive=False)
    with gr.Row():
        overlay = gr.Plot(label="Per-skill curves")
        phases = gr.Plot(label="Phase wall times")
    diff = gr.Dataframe(label="Config differences only", interactive=False)
    with gr.Row():
        file = gr.File(label="CSV of the per-run table")
        exports = gr.File(label="The comparison as CSV, Markdown and JSON", file_count="multiple")
    return CompareView(runs, sweep, x, metric, threshold, baseline, go, plot, table, file, diff,
                       summary, paired, skills, overlay, phases, exports)


def wire(view: CompareView, shared: Shared, on: On) -> None:
    options = [view.runs, view.sweep, view.x, view.metric, view.threshold, view.baseline]
    on(view.go.click, compare_runs, options, [view.plot, view.table, view.diff, view.file],
       "compare_runs")
    on(view.go.click, compare_groups, options,
       [view.summary, view.paired, view.skills, view.overlay, view.phases, view.exports,
        view.baseline, view.metric], "compare_groups")


def _report(deps: Deps, run_ids: list[str] | None, sweep: str | None, x: str, metric: str,
            threshold: float | None, baseline: str | None) -> tuple[list[str], dict, CompareReport]:
    ids = list(dict.fromkeys(run_ids or []))
    if sweep and sweep.strip():
        ids = list(dict.fromkeys([*ids, *resolve(deps.history, [sweep.strip()])]))
    if len(ids) < 2:
        raise ConfigError("pick two or more runs to compare (or a sweep)")
    frames = comparison_frames(deps.history, ids)
    missing = sorted(set(ids) - set(frames["runs"].run_id))
    if missing:
        raise ConfigError(f"unknown run(s): {', '.join(missing)}")
    if threshold is not None and threshold != threshold:
        threshold = None
    report = build_report(frames, x=x or "examples", metric=metric or "test",
                          threshold=threshold, baseline=baseline or None)
    return ids, frames, report


def compare_runs(deps: Deps, run_ids: list[str] | None, sweep: str | None = None,
                 x: str = "examples", metric: str = "test", threshold: float | None = None,
                 baseline: str | None = None) -> tuple[Any, pd.DataFrame, pd.DataFrame, str | None]:
    """The groups' mean curves with 95% bands, the skills x runs table (best run marked),
    the config differences and that table as a CSV file."""
    ids, frames, report = _report(deps, run_ids, sweep, x, metric, threshold, baseline)
    figure = compare_charts.group_bands(list(report.summary), seed_groups.X_AXES[report.x][1],
                                        seed_groups.metric_name(report.metric))
    final = summaries.compare(deps.history, ids)
    labels = comparison.groups(final["runs"])
    table = comparison.skill_table(final["final"], labels)
    if len(table.columns) > 1:
        values = table.drop(columns="skill")
        table["best run"] = values.idxmax(axis=1).where(values.notna().any(axis=1))
    return figure, table, comparison.config_diff(final["runs"]), export(table, ids)


def compare_groups(deps: Deps, run_ids: list[str] | None, sweep: str | None = None,
                   x: str = "examples", metric: str = "test", threshold: float | None = None,
                   baseline: str | None = None):
    """The statistics per group, the paired differences, the per-skill group table, the
    per-skill overlay, the phase times, the exports; and the baseline and metric menus."""
    ids, frames, report = _report(deps, run_ids, sweep, x, metric, threshold, baseline)
    split = report.metric.partition(":")[0]
    per_skill = {skill: seed_groups.run_curves(frames["points"], frames["skills"],
                                               f"{split}:{skill}", report.x)
                 for skill in sorted(set(frames["skills"].skill))}
    overlay = compare_charts.skill_overlay(report.groups, per_skill,
                                           seed_groups.X_AXES[report.x][1])
    names = [g.name for g in report.groups]
    metrics = ["test", "val", *(f"{s}:{k}" for s in ("test", "val") for k in sorted(per_skill))]
    frames_ = [pd.DataFrame(rows, columns=headers) for _, headers, rows in sections(report)]
    summary, skills = frames_[1], frames_[-2]
    paired = frames_[2] if report.paired else pd.DataFrame()
    return (summary, paired, skills, overlay, compare_charts.phase_bars(report.phases),
            exports(report, ids), gr.update(choices=names, value=report.baseline),
            gr.update(choices=metrics, value=report.metric))


def export(table: pd.DataFrame, run_ids: list[str]) -> str:
    """Write the per-skill table as CSV; returns the file's path."""
    _EXPORTS.mkdir(parents=True, exist_ok=True)
    path = _EXPORTS / f"compare-{len(run_ids)}-runs-{_digest(run_ids)}.csv"
    table.to_csv(path, index=False)
    return str(path)


def exports(report: CompareReport, run_ids: list[str]) -> list[str]:
    """The comparison as CSV, Markdown and JSON files; returns their paths."""
    _EXPORTS.mkdir(parents=True, exist_ok=True)
    stem = f"comparison-{len(run_ids)}-runs-{_digest(run_ids)}-{report.x}-" \
           f"{report.metric.replace(':', '-')}"
    paths = []
    for fmt, suffix in (("csv", "csv"), ("markdown", "md"), ("json", "json")):
        path = _EXPORTS / f"{stem}.{suffix}"
        path.write_text(render(report, fmt), encoding="utf-8")
        paths.append(str(path))
    return paths


def _digest(run_ids: list[str]) -> str:
    return hashlib.sha256("\n".join(run_ids).encode()).hexdigest()[:10]
