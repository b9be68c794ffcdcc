"""View 4, Curriculum: what the teacher allocated, why, how much survived QC, and the
Skill-Tree forest."""

from __future__ import annotations

from typing import Any

import pandas as pd

from envs.history import summaries
from ui import charts
from ui.handlers import Deps


def load(deps: Deps, run_id: str | None) -> tuple[Any, pd.DataFrame, Any, Any, pd.DataFrame]:
    """Allocation bars, plans table, QC yield chart, forest chart and forest table."""
    if not run_id:
        blank = charts.empty("Curriculum", "pick a run")
        return blank, pd.DataFrame(), blank, blank, pd.DataFrame()
    frames = summaries.curriculum(deps.history, run_id)
    forest = frames["forest"].round({"fresh_accuracy": 3, "reward": 4, "mean_reward": 4})
    return (charts.allocation_bars(frames["allocations"]), frames["plans"],
            charts.qc_yield(frames["yield"]), charts.skill_forest(frames["forest"]), forest)
