"""View 1, Runs: every run (searchable, sortable, a row click selects one), the selected run's
page (name, tags, notes, config, package versions, command line), and the form that starts,
stops and resumes runs; beside its LLM fields, a check of the endpoint (``curriculab llm
check``'s probes) that a run with an LLM teacher also passes before iteration 0."""

from __future__ import annotations

import html
import json
import math
import os
import re
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

import gradio as gr
import pandas as pd

from agents.config import RunConfig
from agents.llm.config import LLMConfig
from agents.llm.redact import redact
from agents.runner import LLM_TEACHERS
from envs.history import summaries
from envs.history.queries import run_row, student_rates
from envs.history.runlog import label_run
from envs.level import Level
from students.errors import ConfigError, CurriculabError
from students.options import build as build_options
from ui import llm_check
from ui.handlers import (Deps, On, Shared, duration, follow_run, markdown_table, missing, pct,
                         require_run, run_choices, run_label)

# (header, key column at 800 px?)
COLUMNS = [("Name", True), ("Status", True), ("Where", False), ("Task", True), ("Level", False),
           ("Teacher", True), ("Student", False), ("Seed", False), ("Iterations", True),
           ("Final val", True), ("Final test", False), ("Examples", False), ("Tags", False),
           ("Started", False)]
STATUSES = ("all", "running", "completed", "stopped", "failed")
SORTS = {"newest first": ("started", False), "oldest first": ("started", True),
         "name": ("name", True), "best final val": ("final_val", False),
         "best final test": ("final_test", False), "status": ("status", True)}
MENUS = {"task": "Task", "level": "Environment level", "policy": "Policy", "engine": "Engine",
         "student": "Student"}
TINY_STUDENT = '{"d_model": 32, "layers": 1, "heads": 2, "epochs": 1}'
# Policies whose plans give every skill one count: the Skill-Tree level's subskills go unused.
NO_SUBSKILLS = frozenset({"uniform", "weakest", "oracle"})
LONG_S = 3600.0  # the form warns before a run estimated to take longer
# Seconds per generated example and per iteration's evaluation on a 2-core laptop, for a
# student no run in the history has used yet (measured on the default tiny-gpt).
PER_EXAMPLE_S, PER_ITERATION_S = 0.5, 20.0
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")  # an environment variable's name
ROW_CLICK = """element.addEventListener('click', (event) => {
  const row = event.target.closest('tr[data-run]');
  if (!row) return;
  element.querySelectorAll('tr.cl-selected').forEach(r => r.classList.remove('cl-selected'));
  row.classList.add('cl-selected');
  trigger('click', {run: row.dataset.run});
});"""


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
    llm_api_key_env: gr.Textbox

    def inputs(self) -> list[Any]:
        return [getattr(self, f.name) for f in fields(self)]

    def menus(self) -> list[gr.Dropdown]:
        """The menus ``form_menus`` fills from the registries."""
        return [getattr(self, name) for name in MENUS]


@dataclass(frozen=True, slots=True)
class Page:
    """The selected run's page: what it is, and its name, tags and notes to edit."""

    head: gr.Markdown
    name: gr.Textbox
    tags: gr.Textbox
    notes: gr.Textbox
    save: gr.Button
    config: gr.Code
    versions: gr.Markdown


@dataclass(frozen=True, slots=True)
class RunsView:
    search: gr.Textbox
    status: gr.Dropdown
    sort: gr.Dropdown
    table: gr.HTML
    page: Page
    form: Form
    estimate: gr.Markdown
    start: gr.Button
    stop: gr.Button
    resume: gr.Button
    message: gr.Markdown
    check: gr.Button  # probes the endpoint the LLM fields name
    check_result: gr.Markdown  # its table, or the one line saying why it cannot serve

    def filters(self) -> list[Any]:
        return [self.search, self.status, self.sort]


def build() -> RunsView:
    """The runs table, the selected run's page and the Start form (``RunConfig()``'s defaults)."""
    with gr.Row():
        search = gr.Textbox("", label="Search runs (name, tag, task, policy, notes)", scale=3,
                            elem_id="runs-search")
        status = gr.Dropdown(list(STATUSES), value="all", label="Status", scale=1)
        sort = gr.Dropdown(list(SORTS), value="newest first", label="Sort by", scale=1)
    table = gr.HTML(elem_id="runs-table", js_on_load=ROW_CLICK)
    with gr.Row():
        stop = gr.Button("Stop selected run", variant="stop", elem_id="stop-run")
        resume = gr.Button("Resume selected run", elem_id="resume-run")
    message = gr.Markdown(elem_id="runs-message")
    with gr.Accordion("Selected run", open=True):
        page = _page()
    with gr.Accordion("Start a run", open=True):
        form, check, check_result = _form(form_defaults())
        estimate = gr.Markdown(elem_id="run-estimate")
        start = gr.Button("Start run", variant="primary", elem_id="start-run")
    return RunsView(search, status, sort, table, page, form, estimate, start, stop, resume, message,
                    check=check, check_result=check_result)


def _page() -> Page:
    head = gr.Markdown("Click a run in the table to see it here.", elem_id="run-page")
    with gr.Row():
        name = gr.Textbox(label="Name", scale=2)
        tags = gr.Textbox(label="Tags (comma-separated)", scale=2)
        save = gr.Button("Save name, tags and notes", scale=1, size="sm")
    notes = gr.Textbox(label="Notes", lines=2)
    with gr.Accordion("Full config", open=False):
        config = gr.Code(language="json", label="Config")
    with gr.Accordion("Package versions", open=False):
        versions = gr.Markdown()
    return Page(head, name, tags, notes, save, config, versions)


def _form(defaults: dict[str, Any]) -> tuple[Form, gr.Button, gr.Markdown]:
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
    with gr.Row(equal_height=True):
        llm_base_url = gr.Textbox("", label="LLM base URL (LLM policies/engines)", scale=3,
                                  placeholder="http://127.0.0.1:8000/v1")
        llm_model = gr.Textbox("", label="LLM model", placeholder=LLMConfig().model, scale=2)
        llm_api_key_env = gr.Textbox(
            "", label="API key from the variable", placeholder=LLMConfig().api_key_env, scale=2,
            info="the name of an environment variable; local servers need none")
        check = gr.Button("Check endpoint", scale=1, size="sm", elem_id="check-llm")
    check_result = gr.Markdown(elem_id="llm-check")
    return Form(task_options=task_options, student_options=student_options,
                llm_base_url=llm_base_url, llm_model=llm_model, budget=budget,
                iterations=iterations, seed=seed, steer=steer, llm_api_key_env=llm_api_key_env,
                **menus), check, check_result


def wire(view: RunsView, shared: Shared, on: On, *, compare_menu: gr.Dropdown) -> None:
    """The runs table and run menus (``compare_menu`` too) fill on page load, on Refresh, as
    the filters change and quietly as the selected run advances (keeping the selection); a row
    click selects a run; the buttons start, stop and resume runs."""
    menus = [view.table, shared.run, compare_menu]
    query = [shared.run, *view.filters()]
    on(shared.page.load, list_runs, query, menus, "list_runs")
    on(shared.page.load, form_menus, [], view.form.menus(), "form_menus")
    on(shared.refresh.click, list_runs, query, menus, "refresh_runs")
    for name in ("status", "sort"):
        on(getattr(view, name).change, list_runs, query, menus, f"list_runs_on_{name}")
    on(view.search.submit, list_runs, query, menus, "list_runs_on_search")
    on(shared.version.change, refresh_runs, query, menus, "list_runs_on_progress",
       show_progress="hidden")
    on(view.table.click, select_run, [], [shared.run], "select_run")
    page = view.page
    follow_run(on, shared, run_page, [shared.run],
               [page.head, page.name, page.tags, page.notes, page.config, page.versions],
               "run_page")
    on(page.save.click, save_labels, [shared.run, page.name, page.tags, page.notes, *view.filters()],
       [view.message, *menus], "save_labels")
    on(view.start.click, start_run, view.form.inputs(), [view.check_result, view.message, *menus],
       "start_run")
    llm = [view.form.llm_base_url, view.form.llm_model, view.form.llm_api_key_env]
    on(view.check.click, check_llm, llm, [view.check_result], "check_llm")
    on(view.stop.click, stop_run, [shared.run], [view.message, *menus], "stop_run")
    on(view.resume.click, resume_run, [shared.run, view.form.steer], [view.message, *menus],
       "resume_run")
    form = view.form
    for widget in (form.level, form.policy, form.student, form.budget, form.iterations):
        on(widget.change, check_form, [form.level, form.policy, form.student, form.budget,
                                       form.iterations], [view.estimate], "check_form",
           show_progress="hidden")


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
    rows = [[r.run_id, _name(r), r.status, "here" if deps.runner.started_here(r.run_id) else "headless",
             r.task, r.level, f"{r.policy} + {r.engine}",
             r.student, r.seed, f"{int(r.done)}/{r.iterations}", pct(r.final_val),
             pct(r.final_test), 0 if missing(r.examples_used) else int(r.examples_used),
             ", ".join(_tags(r)), str(r.created_at)[:16]] for r in runs.itertuples()]
    return pd.DataFrame(rows, columns=["run_id", *(c for c, _ in COLUMNS)])


def _name(run: Any) -> str:
    name = getattr(run, "name", None)
    return run.run_id if missing(name) or not name else str(name)


def _tags(run: Any) -> list[str]:
    return tag_list(getattr(run, "tags", None))


def tag_list(tags: Any) -> list[str]:
    """The tags column (JSON text or a list) as a list."""
    if tags is None or (not isinstance(tags, (list, tuple)) and missing(tags)) or len(tags) == 0:
        return []
    return list(json.loads(tags)) if isinstance(tags, str) else list(tags)


def html_table(frame: pd.DataFrame, selected: str | None = None, why: str | None = None) -> str:
    """The runs table as plain HTML (a browser draws hundreds of rows of it at once, where a
    data-grid component takes seconds on a small machine); the first column, the run id, is
    each row's ``data-run``. Columns that are not key ones hide below 900 px."""
    if frame.empty:
        return f"<p>{why or 'No runs yet: start one below, or run <code>curriculab run</code> in a terminal.'}</p>"
    wide = [not key for _, key in COLUMNS]
    head = "".join(f"<th{' class=cl-wide' if w else ''}>{html.escape(c)}</th>"
                   for (c, _), w in zip(COLUMNS, wide))
    rows = []
    for row in frame.itertuples(index=False):
        run_id, *cells = row
        mark = ' class="cl-selected"' if run_id == selected else ""
        tds = "".join(f"<td{' class=cl-wide' if w else ''}>{html.escape(str(v))}</td>"
                      for v, w in zip(cells, wide))
        rows.append(f'<tr data-run="{html.escape(str(run_id))}"{mark} title="{html.escape(str(run_id))}">'
                    f"{tds}</tr>")
    return (f'<div class="cl-runs" style="max-height:360px;overflow:auto">'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def filtered(runs: pd.DataFrame, search: str | None, status: str | None,
             sort: str | None) -> pd.DataFrame:
    """The runs matching ``search`` (in name, tags, task, level, policy, engine, student,
    notes or id) and ``status``, in the order ``sort`` names."""
    if status and status != "all":
        runs = runs[runs.status == status]
    words = (search or "").lower().split()
    if words and not runs.empty:
        text = runs[["run_id", "name", "tags", "task", "level", "policy", "engine", "student",
                     "notes"]].fillna("").astype(str).agg(" ".join, axis=1).str.lower()
        for word in words:
            runs = runs[text.loc[runs.index].str.contains(word, regex=False)]
    column, ascending = SORTS.get(sort or "", SORTS["newest first"])
    column = {"started": "created_at"}.get(column, column)
    return runs.sort_values(column, ascending=ascending, na_position="last", kind="stable")


def list_runs(deps: Deps, selected: str | None, search: str = "", status: str = "all",
              sort: str = "newest first") -> tuple[str, Any, Any]:
    """The runs table (filtered and sorted), the run menu (keeping the selection, else the
    newest run) and the Compare view's run menu."""
    runs = summaries.runs(deps.history)
    ids = list(runs.run_id)
    value = selected if selected in ids else (ids[0] if ids else None)
    return (_html(deps, runs, value, search, status, sort),
            gr.Dropdown(choices=run_choices(runs), value=value), gr.Dropdown(choices=run_choices(runs)))


def refresh_runs(deps: Deps, selected: str | None, search: str = "", status: str = "all",
                 sort: str = "newest first") -> tuple[str, Any, Any]:
    """As ``list_runs``, but the run menu keeps whatever is chosen in it meanwhile: a
    background refresh never moves the selection."""
    runs = summaries.runs(deps.history)
    return (_html(deps, runs, selected, search, status, sort),
            gr.Dropdown(choices=run_choices(runs)), gr.Dropdown(choices=run_choices(runs)))


def _html(deps: Deps, runs: pd.DataFrame, selected: str | None, search: str, status: str,
          sort: str) -> str:
    shown = filtered(runs, search, status, sort)
    why = None
    if shown.empty and not runs.empty:
        why = f"No run matches (of {len(runs)}): clear the search or set Status to all."
    return html_table(table(deps, shown), selected, why)


def select_run(deps: Deps, evt: gr.EventData) -> Any:
    """The run whose row was clicked becomes the selected run."""
    run_id = (getattr(evt, "_data", None) or {}).get("run")
    return gr.Dropdown(value=run_id) if run_id else gr.skip()


def run_page(deps: Deps, run_id: str | None) -> tuple[Any, ...]:
    """The selected run's page: its labels, status and command line; name, tags and notes to
    edit; its full config and package versions."""
    if not run_id:
        return ("Click a run in the table to see it here.", "", "", "", "", "")
    row = run_row(deps.history, run_id)
    tags = tag_list(row.get("tags"))
    command = row.get("command")
    lines = [f"### {html.escape(str(row.get('name') or run_id))}",
             f"{run_label(pd.Series(row))}"
             f" · **{row['status']}** · id `{run_id}`",
             f"**Tags:** {', '.join(tags) or 'none'} · **Student:** {row['student']}"
             f" · **Budget:** {row['budget']} examples per iteration · **Iterations:** {row['iterations']}"
             f" · **Started:** {str(row['created_at'])[:19]} UTC",
             "", "**Command line:** " + (f"`{command}`" if command and not missing(command)
                                         else "started from the app or the Python API")]
    if row.get("message") and not missing(row.get("message")):
        lines.append(f"**Message:** {row['message']}")
    versions = row.get("versions") or {}
    table_md = (markdown_table(pd.DataFrame(sorted(versions.items()), columns=["Package", "Version"]))
                if versions else "No package versions recorded.")
    notes = row.get("notes")
    return ("\n\n".join(lines), str(row.get("name") or run_id), ", ".join(tags),
            "" if missing(notes) or notes is None else str(notes),
            json.dumps(row.get("config") or {}, indent=2), table_md)


def save_labels(deps: Deps, run_id: str | None, name: str, tags: str, notes: str, search: str = "",
                status: str = "all", sort: str = "newest first") -> tuple[str, str, Any, Any]:
    """Rename the selected run and replace its tags and notes."""
    run_id = require_run(run_id)
    label_run(deps.history, run_id, name=name, tags=tags or "", notes=notes or "")
    return (f"Saved the name, tags and notes of **{name.strip()}**.",
            *list_runs(deps, run_id, search, status, sort))


def start_run(deps: Deps, task: str, task_options: str, level: str, policy: str, engine: str,
              student: str, student_options: str, llm_base_url: str, llm_model: str,
              budget: float, iterations: float, seed: float, steer: bool,
              llm_api_key_env: str = "") -> tuple[Any, str, str, Any, Any]:
    """Start a run from the form in a background thread of the app. A run with an LLM teacher
    first passes the endpoint check (in the runner, before anything is recorded); when it
    fails, nothing starts and its one line shows beside the LLM fields and above the table."""
    refuse_idle(level, policy)
    config = config_from_form(task, task_options, level, policy, engine, student, student_options,
                              llm_base_url, llm_model, budget, iterations, seed, llm_api_key_env)
    teacher = uses_llm(policy, engine)
    try:
        run_id = deps.runner.start(config, steer=bool(steer))
    except CurriculabError as e:
        if not teacher or llm_check.UNUSABLE not in str(e):
            raise
        line = llm_check.one_line(e)
        gr.Warning(line)
        return f"⚠️ {line}", f"⚠️ Not started: {line}", gr.skip(), gr.skip(), gr.skip()
    note = " It will wait for your approval at each plan (Steer tab)." if steer else ""
    checked = ("✅ The run's check passed: a teacher can use this endpoint."
               if teacher and config.llm.check else gr.skip())
    return (checked, f"Started **{run_id}**.{note}", *list_runs(deps, run_id))


def check_llm(deps: Deps, llm_base_url: str, llm_model: str, llm_api_key_env: str = "") -> str:
    """Probe the endpoint the form's LLM fields name (``curriculab llm check``): a table of
    what it answers, what was learnt, and one line when a teacher cannot use it. It waits a
    few seconds per probe at most and records nothing; the key is never shown."""
    try:
        config = llm_from_form(llm_base_url, llm_model, llm_api_key_env)
    except ConfigError as e:
        return f"⚠️ {llm_check.one_line(e)}"
    if config.base_url is None and not os.environ.get(config.api_key_env):
        return (f"⚠️ no LLM endpoint: fill in the LLM base URL, or set ${config.api_key_env}"
                " to use api.openai.com")
    return llm_check.markdown(llm_check.form_check(config), config.api_key_env)


def uses_llm(policy: str | None, engine: str | None) -> bool:
    """Whether a run with this policy and engine calls an LLM (and so checks its endpoint)."""
    return bool({policy, engine} & LLM_TEACHERS)


def stop_run(deps: Deps, run_id: str | None) -> tuple[str, str, Any, Any]:
    """Stop the selected run (the row clicked in the table, or the run menu's choice)."""
    message = deps.runner.stop(require_run(run_id))
    return (message, *list_runs(deps, run_id))


def resume_run(deps: Deps, run_id: str | None, steer: bool) -> tuple[str, str, Any, Any]:
    """Resume the selected run from its last completed iteration."""
    run_id = deps.runner.resume(require_run(run_id), steer=bool(steer))
    return (f"Resuming **{run_id}** from its last completed iteration.", *list_runs(deps, run_id))


def refuse_idle(level: str, policy: str) -> None:
    """A Skill-Tree run whose policy plans whole skills grows subskills nobody uses."""
    if level == Level.SKILL_TREE.value and policy in NO_SUBSKILLS:
        raise ConfigError(f"the {policy!r} policy plans whole skills, so the skill-tree level's"
                          " subskills would go unused: pick skill-list, or a policy that plans"
                          " subskills (explore-exploit, alp, sec, frontier, llm)")


def estimate_seconds(deps: Deps, student: str, budget: float, iterations: float) -> float:
    """A run's wall time: the history's mean seconds per example and per evaluation for this
    student, else a laptop's rates for the default student."""
    rates = student_rates(deps.history, student)
    per_example, per_iteration = rates or (PER_EXAMPLE_S, PER_ITERATION_S)
    return per_iteration + float(iterations) * (float(budget) * per_example + per_iteration)


def check_form(deps: Deps, level: str, policy: str, student: str, budget: float | None,
               iterations: float | None) -> str:
    """The form's warnings: a combination that does nothing, a run that would take hours."""
    try:
        refuse_idle(level, policy)
    except ConfigError as e:
        return f"⚠️ This run would be refused: {e}."
    if not budget or not iterations:
        return ""
    seconds = estimate_seconds(deps, student, budget, iterations)
    text = f"Estimated time: about {duration(seconds)}."
    return f"⚠️ {text} That is long: fewer iterations or a smaller budget finish sooner." \
        if seconds > LONG_S else text


def config_from_form(task: str, task_options: str, level: str, policy: str, engine: str,
                     student: str, student_options: str, llm_base_url: str, llm_model: str,
                     budget: float, iterations: float, seed: float,
                     llm_api_key_env: str = "") -> RunConfig:
    """A RunConfig from the form's fields (options are JSON objects); ConfigError names a bad one."""
    data: dict[str, Any] = {
        "task": {"id": task, "options": _json_object(task_options, "task options")},
        "student": {"id": student, "options": _json_object(student_options, "student options")},
        "teacher": {"policy": policy, "engine": engine, "level": level,
                    "budget": _whole(budget, "budget")},
        "iterations": _whole(iterations, "iterations"),
        "seed": _whole(seed, "seed", minimum=0),
    }
    llm = llm_settings(llm_base_url, llm_model, llm_api_key_env)
    if llm:
        if "llm" not in {f.name for f in fields(RunConfig)}:
            raise ConfigError("this version has no LLM settings in its run config")
        data["llm"] = llm
    return RunConfig.from_dict(data)


def llm_settings(base_url: str | None, model: str | None,
                 api_key_env: str | None = "") -> dict[str, str]:
    """The form's LLM fields that are filled in, as ``llm`` settings. A ConfigError names a
    bad one: a base URL that is not an http(s) address, a key field holding something other
    than a variable's name (a key pasted there is neither kept nor shown)."""
    llm = {k: v.strip() for k, v in (("base_url", base_url or ""), ("model", model or ""),
                                     ("api_key_env", api_key_env or "")) if v.strip()}
    url = llm.get("base_url")
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise ConfigError(f"LLM base URL must be an http:// or https:// address such as"
                          f" http://127.0.0.1:8000/v1, got {redact(url.rsplit('@', 1)[-1])!r}")
    name = llm.get("api_key_env")
    if name and (not ENV_NAME.fullmatch(name) or redact(name) != name):
        raise ConfigError("the API key field takes the name of an environment variable, such"
                          f" as {LLMConfig().api_key_env}, not the key itself (what was typed"
                          " is not shown)")
    return llm


def llm_from_form(base_url: str | None, model: str | None,
                  api_key_env: str | None = "") -> LLMConfig:
    """The ``llm`` section the form's LLM fields make (defaults for those left empty)."""
    return build_options(LLMConfig, llm_settings(base_url, model, api_key_env), "llm")


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
    try:  # NaN and infinities are numbers a form (or its API) can send, and no whole number
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number != int(number) or number < minimum:
        raise ConfigError(f"{what} must be a whole number >= {minimum}, got {value}")
    return int(number)


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
