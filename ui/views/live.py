"""View 2, Live: the current phase and iteration, progress and time left, polled every second.

It reads only the history, so it shows a run started in this app and a headless run in
another process alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.history.clock import utcnow
from envs.history import summaries
from ui import charts
from ui.handlers import Deps, On, Shared, duration, missing, pct, run_label

ACTIVE = "running"


@dataclass(frozen=True, slots=True)
class LiveView:
    follow: gr.Checkbox
    bar: gr.HTML
    text: gr.Markdown
    plot: gr.Plot
    loss: gr.Plot


def build() -> LiveView:
    follow = gr.Checkbox(True, label="Follow the newest running run (else the selected run)")
    bar = gr.HTML(progress_bar(0.0))
    text = gr.Markdown("Waiting for the first poll…", elem_id="live-status")
    with gr.Row():
        plot = gr.Plot(label="Progress", elem_id="live-progress")
        loss = gr.Plot(label="Training loss", elem_id="live-loss")
    return LiveView(follow, bar, text, plot, loss)


def wire(view: LiveView, shared: Shared, on: On) -> None:
    """Each tick of the timer polls the history; a new version string (the run advanced)
    reloads the other views of the run."""
    on(shared.timer.tick, poll_live, [shared.run, view.follow, shared.version],
       [view.text, view.bar, view.plot, view.loss, shared.version], "poll_live",
       trigger_mode="once")
    if "live" in shared.tabs:  # a chart drawn while its tab was hidden shows blank: redraw
        on(shared.tabs["live"].select, forget_version, [], [shared.version], "redraw_live")


def forget_version(deps: Deps) -> str:
    """An empty version string: the next poll sends the charts again."""
    return ""


def poll_live(deps: Deps, selected: str | None, follow: bool, seen: str | None) -> tuple[Any, ...]:
    """One poll: status text, progress bar, curves (the accuracy curve only when an iteration
    landed; the loss while training) and the run's version string ``run:iterations:status``
    (its change refreshes the other views)."""
    row, its = summaries.live(deps.history, selected, follow=bool(follow))
    if row is None:
        return ("No run yet: start one on the **Runs** tab, or run `curriculab run` in a terminal.",
                progress_bar(0.0), charts.empty("Mean accuracy so far", "no run"),
                charts.empty("Training loss", "no run"), "")
    version = f"{row['run_id']}:{len(its)}:{row['status']}"
    where = ("started in this app" if deps.runner.started_here(row["run_id"])
             else "headless (another process)")
    detail = phase_detail(row)
    training = bool(detail.get("losses")) and row.get("phase") == "train"
    figure = charts.progress_curve(its) if version != seen else gr.skip()
    loss = (charts.loss_curve(its, detail.get("losses") if training else None)
            if version != seen or training else gr.skip())
    return (status_text(row, its, where), progress_bar(fraction(row, its)), figure, loss, version)


def phase_detail(row: dict[str, Any]) -> dict[str, Any]:
    """The work done within the current phase (``{"unit", "done", "total", "loss", ...}``)."""
    raw = row.get("phase_detail")
    if raw is None or missing(raw) or row.get("status") != ACTIVE:
        return {}
    try:
        return dict(json.loads(raw)) if isinstance(raw, str) else dict(raw)
    except (ValueError, TypeError):
        return {}


# Share of an iteration's time per phase, for the progress bar inside one iteration.
_PHASE_SPAN = {"plan": (0.0, 0.05), "generate": (0.05, 0.2), "check": (0.2, 0.25),
               "train": (0.25, 0.75), "evaluate": (0.75, 1.0)}


def fraction(row: dict[str, Any], its: pd.DataFrame) -> float:
    """Completed iterations over planned ones (1.0 once completed), plus the share of the
    current iteration done so far (iteration 0, the first evaluation, counts as one)."""
    if row["status"] == "completed":
        return 1.0
    total = int(row["iterations"] or 0) + 1
    done = int(its.iteration.max()) + 1 if not its.empty else 0
    within = 0.0
    detail = phase_detail(row)
    if row["status"] == ACTIVE and row.get("phase") in _PHASE_SPAN:
        lo, hi = _PHASE_SPAN[row["phase"]]
        share = detail["done"] / detail["total"] if detail.get("total") else 0.0
        within = lo + (hi - lo) * min(1.0, share)
    return min(1.0, (done + within) / total) if total else 0.0


def eta_seconds(row: dict[str, Any], its: pd.DataFrame) -> float | None:
    """Time left: mean iteration time x iterations left, less the current one's elapsed
    time; never 0 while work goes on (the current phase's own rate bounds it from below)."""
    if row["status"] != ACTIVE:
        return None
    detail = phase_detail(row)
    phase_left = None
    if detail.get("done") and detail.get("total") and detail.get("seconds") is not None:
        rate = float(detail["seconds"]) / int(detail["done"])
        phase_left = rate * max(0, int(detail["total"]) - int(detail["done"]))
    taught = its[its.iteration > 0] if not its.empty else its
    if its.empty or taught.empty:
        return phase_left
    per_iteration = float(taught.t_total.mean())
    left = int(row["iterations"]) - int(its.iteration.max())
    elapsed = (utcnow() - its.ended_at.iloc[-1].to_pydatetime()).total_seconds()
    guess = left * per_iteration - elapsed
    floor = max(phase_left or 0.0, (left - 1) * per_iteration, 1.0)
    return max(guess, floor)


def status_text(row: dict[str, Any], its: pd.DataFrame, where: str) -> str:
    """The Live view's Markdown for one run."""
    done = int(its.iteration.max()) if not its.empty else None
    phase = row.get("phase") or "starting"
    lines = [f"### {row.get('name') or row['run_id']} — {row['status']}",
             f"`{row['run_id']}` · {run_label(pd.Series(row))} · {row['student']} · {where}", ""]
    if row["status"] == ACTIVE:
        lines.append(f"**Phase:** {phase} of iteration {row.get('phase_iteration') or 0}"
                     f" / {row['iterations']}{_work(phase_detail(row))}  ")
    lines.append(f"**Completed iterations:** {'none yet' if done is None else done} of {row['iterations']}  ")
    if not its.empty:
        last = its.iloc[-1]
        lines.append(f"**Mean accuracy:** val {pct(last.val_mean)}, test {pct(last.test_mean)}"
                     f" after {int(last.examples_used)} examples  ")
    if not its.empty and not missing(its.loss_last.iloc[-1]):
        lines.append(f"**Training loss:** {its.loss_last.iloc[-1]:.3f} at the end of iteration"
                     f" {int(its.iteration.iloc[-1])}  ")
    if row["status"] == ACTIVE:
        eta = eta_seconds(row, its)
        lines.append(f"**Time left:** {'about ' + duration(eta) if eta is not None else 'estimated once the current phase reports progress'}  ")
        beat = row.get("heartbeat_at")
        if not missing(beat):
            lines.append(f"**Last heartbeat:** {duration((utcnow() - beat.to_pydatetime()).total_seconds())} ago  ")
    if row.get("message"):
        lines.append(f"**Message:** {row['message']}")
    return "\n".join(lines)


def _work(detail: dict[str, Any]) -> str:
    """`` — 120 / 400 steps, loss 1.234`` for the phase's work so far."""
    if not detail.get("total"):
        return ""
    text = f" — {detail['done']:,} / {detail['total']:,} {detail.get('unit', '')}"
    if detail.get("loss") is not None:
        text += f", loss {float(detail['loss']):.3f}"
    return text


def progress_bar(fraction: float) -> str:
    """A plain HTML progress bar (no JavaScript, so it works inline in notebooks too)."""
    width = f"{100 * max(0.0, min(1.0, fraction)):.1f}%"
    return (f'<div class="cl-progress" style="background:#e5e7eb;border-radius:6px;height:18px;">'
            f'<div style="width:{width};background:#2563eb;height:18px;border-radius:6px;'
            f'color:white;font-size:12px;text-align:right;padding-right:6px;">{width}</div></div>')
