"""What the app's views share: dependencies, the widgets above the tabs, wiring, formatters.

Each view lives in ``ui/views/`` (one module per view: its layout, its wiring and its
handlers). A handler is a plain function taking ``Deps`` first; ``on`` (from ``connect``)
binds it to them with ``bind``, which also turns a CurriculabError into a one-line message.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
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
    change means the run advanced) and the timers of the Live and Steer views."""

    page: gr.Blocks
    run: gr.Dropdown
    refresh: gr.Button
    version: gr.State
    timer: gr.Timer
    steer_timer: gr.Timer


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
               outputs: list[Any], api_name: str) -> None:
    """Load a view of the selected run when the run changes, and reload it quietly when the
    run advances (``{api_name}_on_progress``)."""
    on(shared.run.change, handler, inputs, outputs, api_name)
    on(shared.version.change, handler, inputs, outputs, f"{api_name}_on_progress",
       show_progress="hidden")


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


def run_choices(runs: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, run id) pairs for a run dropdown, newest first."""
    return [(f"{r.run_id} · {r.status} · {r.policy}", r.run_id) for r in runs.itertuples()]


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
