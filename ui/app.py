"""The browser app: ``build_app(history, runner) -> gr.Blocks``. It only assembles the page.

Each view (``ui/views/``) builds its widgets into a typed holder, wires its events and holds
its handlers; charts are in ``ui/charts.py``. Every event carries an ``api_name`` so
``gradio_client`` can drive it. In a notebook, ``build_app(...).launch()`` renders inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from envs.history import History
from ui.handlers import Deps, On, Shared, connect
from ui.launcher import Launcher
from ui.views import compare, cost, curriculum, data, errors, live, profile, runs, steer
from ui.views.compare import CompareView
from ui.views.cost import CostView
from ui.views.curriculum import CurriculumView
from ui.views.data import DataView
from ui.views.errors import ErrorsView
from ui.views.live import LiveView
from ui.views.profile import ProfileView
from ui.views.runs import RunsView
from ui.views.steer import SteerView

POLL_S = 1.0  # the Live and Steer views poll the history (and the runner) this often
TABS = {"runs": ("Runs", runs), "live": ("Live", live), "profile": ("Skill profile", profile),
        "curriculum": ("Curriculum", curriculum), "data": ("Data", data),
        "errors": ("Errors", errors), "compare": ("Compare", compare), "steer": ("Steer", steer),
        "cost": ("Cost", cost)}


@dataclass(frozen=True, slots=True)
class Views:
    """Each tab's widgets, by the tab's id."""

    runs: RunsView
    live: LiveView
    profile: ProfileView
    curriculum: CurriculumView
    data: DataView
    errors: ErrorsView
    compare: CompareView
    steer: SteerView
    cost: CostView


INTRO = """**Curriculab** studies *teachers*: policies that write training data for a small
student model, skill by skill. Each run evaluates the student per skill, lets the teacher plan
and generate examples for the skills it picks, trains the student on them, and repeats; every
step is recorded in the history file below. **Start here:** the form under *Start a run* runs
the offline demo with its defaults (a tiny model on arithmetic skills, minutes on a laptop).
Then click a run in the table to select it and open **Live**, **Skill profile** or
**Curriculum**; **Compare** sets runs side by side."""


def build_app(history: History | str | Path, runner: Launcher | None = None, *,
              poll_s: float = POLL_S) -> gr.Blocks:
    """The Curriculab app over ``history``; runs started in it go through ``runner``."""
    history = history if isinstance(history, History) else History(history)
    on = connect(Deps(history, runner or Launcher(history)))
    with gr.Blocks(title="Curriculab", analytics_enabled=False) as app:
        gr.Markdown(f"## Curriculab  \n<small>history: `{history.path}`</small>")
        gr.HTML("", head=f"<style>{_CSS}</style>", elem_id="cl-style")
        with gr.Accordion("What is this? What do I do first?", open=False, elem_id="intro"):
            gr.Markdown(INTRO)
        with gr.Row():
            run = gr.Dropdown(label="Run (or click a row of the runs table)", choices=[], scale=5,
                              elem_id="run-menu", allow_custom_value=True)
            refresh = gr.Button("Refresh", scale=1, size="sm")
        version, tab = gr.State(""), gr.State("runs")
        with gr.Tabs():
            views, tabs = _tabs()
        shared = Shared(app, run, refresh, version, gr.Timer(poll_s), gr.Timer(poll_s), tab, tabs)
        for tab_id, widget in tabs.items():  # the tab on screen: views off screen load nothing
            on(widget.select, _showing(tab_id), [], [tab], f"show_{tab_id}", queue=False)
        _wire(views, shared, on)
    return app


def _showing(tab_id: str):
    def show(deps) -> str:
        return tab_id

    show.__name__ = f"show_{tab_id}"
    return show


def _tabs() -> tuple[Views, dict[str, gr.Tab]]:
    built, tabs = {}, {}
    for tab_id, (label, view) in TABS.items():
        with gr.Tab(label, id=tab_id, elem_id=f"tab-{tab_id}") as tabs[tab_id]:
            built[tab_id] = view.build()
    return Views(**built), tabs


def _wire(views: Views, shared: Shared, on: On) -> None:
    """Each view wires its own events; two views also fill menus that live in another."""
    wiring = {
        "runs": lambda: runs.wire(views.runs, shared, on, compare_menu=views.compare.runs),
        "live": lambda: live.wire(views.live, shared, on),
        "profile": lambda: profile.wire(views.profile, shared, on),
        "curriculum": lambda: curriculum.wire(views.curriculum, shared, on),
        "data": lambda: data.wire(views.data, shared, on, error_menus=views.errors.menus()),
        "errors": lambda: errors.wire(views.errors, shared, on),
        "compare": lambda: compare.wire(views.compare, shared, on),
        "steer": lambda: steer.wire(views.steer, shared, on),
        "cost": lambda: cost.wire(views.cost, shared, on),
    }
    for tab_id, wire in wiring.items():
        shared.wiring["tab"] = tab_id
        wire()
    shared.wiring.clear()


# Tables wrap their text; headers break between words, never inside one. Below 900 px the
# runs table keeps its key columns (name, status, task, policy, progress, final val).
_CSS = """
.cl-runs table {border-collapse: collapse; width: 100%; font-size: 13px;}
.cl-runs th {position: sticky; top: 0; background: var(--background-fill-secondary);
  text-align: left; word-break: keep-all; overflow-wrap: normal; hyphens: none;
  white-space: nowrap; padding: 4px 6px;}
.cl-runs td {padding: 3px 6px; white-space: normal; overflow-wrap: break-word;
  border-top: 1px solid var(--border-color-primary);}
.cl-runs td:first-child {min-width: 9em;}
.cl-runs tr[data-run] {cursor: pointer;}
.cl-runs tr[data-run]:hover {background: var(--background-fill-secondary);}
.cl-runs tr.cl-selected {background: #dbeafe; font-weight: 600;}
.gradio-container table th, .gradio-container table th * {word-break: keep-all !important;
  overflow-wrap: normal !important; hyphens: none !important;}
.gradio-container table td, .gradio-container table td * {white-space: normal !important;
  overflow-wrap: break-word;}
@media (max-width: 900px) {
  .cl-runs .cl-wide {display: none;}
}
"""
