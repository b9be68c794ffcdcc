"""View 5, Data: browse the generated examples and open the teacher call behind one."""

from __future__ import annotations

import json
from typing import Any

import gradio as gr
import pandas as pd

from students.errors import ConfigError
from envs.history import browse
from ui.handlers import Deps, markdown_table, require_run

ALL = "all"
VERDICTS = ("all", "kept", "rejected")
SHOWN_CHARS = 4000  # of a request or a response; the rest is elided


def menus(deps: Deps, run_id: str | None, data_skill: str | None = ALL,
          data_iteration: str | None = ALL, err_skill: str | None = None,
          err_iteration: str | None = None) -> tuple[Any, Any, Any, Any]:
    """Skill and iteration menus of the Data and Errors views for ``run_id``, keeping each
    current choice while it is still valid."""
    facets = browse.facets(deps.history, run_id) if run_id else {"skills": [], "last_iteration": None}
    last = facets["last_iteration"]
    iterations = [str(i) for i in range(0 if last is None else last + 1)]
    skills = facets["skills"]

    def keep(value: str | None, choices: list[str], default: str | None) -> str | None:
        return value if value in choices else default

    return (gr.Dropdown(choices=[ALL, *skills], value=keep(data_skill, [ALL, *skills], ALL)),
            gr.Dropdown(choices=[ALL, *iterations], value=keep(data_iteration, [ALL, *iterations], ALL)),
            gr.Dropdown(choices=skills, value=keep(err_skill, skills, skills[0] if skills else None)),
            gr.Dropdown(choices=iterations,
                        value=keep(err_iteration, iterations, iterations[-1] if iterations else None)))


def search(deps: Deps, run_id: str | None, iteration: str | None, skill: str | None,
           verdict: str, text: str, page: float | None) -> tuple[pd.DataFrame, str]:
    """One page of examples matching the filters, and a line saying how many match."""
    run_id = require_run(run_id)
    if verdict not in VERDICTS:
        raise ConfigError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
    page = max(0, int(page or 0))
    frame, total = browse.examples(
        deps.history, run_id, iteration=None if iteration in (None, "", ALL) else int(iteration),
        skill=None if skill in (None, "", ALL) else skill, verdict=verdict,
        search=(text or "").strip(), page=page)
    first = page * browse.PAGE
    shown = f"{first + 1}–{first + len(frame)}" if len(frame) else "none"
    return frame, f"{total} examples match; showing {shown}. Click a row to open its teacher call."


def open_selected(deps: Deps, run_id: str | None, evt: gr.SelectData) -> str:
    """The teacher call of the clicked row (columns start with iteration, seq)."""
    row = evt.row_value or []
    if len(row) < 2:
        return ""
    return call(deps, run_id, row[0], row[1])


def call(deps: Deps, run_id: str | None, iteration: float, seq: float) -> str:
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
