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


def build_app(history: History | str | Path, runner: Launcher | None = None, *,
              poll_s: float = POLL_S) -> gr.Blocks:
    """The Curriculab app over ``history``; runs started in it go through ``runner``."""
    history = history if isinstance(history, History) else History(history)
    on = connect(Deps(history, runner or Launcher(history)))
    with gr.Blocks(title="Curriculab", analytics_enabled=False) as app:
        gr.Markdown(f"## Curriculab  \n<small>history: `{history.path}`</small>")
        with gr.Row():
            run = gr.Dropdown(label="Run", choices=[], scale=5, elem_id="run-menu",
                              allow_custom_value=True)
            refresh = gr.Button("Refresh", scale=1, size="sm")
        version = gr.State("")
        with gr.Tabs():
            views = _tabs()
        shared = Shared(app, run, refresh, version, gr.Timer(poll_s), gr.Timer(poll_s))
        _wire(views, shared, on)
    return app


def _tabs() -> Views:
    built = {}
    for tab_id, (label, view) in TABS.items():
        with gr.Tab(label, id=tab_id):
            built[tab_id] = view.build()
    return Views(**built)


def _wire(views: Views, shared: Shared, on: On) -> None:
    """Each view wires its own events; two views also fill menus that live in another."""
    runs.wire(views.runs, shared, on, compare_menu=views.compare.runs)
    live.wire(views.live, shared, on)
    profile.wire(views.profile, shared, on)
    curriculum.wire(views.curriculum, shared, on)
    data.wire(views.data, shared, on, error_menus=views.errors.menus())
    errors.wire(views.errors, shared, on)
    compare.wire(views.compare, shared, on)
    steer.wire(views.steer, shared, on)
    cost.wire(views.cost, shared, on)
