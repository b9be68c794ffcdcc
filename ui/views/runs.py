"""View 1, Runs: every run (searchable, sortable, a row click selects one), the selected run's
page (name, tags, notes, config, package versions, command line), and the buttons that start
(from the form of ``ui/views/run_form.py``), stop and resume runs."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.history import summaries
from envs.history.queries import run_row
from envs.history.runlog import label_run
from students.errors import CurriculabError
from ui import llm_check
from ui.handlers import (Deps, On, Shared, follow_run, markdown_table, missing, pct, require_run,
                         run_choices, run_label)
from ui.views import run_form
from ui.views.run_form import Form, config_from_form, refuse_idle, uses_llm

# (header, key column at 800 px?)
COLUMNS = [("Name", True), ("Status", True), ("Where", False), ("Task", True), ("Level", False),
           ("Teacher", True), ("Student", False), ("Seed", False), ("Iterations", True),
           ("Final val", True), ("Final test", False), ("Examples", False), ("Tags", False),
           ("Started", False)]
STATUSES = ("all", "running", "completed", "stopped", "failed")
SORTS = {"newest first": ("started", False), "oldest first": ("started", True),
         "name": ("name", True), "best final val": ("final_val", False),
         "best final test": ("final_test", False), "status": ("status", True)}
ROW_CLICK = """element.addEventListener('click', (event) => {
  const row = event.target.closest('tr[data-run]');
  if (!row) return;
  element.querySelectorAll('tr.cl-selected').forEach(r => r.classList.remove('cl-selected'));
  row.classList.add('cl-selected');
  trigger('click', {run: row.dataset.run});
});"""


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
        form, check, check_result = run_form.build(run_form.form_defaults())
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


def wire(view: RunsView, shared: Shared, on: On, *, compare_menu: gr.Dropdown) -> None:
    """The runs table and run menus (``compare_menu`` too) fill on page load, on Refresh, as
    the filters change and quietly as the selected run advances (keeping the selection); a row
    click selects a run; the buttons start, stop and resume runs."""
    menus = [view.table, shared.run, compare_menu]
    query = [shared.run, *view.filters()]
    on(shared.page.load, list_runs, query, menus, "list_runs")
    run_form.wire(view.form, on, load=shared.page.load, check=view.check,
                  check_result=view.check_result, estimate=view.estimate)
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
    on(view.stop.click, stop_run, [shared.run], [view.message, *menus], "stop_run")
    on(view.resume.click, resume_run, [shared.run, view.form.steer], [view.message, *menus],
       "resume_run")


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


def stop_run(deps: Deps, run_id: str | None) -> tuple[str, str, Any, Any]:
    """Stop the selected run (the row clicked in the table, or the run menu's choice)."""
    message = deps.runner.stop(require_run(run_id))
    return (message, *list_runs(deps, run_id))


def resume_run(deps: Deps, run_id: str | None, steer: bool) -> tuple[str, str, Any, Any]:
    """Resume the selected run from its last completed iteration."""
    run_id = deps.runner.resume(require_run(run_id), steer=bool(steer))
    return (f"Resuming **{run_id}** from its last completed iteration.", *list_runs(deps, run_id))


