"""The browser app: ``build_app(history, runner) -> gr.Blocks``. Layout and wiring only.

Handlers live in ``ui/views/`` and charts in ``ui/charts.py``; every event carries an
``api_name`` so ``gradio_client`` can drive it. In a notebook, ``build_app(...).launch()``
renders inline.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gradio as gr

from envs.history import History
from ui.handlers import Deps, bind
from ui.launcher import Launcher
from ui.views import compare, cost, curriculum, data, errors, live, profile, runs, steer

POLL_S = 1.0  # the Live and Steer views poll the history (and the runner) this often
FORM_MENUS = {"task": "Task", "level": "Environment level", "policy": "Policy", "engine": "Engine",
              "student": "Student"}
TINY_STUDENT = '{"d_model": 32, "layers": 1, "heads": 2, "epochs": 1}'


def build_app(history: History | str | Path, runner: Launcher | None = None, *,
              poll_s: float = POLL_S) -> gr.Blocks:
    """The Curriculab app over ``history``; runs started in it go through ``runner``."""
    history = history if isinstance(history, History) else History(history)
    deps = Deps(history, runner or Launcher(history))
    with gr.Blocks(title="Curriculab", analytics_enabled=False) as app:
        gr.Markdown(f"## Curriculab  \n<small>history: `{history.path}`</small>")
        with gr.Row():
            run = gr.Dropdown(label="Run", choices=[], scale=5, elem_id="run-menu",
                              allow_custom_value=True)
            refresh = gr.Button("Refresh", scale=1, size="sm")
        version = gr.State("")
        with gr.Tabs():
            ui = SimpleNamespace(run=run, version=version)
            with gr.Tab("Runs", id="runs"):
                _runs_tab(ui)
            with gr.Tab("Live", id="live"):
                _live_tab(ui)
            with gr.Tab("Skill profile", id="profile"):
                _profile_tab(ui)
            with gr.Tab("Curriculum", id="curriculum"):
                _curriculum_tab(ui)
            with gr.Tab("Data", id="data"):
                _data_tab(ui)
            with gr.Tab("Errors", id="errors"):
                _errors_tab(ui)
            with gr.Tab("Compare", id="compare"):
                _compare_tab(ui)
            with gr.Tab("Steer", id="steer"):
                _steer_tab(ui)
            with gr.Tab("Cost", id="cost"):
                _cost_tab(ui)
        ui.timer, ui.steer_timer = gr.Timer(poll_s), gr.Timer(poll_s)
        _wire(ui, deps, refresh, app)
    return app


def _runs_tab(ui: SimpleNamespace) -> None:
    ui.runs_table = gr.HTML(elem_id="runs-table")
    with gr.Accordion("Start a run", open=True):
        with gr.Row():
            ui.form_menus = [gr.Dropdown([runs.DEFAULTS[k]], value=runs.DEFAULTS[k], label=label,
                                         allow_custom_value=True) for k, label in FORM_MENUS.items()]
            ui.task, ui.level, ui.policy, ui.engine, ui.student = ui.form_menus
        with gr.Row():
            ui.budget = gr.Number(600, label="Budget (examples per iteration)", precision=0)
            ui.iterations = gr.Number(6, label="Iterations", precision=0)
            ui.seed = gr.Number(0, label="Seed", precision=0)
            ui.steer = gr.Checkbox(False, label="Steer: approve each plan in the Steer tab")
        with gr.Row():
            ui.task_options = gr.Textbox("{}", label="Task options (JSON)")
            ui.student_options = gr.Textbox("{}", label="Student options (JSON)",
                                             placeholder=TINY_STUDENT)
            ui.llm_base_url = gr.Textbox("", label="LLM base URL (LLM policies/engines)",
                                         placeholder="http://127.0.0.1:8000/v1")
            ui.llm_model = gr.Textbox("", label="LLM model", placeholder="gpt-4o-mini")
        with gr.Row():
            ui.start = gr.Button("Start run", variant="primary", elem_id="start-run")
            ui.stop = gr.Button("Stop selected run", variant="stop")
            ui.resume = gr.Button("Resume selected run")
    ui.runs_message = gr.Markdown(elem_id="runs-message")


def _live_tab(ui: SimpleNamespace) -> None:
    ui.follow = gr.Checkbox(True, label="Follow the newest running run (else the selected run)")
    ui.live_bar = gr.HTML(live.progress_bar(0.0))
    ui.live_text = gr.Markdown("Waiting for the first poll…", elem_id="live-status")
    ui.live_plot = gr.Plot(label="Progress")


def _profile_tab(ui: SimpleNamespace) -> None:
    ui.heatmap = gr.Plot(label="Skill x iteration", elem_id="skill-heatmap")
    ui.alerts = gr.Markdown()
    with gr.Row():
        ui.curves = gr.Plot(label="Per-skill curves")
        ui.start_end = gr.Plot(label="Test accuracy: start and end")


def _curriculum_tab(ui: SimpleNamespace) -> None:
    ui.alloc = gr.Plot(label="Allocations")
    ui.plans = gr.Dataframe(label="The teacher's reasoning per iteration", interactive=False,
                            wrap=True, max_height=320)
    with gr.Row():
        ui.qc = gr.Plot(label="QC yield")
        ui.forest = gr.Plot(label="Skill-Tree forest")
    ui.forest_table = gr.Dataframe(label="Subskills: allocations and rewards", interactive=False)


def _data_tab(ui: SimpleNamespace) -> None:
    with gr.Row():
        ui.data_iteration = gr.Dropdown(["all"], value="all", label="Iteration", allow_custom_value=True)
        ui.data_skill = gr.Dropdown(["all"], value="all", label="Skill", allow_custom_value=True)
        ui.data_verdict = gr.Radio(list(data.VERDICTS), value="all", label="QC verdict")
        ui.data_search = gr.Textbox("", label="Search prompt, answer or reason")
        ui.data_page = gr.Number(0, label="Page", precision=0, minimum=0)
    ui.data_go = gr.Button("Search")
    ui.data_summary = gr.Markdown()
    ui.data_table = gr.Dataframe(interactive=False, wrap=True, max_height=420)
    with gr.Row():
        ui.call_iteration = gr.Number(label="Iteration", precision=0)
        ui.call_seq = gr.Number(label="Example #", precision=0)
        ui.call_go = gr.Button("Open teacher call")
    ui.call_view = gr.Markdown()


def _errors_tab(ui: SimpleNamespace) -> None:
    ui.err_split = gr.Radio(list(errors.SPLITS), value="val", label="Split")
    ui.err_plot = gr.Plot(label="Wrong answers")
    with gr.Row():
        ui.err_iteration = gr.Dropdown([], label="Iteration", allow_custom_value=True)
        ui.err_skill = gr.Dropdown([], label="Skill", allow_custom_value=True)
    ui.err_table = gr.Dataframe(label="Wrong answers (click one for its history)",
                                interactive=False, max_height=360)
    with gr.Row():
        ui.item_id = gr.Textbox(label="Item id")
        ui.item_go = gr.Button("Show its answers")
    ui.item_head = gr.Markdown()
    ui.item_table = gr.Dataframe(label="Answers across iterations", interactive=False)


def _compare_tab(ui: SimpleNamespace) -> None:
    ui.cmp_runs = gr.Dropdown([], multiselect=True, label="Runs to compare (two or more)",
                              allow_custom_value=True)
    ui.cmp_go = gr.Button("Compare", variant="primary")
    ui.cmp_plot = gr.Plot(label="Mean test accuracy against examples used")
    ui.cmp_table = gr.Dataframe(label="Final test accuracy per skill (%)", interactive=False)
    ui.cmp_file = gr.File(label="CSV of the table")
    ui.cmp_diff = gr.Dataframe(label="Config differences only", interactive=False)


def _steer_tab(ui: SimpleNamespace) -> None:
    ui.steer_status = gr.Markdown(steer._idle())
    ui.steer_reason = gr.Markdown()
    ui.steer_table = gr.Dataframe(headers=steer.COLUMNS, interactive=True, label="Plan (editable)",
                                  datatype=["str", "str", "number"], elem_id="steer-table")
    ui.steer_notes = gr.Textbox(label="Notes (recorded with the plan)")
    ui.steer_key = gr.Textbox(label="Waiting run", interactive=False)
    ui.approve = gr.Button("Approve plan", variant="primary")
    ui.steer_message = gr.Markdown()


def _cost_tab(ui: SimpleNamespace) -> None:
    ui.cost_text = gr.Markdown()
    with gr.Row():
        ui.cost_iter = gr.Plot(label="Per iteration")
        ui.cost_skill = gr.Plot(label="Per skill")
    ui.cost_table = gr.Dataframe(label="Per skill", interactive=False)


def _wire(ui: SimpleNamespace, deps: Deps, refresh: gr.Button, app: gr.Blocks) -> None:
    """Connect events to handlers (each bound to ``deps``); every event has an ``api_name``."""
    def on(event, fn, inputs, outputs, name: str, **kw):
        return event(bind(fn, deps), inputs, outputs, api_name=name, **kw)

    menus = [ui.runs_table, ui.run, ui.cmp_runs]
    on(app.load, runs.refresh, [ui.run], menus, "runs")
    on(app.load, runs.form_menus, [], ui.form_menus, "form_menus")
    on(refresh.click, runs.refresh, [ui.run], menus, "refresh")
    form = [ui.task, ui.task_options, ui.level, ui.policy, ui.engine, ui.student,
            ui.student_options, ui.llm_base_url, ui.llm_model, ui.budget, ui.iterations, ui.seed,
            ui.steer]
    on(ui.start.click, runs.start, form, [ui.runs_message, *menus], "start_run")
    on(ui.stop.click, runs.stop, [ui.run], [ui.runs_message, *menus], "stop_run")
    on(ui.resume.click, runs.resume, [ui.run, ui.steer], [ui.runs_message, *menus], "resume_run")
    on(ui.timer.tick, live.tick, [ui.run, ui.follow, ui.version],
       [ui.live_text, ui.live_bar, ui.live_plot, ui.version], "live", trigger_mode="once")
    _wire_run_views(ui, deps, on)
    _wire_browsing(ui, on)
    on(ui.cmp_go.click, compare.compare, [ui.cmp_runs],
       [ui.cmp_plot, ui.cmp_table, ui.cmp_diff, ui.cmp_file], "compare")
    on(ui.steer_timer.tick, steer.poll, [ui.steer_key],
       [ui.steer_status, ui.steer_table, ui.steer_reason, ui.steer_key], "steer_poll",
       trigger_mode="once")
    on(ui.approve.click, steer.approve, [ui.steer_key, ui.steer_table, ui.steer_notes],
       [ui.steer_message], "approve_plan")


def _wire_run_views(ui: SimpleNamespace, deps: Deps, on) -> None:
    """Views of the selected run: loaded when the run changes, reloaded when it advances."""
    views = [
        (profile.load, [ui.run], [ui.heatmap, ui.curves, ui.start_end, ui.alerts], "profile"),
        (curriculum.load, [ui.run], [ui.alloc, ui.plans, ui.qc, ui.forest, ui.forest_table],
         "curriculum"),
        (errors.load, [ui.run, ui.err_split], [ui.err_plot], "errors"),
        (cost.load, [ui.run], [ui.cost_text, ui.cost_iter, ui.cost_skill, ui.cost_table], "cost"),
        (data.menus, [ui.run, ui.data_skill, ui.data_iteration, ui.err_skill, ui.err_iteration],
         [ui.data_skill, ui.data_iteration, ui.err_skill, ui.err_iteration], "menus"),
    ]
    for fn, inputs, outputs, name in views:
        on(ui.run.change, fn, inputs, outputs, name)
        on(ui.version.change, fn, inputs, outputs, f"{name}_update", show_progress="hidden")
    on(ui.version.change, runs.refresh, [ui.run], [ui.runs_table, ui.run, ui.cmp_runs],
       "runs_update", show_progress="hidden")
    on(ui.err_split.change, errors.load, [ui.run, ui.err_split], [ui.err_plot], "errors_split")


def _wire_browsing(ui: SimpleNamespace, on) -> None:
    """The Data and Errors views' filters, row clicks and look-ups."""
    query = [ui.run, ui.data_iteration, ui.data_skill, ui.data_verdict, ui.data_search, ui.data_page]
    out = [ui.data_table, ui.data_summary]
    on(ui.data_go.click, data.search, query, out, "examples")
    on(ui.run.change, data.search, query, out, "examples_run")
    on(ui.data_search.submit, data.search, query, out, "examples_submit")
    for k, box in enumerate([ui.data_iteration, ui.data_skill, ui.data_verdict, ui.data_page]):
        on(box.change, data.search, query, out, f"examples_filter_{k}")
    on(ui.data_table.select, data.open_selected, [ui.run], [ui.call_view], "open_example")
    on(ui.call_go.click, data.call, [ui.run, ui.call_iteration, ui.call_seq], [ui.call_view],
       "teacher_call")
    wrong = [ui.run, ui.err_split, ui.err_iteration, ui.err_skill]
    on(ui.err_iteration.change, errors.wrong, wrong, [ui.err_table], "wrong_answers")
    on(ui.err_skill.change, errors.wrong, wrong, [ui.err_table], "wrong_answers_skill")
    on(ui.err_table.select, errors.item_selected, [ui.run, ui.err_split],
       [ui.item_head, ui.item_table], "item_selected")
    on(ui.item_go.click, errors.item, [ui.run, ui.err_split, ui.item_id],
       [ui.item_head, ui.item_table], "item_answers")
