"""View 2, Live: the current phase and iteration, progress and time left, polled every second.

It reads only the history, so it shows a run started in this app and a headless run in
another process alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.history.clock import utcnow
from envs.history import summaries
from ui import charts
from ui.handlers import Deps, On, Shared, duration, missing, pct

ACTIVE = "running"


@dataclass(frozen=True, slots=True)
class LiveView:
    follow: gr.Checkbox
    bar: gr.HTML
    text: gr.Markdown
    plot: gr.Plot


def build() -> LiveView:
    follow = gr.Checkbox(True, label="Follow the newest running run (else the selected run)")
    bar = gr.HTML(progress_bar(0.0))
    text = gr.Markdown("Waiting for the first poll…", elem_id="live-status")
    return LiveView(follow, bar, text, gr.Plot(label="Progress"))


def wire(view: LiveView, shared: Shared, on: On) -> None:
    """Each tick of the timer polls the history; a new version string (the run advanced)
    reloads the other views of the run."""
    on(shared.timer.tick, poll_live, [shared.run, view.follow, shared.version],
       [view.text, view.bar, view.plot, shared.version], "poll_live", trigger_mode="once")


def poll_live(deps: Deps, selected: str | None, follow: bool, seen: str | None) -> tuple[Any, ...]:
    """One poll: status text, progress bar, curve (only when an iteration landed) and the
    run's version string ``run:iterations:status`` (its change refreshes the other views)."""
    row, its = summaries.live(deps.history, selected, follow=bool(follow))
    if row is None:
        return ("No run yet: start one on the **Runs** tab, or run `curriculab run` in a terminal.",
                progress_bar(0.0), charts.empty("Mean accuracy so far", "no run"), "")
    version = f"{row['run_id']}:{len(its)}:{row['status']}"
    where = ("started in this app" if deps.runner.started_here(row["run_id"])
             else "headless (another process)")
    figure = charts.progress_curve(its) if version != seen else gr.skip()
    return status_text(row, its, where), progress_bar(fraction(row, its)), figure, version


def fraction(row: dict[str, Any], its: pd.DataFrame) -> float:
    """Completed iterations over planned ones (1.0 once completed)."""
    if row["status"] == "completed":
        return 1.0
    total = int(row["iterations"] or 0)
    done = int(its.iteration.max()) if not its.empty else 0
    return min(1.0, done / total) if total else 0.0


def eta_seconds(row: dict[str, Any], its: pd.DataFrame) -> float | None:
    """Time left: mean iteration time x iterations left, less the current one's elapsed time."""
    if row["status"] != ACTIVE or its.empty:
        return None
    taught = its[its.iteration > 0]
    if taught.empty:
        return None
    per_iteration = float(taught.t_total.mean())
    left = int(row["iterations"]) - int(its.iteration.max())
    elapsed = (utcnow() - its.ended_at.iloc[-1].to_pydatetime()).total_seconds()
    return max(0.0, left * per_iteration - elapsed)


def status_text(row: dict[str, Any], its: pd.DataFrame, where: str) -> str:
    """The Live view's Markdown for one run."""
    done = int(its.iteration.max()) if not its.empty else None
    phase = row.get("phase") or "starting"
    lines = [f"### {row['run_id']} — {row['status']}",
             f"{row['task']} · {row['policy']} · {row['student']} · {where}", ""]
    if row["status"] == ACTIVE:
        lines.append(f"**Phase:** {phase} of iteration {row.get('phase_iteration') or 0}"
                     f" / {row['iterations']}  ")
    lines.append(f"**Completed iterations:** {'none yet' if done is None else done} of {row['iterations']}  ")
    if not its.empty:
        last = its.iloc[-1]
        lines.append(f"**Mean accuracy:** val {pct(last.val_mean)}, test {pct(last.test_mean)}"
                     f" after {int(last.examples_used)} examples  ")
    if row["status"] == ACTIVE:
        lines.append(f"**Time left:** about {duration(eta_seconds(row, its))}  ")
        beat = row.get("heartbeat_at")
        if not missing(beat):
            lines.append(f"**Last heartbeat:** {duration((utcnow() - beat.to_pydatetime()).total_seconds())} ago  ")
    if row.get("message"):
        lines.append(f"**Message:** {row['message']}")
    return "\n".join(lines)


def progress_bar(fraction: float) -> str:
    """A plain HTML progress bar (no JavaScript, so it works inline in notebooks too)."""
    width = f"{100 * max(0.0, min(1.0, fraction)):.1f}%"
    return (f'<div class="cl-progress" style="background:#e5e7eb;border-radius:6px;height:18px;">'
            f'<div style="width:{width};background:#2563eb;height:18px;border-radius:6px;'
            f'color:white;font-size:12px;text-align:right;padding-right:6px;">{width}</div></div>')
