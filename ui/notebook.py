"""Charts for a notebook cell, straight from a history file.

    from ui.notebook import heatmap, compare
    heatmap("curriculab.duckdb")                      # the newest run
    compare("curriculab.duckdb", ["run-a", "run-b"])  # overlaid, seed bands
    png(heatmap("curriculab.duckdb"), "heatmap.png")  # a PNG file (needs kaleido)

Each function reads the history the app reads (short read-only access, so a run may be
writing it meanwhile) and returns a plotly figure, which a notebook shows when it is the
cell's last value. ``run_id=None`` means the newest run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

from envs.history import History
from envs.history import HistoryError
from students.errors import ConfigError
from envs.history import browse, summaries
from ui import charts, comparison

Db = str | Path | History


def _open(db: Db, run_id: str | None) -> tuple[History, str]:
    history = db if isinstance(db, History) else History(db)
    if run_id is None:
        runs = summaries.runs(history)
        if runs.empty:
            raise HistoryError(f"no runs in {history.path} yet")
        run_id = str(runs.run_id.iloc[0])
    return history, run_id


def heatmap(db: Db, run_id: str | None = None) -> go.Figure:
    """Skill x iteration val accuracy (hover: n, accuracy, change; forgetting alerts marked)."""
    history, run_id = _open(db, run_id)
    return charts.skill_heatmap(summaries.skill_matrix(history, run_id), f"Val accuracy per skill · {run_id}")


def curves(db: Db, run_id: str | None = None) -> go.Figure:
    """Per-skill val accuracy curves."""
    history, run_id = _open(db, run_id)
    return charts.skill_curves(summaries.skill_matrix(history, run_id), f"Val accuracy per skill · {run_id}")


def start_end(db: Db, run_id: str | None = None) -> go.Figure:
    """Test accuracy per skill at the start and the end of the run."""
    history, run_id = _open(db, run_id)
    return charts.start_end_bars(summaries.profile(history, run_id)["test"])


def allocations(db: Db, run_id: str | None = None) -> go.Figure:
    """Examples the teacher allocated per skill and iteration (stacked)."""
    history, run_id = _open(db, run_id)
    return charts.allocation_bars(summaries.curriculum(history, run_id)["allocations"])


def errors(db: Db, run_id: str | None = None, split: str = "val") -> go.Figure:
    """Wrong answers per skill and iteration."""
    history, run_id = _open(db, run_id)
    return charts.error_heatmap(browse.error_matrix(history, run_id, split))


def compare(db: Db, run_ids: Sequence[str]) -> go.Figure:
    """Mean test accuracy against examples used; runs differing only in seed share a band."""
    history = db if isinstance(db, History) else History(db)
    frames = summaries.compare(history, list(run_ids))
    labels = comparison.groups(frames["runs"])
    return charts.compare_curves(comparison.curves_with_groups(frames["curves"], labels))


def cost(db: Db, run_id: str | None = None) -> go.Figure:
    """LLM dollars per iteration (an empty "no LLM" figure for algorithmic teachers)."""
    history, run_id = _open(db, run_id)
    return charts.cost_per_iteration(summaries.cost(history, run_id)["per_iteration"])


def png(figure: go.Figure, path: str | Path, *, width: int = 1200, height: int | None = None,
        scale: float = 2.0) -> Path:
    """Write ``figure`` to a PNG file (``pip install curriculab[export]``: kaleido, which
    drives the system's Chrome or Chromium); returns the path."""
    try:
        import kaleido  # noqa: F401
    except ImportError as e:
        raise ConfigError("PNG export needs kaleido: pip install 'kaleido>=1.0'") from e
    path = Path(path)
    try:
        figure.write_image(str(path), format="png", width=width,
                           height=height or figure.layout.height or charts.HEIGHT, scale=scale)
    except Exception as e:  # kaleido finds no Chrome, or it failed
        raise ConfigError(f"cannot write {path} as PNG: {type(e).__name__}: {e}") from e
    return path
