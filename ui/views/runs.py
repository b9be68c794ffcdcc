"""View 1, Runs: every run, and the form that starts, stops and resumes them."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, fields
from typing import Any

import gradio as gr
import pandas as pd

from agents.config import RunConfig
from envs.history import summaries
from envs.level import Level
from students.errors import ConfigError
from ui.handlers import Deps, On, Shared, missing, pct, require_run, run_choices

COLUMNS = ["run", "status", "where", "task", "level", "teacher", "student", "seed", "iterations",
           "final val", "final test", "examples", "started"]
MENUS = {"task": "Task", "level": "Environment level", "policy": "Policy", "engine": "Engine",
         "student": "Student"}
TINY_STUDENT = '{"d_model": 32, "layers": 1, "heads": 2, "epochs": 1}'


@dataclass(frozen=True, slots=True)
class Form:
    """The Start form; its fields in the order ``start_run`` takes them."""

    task: gr.Dropdown
    task_options: gr.Textbox
    level: gr.Dropdown
    policy: gr.Dropdown
    engine: gr.Dropdown
    student: gr.Dropdown
    student_options: gr.Textbox
    llm_base_url: gr.Textbox
    llm_model: gr.Textbox
    budget: gr.Number
    iterations: gr.Number
    seed: gr.Number
    steer: gr.Checkbox

    def inputs(self) -> list[Any]:
        return [getattr(self, f.name) for f in fields(self)]

    def menus(self) -> list[gr.Dropdown]:
        """The menus ``form_menus`` fills from the registries."""
        return [getattr(self, name) for name in MENUS]


@dataclass(frozen=True, slots=True)
class RunsView:
    table: gr.HTML
    form: Form
    start: gr.Button
    stop: gr.Button
    resume: gr.Button
    message: gr.Markdown


def build() -> RunsView:
    """The runs table and the Start form, filled with ``RunConfig()``'s defaults."""
    table = gr.HTML(elem_id="runs-table")
    with gr.Accordion("Start a run", open=True):
        form = _form(form_defaults())
        with gr.Row():
            start = gr.Button("Start run", variant="primary", elem_id="start-run")
            stop = gr.Button("Stop selected run", variant="stop")
            resume = gr.Button("Resume selected run")
    return RunsView(table, form, start, stop, resume, gr.Markdown(elem_id="runs-message"))


def _form(defaults: dict[str, Any]) -> Form:
    with gr.Row():
        menus = {name: gr.Dropdown([defaults[name]], value=defaults[name], label=label,
                                   allow_custom_value=True) for name, label in MENUS.items()}
    with gr.Row():
        budget = gr.Number(defaults["budget"], label="Budget (examples per iteration)", precision=0)
        iterations = gr.Number(defaults["iterations"], label="Iterations", precision=0)
        seed = gr.Number(defaults["seed"], label="Seed", precision=0)
        steer = gr.Checkbox(False, label="Steer: approve each plan in the Steer tab")
    with gr.Row():
        task_options = gr.Textbox("{}", label="Task options (JSON)")
        student_options = gr.Textbox("{}", label="Student options (JSON)", placeholder=TINY_STUDENT)
        llm_base_url = gr.Textbox("", label="LLM base URL (LLM policies/engines)",
                                  placeholder="http://127.0.0.1:8000/v1")
        llm_model = gr.Textbox("", label="LLM model", placeholder="gpt-4o-mini")
    return Form(task_options=task_options, student_options=student_options,
                llm_base_url=llm_base_url, llm_model=llm_model, budget=budget,
                iterations=iterations, seed=seed, steer=steer, **menus)


def wire(view: RunsView, shared: Shared, on: On, *, compare_menu: gr.Dropdown) -> None:
    """The runs table and run menus (``compare_menu`` too) fill on page load, on Refresh and as
    the selected run advances; the form's buttons start, stop and resume runs."""
    menus = [view.table, shared.run, compare_menu]
    on(shared.page.load, list_runs, [shared.run], menus, "list_runs")
    on(shared.page.load, form_menus, [], view.form.menus(), "form_menus")
    on(shared.refresh.click, list_runs, [shared.run], menus, "refresh_runs")
    on(shared.version.change, list_runs, [shared.run], menus, "list_runs_on_progress",
       show_progress="hidden")
    on(view.start.click, start_run, view.form.inputs(), [view.message, *menus], "start_run")
    on(view.stop.click, stop_run, [shared.run], [view.message, *menus], "stop_run")
    on(view.resume.click, resume_run, [shared.run, view.form.steer], [view.message, *menus],
       "resume_run")


def form_defaults() -> dict[str, Any]:
    """The form's starting values: ``RunConfig()``'s, the same defaults the CLI runs with."""
    config = RunConfig()
    return {"task": config.task.id, "level": str(config.teacher.level),
            "policy": config.teacher.policy, "engine": config.teacher.engine,
            "student": config.student.id, "budget": config.teacher.budget,
            "iterations": config.iterations, "seed": config.seed}


def table(deps: Deps, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The runs table as the person sees it (percentages, teacher = policy + engine)."""
    runs = summaries.runs(deps.history) if runs is None else runs
    rows = [[r.run_id, r.status, "here" if deps.runner.started_here(r.run_id) else "headless",
             r.task, r.level, f"{r.policy} + {r.engine}", r.student, r.seed,
             f"{int(r.done)}/{r.iterations}", pct(r.final_val), pct(r.final_test),
             0 if missing(r.examples_used) else int(r.examples_used),
             str(r.created_at)[:19]] for r in runs.itertuples()]
    return pd.DataFrame(rows, columns=COLUMNS)


def html_table(frame: pd.DataFrame) -> str:
    """The runs table as plain HTML: a browser draws hundreds of rows of it at once, where a
    data-grid component takes seconds on a small machine."""
    if frame.empty:
        return "<p>No runs yet: start one below, or run <code>curriculab run</code> in a terminal.</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = "".join(
        f'<tr data-run="{html.escape(str(row[0]))}">'
        + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False))
    return (f'<div class="cl-runs" style="max-height:360px;overflow:auto">'
            f'<table style="width:100%;font-size:13px"><thead style="position:sticky;top:0">'
            f"<tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")


def list_runs(deps: Deps, selected: str | None) -> tuple[str, Any, Any]:
    """The runs table, the run menu (keeping the selection, else the newest run) and the
    Compare view's run menu."""
    runs = summaries.runs(deps.history)
    ids = list(runs.run_id)
    value = selected if selected in ids else (ids[0] if ids else None)
    choices = run_choices(runs)
    return (html_table(table(deps, runs)), gr.Dropdown(choices=choices, value=value),
            gr.Dropdown(choices=choices))


def start_run(deps: Deps, task: str, task_options: str, level: str, policy: str, engine: str,
          student: str, student_options: str, llm_base_url: str, llm_model: str, budget: float,
          iterations: float, seed: float, steer: bool) -> tuple[str, str, Any, Any]:
    """Start a run from the form in a background thread of the app."""
    config = config_from_form(task, task_options, level, policy, engine, student, student_options,
                              llm_base_url, llm_model, budget, iterations, seed)
    run_id = deps.runner.start(config, steer=bool(steer))
    note = " It will wait for your approval at each plan (Steer tab)." if steer else ""
    return (f"Started **{run_id}**.{note}", *list_runs(deps, run_id))


def stop_run(deps: Deps, run_id: str | None) -> tuple[str, str, Any, Any]:
    message = deps.runner.stop(require_run(run_id))
    return (message, *list_runs(deps, run_id))


def resume_run(deps: Deps, run_id: str | None, steer: bool) -> tuple[str, str, Any, Any]:
    run_id = deps.runner.resume(require_run(run_id), steer=bool(steer))
    return (f"Resuming **{run_id}** from its last completed iteration.", *list_runs(deps, run_id))


def config_from_form(task: str, task_options: str, level: str, policy: str, engine: str,
                     student: str, student_options: str, llm_base_url: str, llm_model: str,
                     budget: float, iterations: float, seed: float) -> RunConfig:
    """A RunConfig from the form's fields (options are JSON objects); ConfigError names a bad one."""
    data: dict[str, Any] = {
        "task": {"id": task, "options": _json_object(task_options, "task options")},
        "student": {"id": student, "options": _json_object(student_options, "student options")},
        "teacher": {"policy": policy, "engine": engine, "level": level,
                    "budget": _whole(budget, "budget")},
        "iterations": _whole(iterations, "iterations"),
        "seed": _whole(seed, "seed", minimum=0),
    }
    llm = {k: v.strip() for k, v in (("base_url", llm_base_url or ""), ("model", llm_model or ""))
           if v.strip()}
    if llm:
        if "llm" not in {f.name for f in fields(RunConfig)}:
            raise ConfigError("this version has no LLM settings in its run config")
        data["llm"] = llm
    return RunConfig.from_dict(data)


def _json_object(text: str, what: str) -> dict[str, Any]:
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{what} must be a JSON object such as {{\"layers\": 1}}: {e.msg}") from e
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be a JSON object such as {{\"layers\": 1}}")
    return value


def _whole(value: float | None, what: str, minimum: int = 1) -> int:
    if value is None or float(value) != int(value) or int(value) < minimum:
        raise ConfigError(f"{what} must be a whole number >= {minimum}, got {value}")
    return int(value)


def form_menus(deps: Deps) -> tuple[Any, ...]:
    """The form's menus filled from the registries (loading them imports torch: seconds, so
    this runs after the page is up rather than while the app is built)."""
    ids, defaults = registered(), form_defaults()
    return tuple(gr.Dropdown(choices=ids[k], value=defaults[k] if defaults[k] in ids[k] else None)
                 for k in MENUS)


def registered() -> dict[str, list[str]]:
    """The ids the form offers: tasks, environment levels, policies, engines and students."""
    import agents.engine as engine
    import agents.policy as policy
    import envs.tasks.task as task
    import students

    # ids() fills each registry on first use: the built-ins, then the installed plug-ins
    return {"task": task.TASKS.ids(), "level": [str(level) for level in Level],
            "policy": policy.POLICIES.ids(), "engine": engine.ENGINES.ids(),
            "student": students.STUDENTS.ids()}
