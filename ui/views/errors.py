"""View 6, Errors: the student's wrong answers per skill and iteration, and one item's
answers across iterations."""

from __future__ import annotations

import functools
import json
from typing import Any

import gradio as gr
import pandas as pd

from envs.history.queries import run_row
from envs.records import Item
from envs.tasks.task import make
from students.errors import CurriculabError
from envs.history import browse
from ui import charts
from ui.handlers import Deps, require_run

SPLITS = ("val", "test")


def load(deps: Deps, run_id: str | None, split: str) -> Any:
    """The wrong-answers heatmap of ``run_id`` on ``split``."""
    if not run_id:
        return charts.empty("Wrong answers per skill", "pick a run")
    return charts.error_heatmap(browse.error_matrix(deps.history, run_id, split),
                                f"Wrong answers per skill ({split})")


def wrong(deps: Deps, run_id: str | None, split: str, iteration: str | None,
          skill: str | None) -> pd.DataFrame:
    """The wrong answers of one skill at one iteration, with each item's prompt and answer."""
    run_id = require_run(run_id)
    if iteration in (None, "") or not skill:
        return pd.DataFrame(columns=["item_id", "prompt", "reference", "prediction"])
    frame = browse.wrong_answers(deps.history, run_id, int(iteration), skill, split)
    items = _items(deps, run_id, split)
    frame.insert(1, "prompt", [items[i].prompt if i in items else "" for i in frame.item_id])
    frame.insert(2, "reference", [items[i].answer if i in items else "" for i in frame.item_id])
    return frame


def item_selected(deps: Deps, run_id: str | None, split: str,
                  evt: gr.SelectData) -> tuple[str, pd.DataFrame]:
    """The clicked item's answers across iterations."""
    row = evt.row_value or []
    return item(deps, run_id, split, str(row[0]) if row else "")


def item(deps: Deps, run_id: str | None, split: str, item_id: str) -> tuple[str, pd.DataFrame]:
    """One item's header (prompt, right answer) and its answers across iterations."""
    run_id = require_run(run_id)
    if not item_id:
        return "", pd.DataFrame(columns=["iteration", "prediction", "correct"])
    frame = browse.item_answers(deps.history, run_id, item_id, split)
    found = _items(deps, run_id, split).get(item_id)
    head = f"**{item_id}**" + (f": `{found.prompt}` → right answer `{found.answer}`" if found else "")
    right = int(frame.correct.sum()) if not frame.empty else 0
    return f"{head} — right in {right} of {len(frame)} iterations", frame


def _items(deps: Deps, run_id: str, split: str) -> dict[str, Item]:
    task = run_row(deps.history, run_id)["config"].get("task", {})
    return _split(task.get("id", ""), json.dumps(task.get("options", {}), sort_keys=True), split)


@functools.lru_cache(maxsize=16)
def _split(task_id: str, options: str, split: str) -> dict[str, Item]:
    """A task's items by id (built once per task); empty when the task cannot be built here."""
    try:
        return {i.id: i for i in make(task_id, **json.loads(options)).split(split)}
    except CurriculabError:
        return {}
