"""View 5, Data: browse the generated examples and open the teacher call behind one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from students.errors import ConfigError
from envs.history import browse
from ui.handlers import Deps, On, Shared, follow_run, human, markdown_table, require_run

ALL = "all"
VERDICTS = ("all", "kept", "rejected")
SHOWN_CHARS = 4000  # of a request or a response; the rest is elided


@dataclass(frozen=True, slots=True)
class DataView:
    iteration: gr.Dropdown
    skill: gr.Dropdown
    verdict: gr.Radio
    search: gr.Textbox
    page: gr.Number
    previous: gr.Button
    next: gr.Button
    go: gr.Button
    summary: gr.Markdown
    table: gr.Dataframe
    call_iteration: gr.Number
    call_seq: gr.Number
    call_go: gr.Button
    call: gr.Markdown

    def filters(self) -> list[Any]:
        """What ``search_examples`` takes after the run, in its order."""
        return [self.iteration, self.skill, self.verdict, self.search, self.page]


def build() -> DataView:
    with gr.Row():
        iteration = gr.Dropdown([ALL], value=ALL, label="Iteration", allow_custom_value=True)
        skill = gr.Dropdown([ALL], value=ALL, label="Skill", allow_custom_value=True)
        verdict = gr.Radio(list(VERDICTS), value=ALL, label="QC verdict")
        search = gr.Textbox("", label="Search prompt, answer or reason")
    with gr.Row():
        go = gr.Button("Search", variant="primary", scale=2)
        previous = gr.Button("◀ Previous page", scale=1, size="sm")
        page = gr.Number(1, label="Page", precision=0, minimum=1, scale=1, min_width=80)
        next_ = gr.Button("Next page ▶", scale=1, size="sm")
    summary = gr.Markdown()
    table = gr.Dataframe(human(pd.DataFrame(), "pick a run to browse its examples"),
                         interactive=False, wrap=True, max_height=420)
    with gr.Row():
        call_iteration = gr.Number(label="Iteration", precision=0)
        call_seq = gr.Number(label="Example #", precision=0)
        call_go = gr.Button("Open teacher call")
    return DataView(iteration, skill, verdict, search, page, previous, next_, go, summary, table,
                    call_iteration,
                    call_seq, call_go, gr.Markdown())


def wire(view: DataView, shared: Shared, on: On, *, error_menus: list[gr.Dropdown]) -> None:
    """Menus follow the run (the Errors view's skill and iteration menus, ``error_menus``, too);
    every filter searches again; a row or the call form opens a teacher call."""
    menus = [view.skill, view.iteration, *error_menus]
    follow_run(on, shared, fill_menus, [shared.run, *menus], menus, "fill_menus",
               tabs=("data", "errors"))
    query, out = [shared.run, *view.filters()], [view.table, view.summary]
    on(view.go.click, search_examples, query, out, "search_examples")
    follow_run(on, shared, search_examples, query, out, "search_examples_on_run")
    on(view.previous.click, turn_page, [view.page, gr.State(-1)], [view.page], "previous_page")
    on(view.next.click, turn_page, [view.page, gr.State(1)], [view.page], "next_page")
    on(view.search.submit, search_examples, query, out, "search_examples_on_enter")
    for name in ("iteration", "skill", "verdict", "page"):
        on(getattr(view, name).change, search_examples, query, out, f"search_examples_on_{name}")
    on(view.table.select, open_example, [shared.run], [view.call], "open_example")
    on(view.call_go.click, open_teacher_call, [shared.run, view.call_iteration, view.call_seq],
       [view.call], "open_teacher_call")


def fill_menus(deps: Deps, run_id: str | None, data_skill: str | None = ALL,
               data_iteration: str | None = ALL, err_skill: str | None = None,
               err_iteration: str | None = None) -> tuple[Any, Any, Any, Any]:
    """Skill and iteration menus of the Data and Errors views for ``run_id``, keeping each
    current choice while it is still valid."""
    facets = browse.facets(deps.history, run_id) if run_id else {"skills": [], "last_iteration": None}
    last = facets["last_iteration"]
    iterations = [str(i) for i in range(0 if last is None else last + 1)]
    skills = facets["skills"]
    err_default = _most_wrong(deps, run_id, last) if skills and err_skill not in skills else None

    def keep(value: str | None, choices: list[str], default: str | None) -> str | None:
        return value if value in choices else default

    return (gr.Dropdown(choices=[ALL, *skills], value=keep(data_skill, [ALL, *skills], ALL)),
            gr.Dropdown(choices=[ALL, *iterations], value=keep(data_iteration, [ALL, *iterations], ALL)),
            gr.Dropdown(choices=skills, value=keep(err_skill, skills, err_default or (skills[0] if skills else None))),
            gr.Dropdown(choices=iterations,
                        value=keep(err_iteration, iterations, iterations[-1] if iterations else None)))


def _most_wrong(deps: Deps, run_id: str, iteration: int | None) -> str | None:
    """The skill with the most wrong val answers at ``iteration`` (the Errors view opens on
    it, so its first table is not empty); None when every answer was right."""
    matrix = browse.error_matrix(deps.history, run_id, "val")
    if matrix.empty or iteration is None:
        return None
    at = matrix[(matrix.iteration == iteration) & (matrix.wrong > 0)]
    return None if at.empty else str(at.sort_values("wrong", ascending=False, kind="stable").skill.iloc[0])


def search_examples(deps: Deps, run_id: str | None, iteration: str | None, skill: str | None,
           verdict: str, text: str, page: float | None) -> tuple[pd.DataFrame, str]:
    """One page of examples matching the filters, and a line saying how many match."""
    run_id = require_run(run_id)
    if verdict not in VERDICTS:
        raise ConfigError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
    page = max(1, int(page or 1))  # pages count from 1
    frame, total = browse.examples(
        deps.history, run_id, iteration=None if iteration in (None, "", ALL) else int(iteration),
        skill=None if skill in (None, "", ALL) else skill, verdict=verdict,
        search=(text or "").strip(), page=page - 1)
    pages = max(1, -(-total // browse.PAGE))
    first = (page - 1) * browse.PAGE
    if frame.empty:
        why = ("no examples yet: iteration 0 only evaluates the student" if not total and
               iteration in (None, "", ALL) and skill in (None, "", ALL) and not text
               else "no example matches these filters" if not total
               else f"page {page} is past the last page ({pages})")
        return human(frame, why), f"{total:,} examples match. {why[:1].upper() + why[1:]}."
    return (human(frame), f"{total:,} examples match; showing {first + 1:,}–{first + len(frame):,}"
            f" (page {page} of {pages:,}). Click a row to open its teacher call.")


def turn_page(deps: Deps, page: float | None, step: int) -> int:
    """The previous or next page number (never below 1)."""
    return max(1, int(page or 1) + int(step))


def open_example(deps: Deps, run_id: str | None, evt: gr.SelectData) -> str:
    """The teacher call of the clicked row (columns start with iteration, seq)."""
    row = evt.row_value or []
    if len(row) < 2:
        return ""
    return open_teacher_call(deps, run_id, row[0], row[1])


def open_teacher_call(deps: Deps, run_id: str | None, iteration: float, seq: float) -> str:
    """An example and the LLM call that produced it, as Markdown."""
    found = browse.teacher_call(deps.history, require_run(run_id), int(iteration), int(seq))
    ex = found["example"]
    if ex is None:
        return f"No example {int(seq)} at iteration {int(iteration)} in {run_id}."
    verdict = "kept" if ex["kept"] else f"rejected: {ex['reason']}"
    lines = [f"#### Example {ex['seq']} of iteration {ex['iteration']} · {ex['skill']}"
             + (f" / {ex['subskill']}" if ex.get("subskill") else ""),
             f"**Prompt:** `{ex['prompt']}` **Answer:** `{ex['answer']}` **QC:** {verdict}", ""]
    if not ex.get("call_id"):
        lines.append(f"Made by the `{ex['engine']}` engine: no teacher call.")
        return "\n".join(lines)
    calls = found["calls"]
    lines.append(f"**Teacher call** `{ex['call_id']}`")
    if calls.empty:
        lines.append("The call is not in this history (its LLM tables are missing or empty).")
        return "\n".join(lines)
    lines += ["", markdown_table(calls.drop(columns=["call_id"])), ""]
    if found["request"] is not None:
        lines += ["**Request**", "```json", _clip(json.dumps(found["request"], indent=1)), "```"]
    if found["content"] is not None:
        lines += ["**Response**", "```", _clip(found["content"]), "```"]
    return "\n".join(lines)


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + f"\n… ({len(text) - SHOWN_CHARS} more characters)"
