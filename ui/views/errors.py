"""View 6, Errors: the student's wrong answers per skill and iteration, and one item's
answers across iterations."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.history.queries import run_row
from envs.records import Item
from envs.tasks.task import make
from students.errors import CurriculabError
from envs.history import browse
from ui import charts
from ui.handlers import Deps, On, Shared, follow_run, human, require_run

SPLITS = ("val", "test")


@dataclass(frozen=True, slots=True)
class ErrorsView:
    split: gr.Radio
    plot: gr.Plot
    iteration: gr.Dropdown  # this and ``skill`` are filled by the Data view's ``fill_menus``
    skill: gr.Dropdown
    table: gr.Dataframe
    item_id: gr.Textbox
    item_go: gr.Button
    item_head: gr.Markdown
    item_table: gr.Dataframe

    def menus(self) -> list[gr.Dropdown]:
        """Skill, then iteration: the order ``fill_menus`` takes and fills them."""
        return [self.skill, self.iteration]


def build() -> ErrorsView:
    split = gr.Radio(list(SPLITS), value="val", label="Split")
    plot = gr.Plot(label="Wrong answers")
    with gr.Row():
        iteration = gr.Dropdown([], label="Iteration", allow_custom_value=True)
        skill = gr.Dropdown([], label="Skill", allow_custom_value=True)
    table = gr.Dataframe(human(pd.DataFrame(), "pick a run, an iteration and a skill"),
                         label="Wrong answers (click one for its history)", interactive=False,
                         max_height=360, wrap=True)
    with gr.Row():
        item_id = gr.Textbox(label="Item id")
        item_go = gr.Button("Show its answers")
    item_head = gr.Markdown()
    item_table = gr.Dataframe(human(pd.DataFrame(), "click a wrong answer above, or type an item id"),
                              label="Answers across iterations", interactive=False, wrap=True)
    return ErrorsView(split, plot, iteration, skill, table, item_id, item_go, item_head, item_table)


def wire(view: ErrorsView, shared: Shared, on: On) -> None:
    """The matrix follows the run and the split; the menus list wrong answers; a clicked
    answer or an item id shows that item across iterations."""
    run_split = [shared.run, view.split]
    follow_run(on, shared, load_error_matrix, run_split, [view.plot], "load_error_matrix")
    on(view.split.change, load_error_matrix, run_split, [view.plot], "load_error_matrix_on_split")
    wrong = [shared.run, view.split, view.iteration, view.skill]
    on(view.iteration.change, list_wrong_answers, wrong, [view.table], "list_wrong_answers")
    on(view.skill.change, list_wrong_answers, wrong, [view.table], "list_wrong_answers_on_skill")
    item = [view.item_head, view.item_table]
    on(view.table.select, open_wrong_answer, run_split, item, "open_wrong_answer")
    on(view.item_go.click, item_answers, [shared.run, view.split, view.item_id], item,
       "item_answers")


def load_error_matrix(deps: Deps, run_id: str | None, split: str) -> Any:
    """The wrong-answers heatmap of ``run_id`` on ``split``."""
    if not run_id:
        return charts.empty("Wrong answers per skill", "pick a run")
    return charts.error_heatmap(browse.error_matrix(deps.history, run_id, split),
                                f"Wrong answers per skill ({split})")


def list_wrong_answers(deps: Deps, run_id: str | None, split: str, iteration: str | None,
          skill: str | None) -> pd.DataFrame:
    """The wrong answers of one skill at one iteration, with each item's prompt and answer."""
    run_id = require_run(run_id)
    if iteration in (None, "") or not skill:
        return human(pd.DataFrame(), "pick an iteration and a skill")
    frame = browse.wrong_answers(deps.history, run_id, int(iteration), skill, split)
    if frame.empty:
        return human(frame, f"no wrong {split} answers for {skill} at iteration {iteration}")
    items = _items(deps, run_id, split)
    frame.insert(1, "prompt", [items[i].prompt if i in items else "" for i in frame.item_id])
    frame.insert(2, "right_answer", [items[i].answer if i in items else "" for i in frame.item_id])
    return human(frame)


def open_wrong_answer(deps: Deps, run_id: str | None, split: str,
                      evt: gr.SelectData) -> tuple[str, pd.DataFrame]:
    """The clicked item's answers across iterations."""
    row = evt.row_value or []
    return item_answers(deps, run_id, split, str(row[0]) if row else "")


def item_answers(deps: Deps, run_id: str | None, split: str,
                 item_id: str) -> tuple[str, pd.DataFrame]:
    """One item's header (prompt, right answer) and its answers across iterations."""
    run_id = require_run(run_id)
    if not item_id:
        return "", human(pd.DataFrame(), "click a wrong answer above, or type an item id")
    frame = browse.item_answers(deps.history, run_id, item_id, split)
    found = _items(deps, run_id, split).get(item_id)
    head = f"**{item_id}**" + (f": `{found.prompt}` → right answer `{found.answer}`" if found else "")
    right = int(frame.correct.sum()) if not frame.empty else 0
    return (f"{head} — right in {right} of {len(frame)} iterations",
            human(frame, f"no answers recorded for item {item_id!r} on {split}"))


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
