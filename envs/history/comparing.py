"""The SQL behind comparing runs: per-iteration points (examples used, wall time so far, val
and test mean), per-skill accuracy at every iteration, phase times and configs.

One short read-only connection per call, like every other read of the history.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from envs.history.database import History
from envs.history.summaries import fetch


def comparison_frames(history: History, run_ids: Sequence[str]) -> dict[str, pd.DataFrame]:
    """``points``: run_id, iteration, examples_used, seconds (wall time since the run began,
    summed over its iterations), val_mean, test_mean; ``skills``: run_id, iteration, split,
    skill, accuracy; ``phases``: seconds per phase summed over each run; ``runs``: run_id,
    seed, status, config, in the order of ``run_ids``."""
    ids = list(run_ids)
    with history.reader() as con:
        return {
            "points": fetch(con, """
                SELECT run_id, iteration, examples_used,
                       sum(t_total) OVER (PARTITION BY run_id ORDER BY iteration) AS seconds,
                       val_mean, test_mean
                FROM iterations WHERE list_contains(?, run_id) ORDER BY run_id, iteration""",
                            [ids]),
            "skills": fetch(con, """
                SELECT run_id, iteration, split, skill, accuracy FROM skill_scores
                WHERE list_contains(?, run_id) ORDER BY run_id, iteration, split, skill""", [ids]),
            "phases": fetch(con, """
                SELECT run_id, sum(t_evaluate) AS evaluate, sum(t_plan) AS plan,
                       sum(t_generate) AS generate, sum(t_check) AS "check",
                       sum(t_train) AS train, sum(t_total) AS total
                FROM iterations WHERE list_contains(?, run_id) GROUP BY run_id""", [ids]),
            "runs": fetch(con, """
                SELECT run_id, seed, status, config FROM runs
                WHERE list_contains(?, run_id) ORDER BY list_position(?, run_id)""",
                          [ids, ids]),
        }


def sweep_run_ids(history: History, name: str) -> list[str] | None:
    """The completed runs of the sweep ``name`` (its id, or a unique prefix of it); None when
    the history has no such sweep."""
    with history.reader() as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables"
                                            " WHERE table_schema = current_schema()").fetchall()}
        if "sweep_cells" not in tables:
            return None
        found = [r[0] for r in con.execute(
            "SELECT sweep_id FROM sweeps WHERE sweep_id = ? OR starts_with(sweep_id, ?)"
            " OR name = ? ORDER BY created_at DESC", [name, name, name]).fetchall()]
        if not found:
            return None
        return [r[0] for r in con.execute(
            "SELECT c.run_id FROM sweep_cells c JOIN runs r USING (run_id)"
            " WHERE c.sweep_id = ? AND r.status = 'completed' ORDER BY c.seq",
            [found[0]]).fetchall()]
