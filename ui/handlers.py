"""What the app's views share: dependencies, the widgets above the tabs, wiring, formatters.

Each view lives in ``ui/views/`` (one module per view: its layout, its wiring and its
handlers). A handler is a plain function taking ``Deps`` first; ``on`` (from ``connect``)
binds it to them with ``bind``, which also turns a CurriculabError into a one-line message.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import gradio as gr
import pandas as pd

from envs.history import History
from students.errors import ConfigError, CurriculabError
from ui.launcher import Launcher


@dataclass(frozen=True, slots=True)
class Deps:
    """Everything a handler may use: the history it reads and the runner that starts runs."""

    history: History
    runner: Launcher


@dataclass(frozen=True, slots=True)
class Shared:
    """The widgets every view may listen to: the page itself (its ``load`` event), the run menu
    and its Refresh button, the selected run's version string (``run:iterations:status``; its
    change means the run advanced), the timers of the Live and Steer views, the tab on screen
    (``tab``, a tab id) and the tabs by id. ``wiring`` names the tab whose view is being wired."""

    page: gr.Blocks
    run: gr.Dropdown
    refresh: gr.Button
    version: gr.State
    timer: gr.Timer
    steer_timer: gr.Timer
    tab: gr.State | None = None
    tabs: dict[str, gr.Tab] = field(default_factory=dict)
    wiring: dict[str, str] = field(default_factory=dict)


class On(Protocol):
    """Connects ``event`` to ``handler`` (bound to the app's ``Deps``) under ``api_name``."""

    def __call__(self, event: Callable[..., Any], handler: Callable[..., Any], inputs: list[Any],
                 outputs: list[Any], api_name: str, **options: Any) -> Any: ...


def connect(deps: Deps) -> On:
    """The ``on`` the views wire their events with: every event gets a name for the API."""

    def on(event: Callable[..., Any], handler: Callable[..., Any], inputs: list[Any],
           outputs: list[Any], api_name: str, **options: Any) -> Any:
        return event(bind(handler, deps), inputs, outputs, api_name=api_name, **options)

    return on


def follow_run(on: On, shared: Shared, handler: Callable[..., Any], inputs: list[Any],
               outputs: list[Any], api_name: str, *, tabs: tuple[str, ...] = ()) -> None:
    """Load a view of the selected run when its tab comes on screen (``api_name``), when the
    run changes while the tab is on screen (``{api_name}_on_run``), and quietly when the run
    advances (``{api_name}_on_progress``). A tab off screen loads nothing, so picking a run
    loads the visible view alone. ``tabs``: the tabs showing these outputs (default: the one
    being wired)."""
    shown = tabs or ((shared.wiring["tab"],) if shared.wiring.get("tab") else ())
    if shared.tab is None or not shown:  # no tabs: every change loads
        on(shared.run.change, handler, inputs, outputs, api_name)
        on(shared.version.change, handler, inputs, outputs, f"{api_name}_on_progress",
           show_progress="hidden")
        return
    for tab in shown:
        on(shared.tabs[tab].select, handler, inputs, outputs,
           api_name if tab == shown[0] else f"{api_name}_on_{tab}_tab")
    gated = on_screen(handler, shown, len(outputs))
    on(shared.run.change, gated, [shared.tab, *inputs], outputs, f"{api_name}_on_run")
    on(shared.version.change, gated, [shared.tab, *inputs], outputs, f"{api_name}_on_progress",
       show_progress="hidden")


def on_screen(handler: Callable[..., Any], tabs: tuple[str, ...], outputs: int) -> Callable[..., Any]:
    """``handler`` run only while one of ``tabs`` is on screen (its first input names the tab);
    otherwise every output is left as it is."""

    def visible_only(deps: Deps, visible: str, *args: Any) -> Any:
        if visible not in tabs:
            skipped = tuple(gr.skip() for _ in range(outputs))
            return skipped[0] if outputs == 1 else skipped
        return handler(deps, *args)

    visible_only.__name__ = visible_only.__qualname__ = handler.__name__
    visible_only.__doc__ = handler.__doc__
    return visible_only


def bind(fn: Callable[..., Any], deps: Deps) -> Callable[..., Any]:
    """``fn`` with ``deps`` filled in, showing a CurriculabError as a one-line message.

    The result keeps ``fn``'s signature and resolved type hints (less ``deps``), which is how
    gradio counts inputs and recognises an event-data parameter such as ``gr.SelectData``."""

    def handler(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(deps, *args, **kwargs)
        except CurriculabError as e:
            raise gr.Error(str(e), print_exception=False) from e

    signature = inspect.signature(fn)
    handler.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])
    handler.__annotations__ = {k: v for k, v in typing.get_type_hints(fn).items() if k != "deps"}
    handler.__name__ = handler.__qualname__ = fn.__name__
    handler.__doc__ = fn.__doc__
    return handler


def pct(value: Any) -> str:
    return "–" if missing(value) else f"{100 * float(value):.1f}%"


def missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA (what a LEFT JOIN or an unfinished iteration leaves)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or another non-scalar is not missing
        return False


def duration(seconds: float | None) -> str:
    """``3725`` -> ``"1 h 2 min"``; short and readable."""
    if seconds is None or missing(seconds):
        return "unknown"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def run_label(run: Any) -> str:
    """How a run is named everywhere: name, task, level, policy and seed."""
    name = getattr(run, "name", None)
    name = run.run_id if missing(name) or not name else name
    return f"{name} · {run.task} · {run.level} · {run.policy} · seed {run.seed}"


def run_choices(runs: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, run id) pairs for a run dropdown, newest first."""
    return [(f"{run_label(r)} · {r.status}", r.run_id) for r in runs.itertuples()]


# Column names as a person reads them; a name not here is turned from snake_case into words.
WORDS = {"run_id": "Run id", "item_id": "Item id", "seq": "Example #", "qc": "QC",
         "val_mean": "Val mean", "test_mean": "Test mean", "llm": "LLM", "usd": "USD",
         "cost_usd": "Cost (USD)", "tokens_in": "Tokens in", "tokens_out": "Tokens out",
         "fresh_accuracy": "Fresh accuracy", "subskill": "Subskill"}


def words(name: str) -> str:
    """``"examples_used"`` -> ``"Examples used"``; known names as ``WORDS`` spells them."""
    name = str(name)
    if name in WORDS:
        return WORDS[name]
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def human(frame: pd.DataFrame, why: str = "nothing to show") -> pd.DataFrame:
    """A frame for a table on screen: human headers; an empty one says ``why`` instead of
    showing bare column numbers."""
    if frame.empty:
        return pd.DataFrame({"": [why]})
    return frame.rename(columns={c: words(c) for c in frame.columns})


def require_run(run_id: str | None) -> str:
    if not run_id:
        raise ConfigError("pick a run first (the run menu at the top)")
    return run_id


def markdown_table(frame: pd.DataFrame) -> str:
    """A small DataFrame as a Markdown table (pipes in cells escaped)."""
    def cell(value: Any) -> str:
        return "–" if missing(value) else str(value).replace("|", "\\|").replace("\n", " ")
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def task_skills(deps: Deps, run_id: str) -> dict[str, str]:
    """The run's top-level skills in the task's order, each with its description; empty when
    the task cannot be built here (a plug-in not installed, say)."""
    from envs.history.queries import run_row

    task = run_row(deps.history, run_id)["config"].get("task", {})
    return dict(_skills(task.get("id", ""), json.dumps(task.get("options", {}), sort_keys=True)))


@functools.lru_cache(maxsize=32)
def _skills(task_id: str, options: str) -> tuple[tuple[str, str], ...]:
    from envs.tasks.task import make

    try:
        task = make(task_id, **json.loads(options))
    except (CurriculabError, TypeError, ValueError):
        return ()
    return tuple((s.name, s.description) for s in task.skills if s.parent is None)
