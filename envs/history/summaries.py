"""The SQL behind the app's run-level views, aggregated in DuckDB and bounded
(item-level browsing is in ``envs/history/browse.py``).

Each function opens one short read-only connection (``History.reader``), runs the view's
statements and returns small DataFrames: the app never holds a connection, so a run in
another process can keep writing. Long runs are downsampled to ``MAX_POINTS`` iterations
(forgetting alerts are always kept); lists are capped with ``LIMIT``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from envs.history.clock import utcnow
from envs.history.database import History
from envs.history.liveness import MEAN_SQL, SHOWN_STATUS_SQL
from envs.level import Level

MAX_POINTS = 60  # iterations per chart; a longer run shows every k-th and its last
MAX_RUNS = 500  # rows in the runs table
PAGE = 100  # rows per page in lists
FORGET_DROP = 0.1  # as envs/alerts.py: val accuracy this far below its best so far is an alert
EPS = 1e-9


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


_SCHEMAS: dict[tuple[str, int], dict[str, set[str]]] = {}


def schema(history: History, con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Table -> columns of the history file, read once per file (migrations only add, and
    ``History.reader`` brings every file up to this version's migrations before reading)."""
    key = (os.path.realpath(history.path), os.stat(history.path).st_ino)
    if key not in _SCHEMAS:
        found: dict[str, set[str]] = {}
        for table, column in con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal").fetchall():
            found.setdefault(table, set()).add(column)
        _SCHEMAS[key] = found
    return _SCHEMAS[key]


def has_table(history: History, con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return table in schema(history, con)


# -- 1. runs ---------------------------------------------------------------------------------
def runs(history: History, limit: int | None = MAX_RUNS) -> pd.DataFrame:
    """Every run (newest first, the newest ``limit``; None: all) with its progress (``done``:
    the last completed iteration, 0 before any; ``phase``: where it is now) and its final
    accuracies. The app's Runs view, ``curriculab runs`` and the tests all read this."""
    with history.reader() as con:
        return fetch(con, f"""
            SELECT r.run_id, {SHOWN_STATUS_SQL} AS status, r.task, r.level, r.policy, r.engine,
                   r.student, r.seed,
                   coalesce(i.iteration, 0) AS done, r.iterations, r.budget,
                   i.val_mean AS final_val, i.test_mean AS final_test,
                   i.examples_used, r.created_at, r.heartbeat_at, r.phase, r.message,
                   coalesce(r.name, r.run_id) AS name, coalesce(r.tags, '[]') AS tags, r.notes
            FROM runs r LEFT JOIN (
                SELECT run_id, iteration, val_mean, test_mean, examples_used FROM iterations
                QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY iteration DESC) = 1
            ) i USING (run_id) LEFT JOIN ({MEAN_SQL}) m USING (run_id)
            ORDER BY r.created_at DESC LIMIT ?""", [utcnow(), limit])


# -- 2. live ---------------------------------------------------------------------------------
def live(history: History, run_id: str | None,
         follow: bool = False) -> tuple[dict[str, Any] | None, pd.DataFrame]:
    """The run's live row (phase, heartbeat, …) and its completed iterations so far.

    With ``follow``, the newest run still running is shown instead, when there is one."""
    with history.reader() as con:
        if follow:
            newest = con.execute(f"""
                SELECT r.run_id FROM runs r LEFT JOIN ({MEAN_SQL}) m USING (run_id)
                WHERE {SHOWN_STATUS_SQL} = 'running' ORDER BY r.created_at DESC LIMIT 1""",
                                 [utcnow()]).fetchone()
            run_id = newest[0] if newest else run_id
        row = fetch(con, f"""
            SELECT r.run_id, {SHOWN_STATUS_SQL} AS status, r.phase, r.phase_iteration,
                   r.phase_progress, r.heartbeat_at, r.iterations, r.created_at, r.updated_at,
                   r.message, r.policy, r.task, r.student, r.level, r.seed,
                   coalesce(r.name, r.run_id) AS name, r.phase_detail
            FROM runs r LEFT JOIN ({MEAN_SQL}) m USING (run_id) WHERE r.run_id = ?""",
                    [utcnow(), run_id])
        its = fetch(con, """
            SELECT iteration, started_at, ended_at, t_total, val_mean, test_mean, examples_used,
                   loss_first, loss_last
            FROM iterations WHERE run_id = ? ORDER BY iteration DESC LIMIT ?""",
                     [run_id, MAX_POINTS])
    return (None if row.empty else row.iloc[0].to_dict()), its.iloc[::-1].reset_index(drop=True)


# -- 3. skill profile ------------------------------------------------------------------------
# Long runs are thinned to about MAX_POINTS iterations: every k-th and the last one (a
# window over the already filtered rows, so no second scan).
THINNED = """iteration % greatest(1, ceil((max(iteration) OVER () + 1) / ?))::INTEGER = 0
             OR iteration = max(iteration) OVER ()"""


def profile(history: History, run_id: str) -> dict[str, pd.DataFrame]:
    """The skill-profile view: the val matrix (with alerts) and test accuracy at start and end."""
    with history.reader() as con:
        return {"matrix": _matrix(history, con, run_id, "val"), "test": _start_end(con, run_id, "test")}


def skill_matrix(history: History, run_id: str, split: str = "val") -> pd.DataFrame:
    """Skill x iteration: n, accuracy, change, and ``alert`` where a mastered skill fell back."""
    with history.reader() as con:
        return _matrix(history, con, run_id, split)


def _matrix(history: History, con: duckdb.DuckDBPyConnection, run_id: str, split: str) -> pd.DataFrame:
    # Alerts as the run recorded them; a run that recorded none (or a history from before
    # alerts were recorded) gets them computed with the same rule: FORGET_DROP below the best.
    recorded = ("SELECT DISTINCT iteration, skill, true AS recorded FROM alerts WHERE run_id = ?"
                if has_table(history, con, "alerts") else
                "SELECT NULL::INTEGER AS iteration, NULL AS skill, true AS recorded WHERE ? IS NULL")
    return fetch(con, f"""
        WITH s AS (
            SELECT iteration, skill, n, correct, accuracy, change,
                   max(accuracy) OVER (PARTITION BY skill ORDER BY iteration
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_before
            FROM skill_scores WHERE run_id = ? AND split = ?
        ), rec AS ({recorded}), any_rec AS (SELECT count(*) > 0 AS yes FROM rec),
        flagged AS (
            SELECT s.*, CASE WHEN any_rec.yes THEN coalesce(rec.recorded, false)
                             ELSE coalesce(best_before - accuracy >= ? - ?, false) END AS alert
            FROM s LEFT JOIN rec USING (iteration, skill), any_rec
        )
        SELECT iteration, skill, n, correct, accuracy, change, best_before, alert
        FROM flagged QUALIFY alert OR {THINNED}
        ORDER BY skill, iteration""",
                 [run_id, split, run_id, FORGET_DROP, EPS, MAX_POINTS])


def _start_end(con: duckdb.DuckDBPyConnection, run_id: str, split: str) -> pd.DataFrame:
    """Per skill: accuracy at the first and the last recorded iteration."""
    return fetch(con, """
        SELECT skill, arg_min(accuracy, iteration) AS start, arg_max(accuracy, iteration) AS "end",
               max(iteration) AS last_iteration
        FROM skill_scores WHERE run_id = ? AND split = ? GROUP BY skill ORDER BY skill""",
                  [run_id, split])


# -- 4. curriculum ---------------------------------------------------------------------------
def curriculum(history: History, run_id: str) -> dict[str, pd.DataFrame]:
    """Allocations per skill and iteration, plans' reasoning, QC yield, and the skill forest."""
    with history.reader() as con:
        return {
            "allocations": fetch(con, f"""
                SELECT iteration, skill, sum(count)::INTEGER AS count
                FROM allocations WHERE run_id = ? GROUP BY iteration, skill
                QUALIFY {THINNED} ORDER BY iteration, skill""", [run_id, MAX_POINTS]),
            "plans": fetch(con, """
                SELECT iteration, total, coalesce(edited_by, 'teacher') AS edited_by, reasoning
                FROM plans WHERE run_id = ? ORDER BY iteration DESC LIMIT ?""", [run_id, PAGE]),
            "yield": _yield(con, run_id, "known" in schema(history, con).get("examples", ())),
            "forest": _forest(history, con, run_id),
        }


def _yield(con: duckdb.DuckDBPyConnection, run_id: str, with_known: bool) -> pd.DataFrame:
    """Per skill: generated, kept, the share kept, the commonest reject reason, and how many
    the student already knew (when the history records it)."""
    known = "count(*) FILTER (WHERE known)::INTEGER" if with_known else "NULL::INTEGER"
    return fetch(con, f"""
        SELECT skill, count(*)::INTEGER AS generated, count(*) FILTER (WHERE kept)::INTEGER AS kept,
               count(*) FILTER (WHERE kept) / count(*) AS yield,
               mode(reason) FILTER (WHERE NOT kept) AS top_reason, {known} AS known
        FROM examples WHERE run_id = ? GROUP BY skill ORDER BY skill""", [run_id])


FOREST_COLUMNS = ["skill", "subskill", "description", "allocation", "generated", "kept",
                  "fresh_accuracy", "added", "reward", "mean_reward"]


def _forest(history: History, con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The Skill-Tree forest after the last iteration: per subskill its allocation, data and
    fresh accuracy, with the skill's reward (its val accuracy change) then and on average.

    Empty below the Skill-Tree level. A history without recorded forests gets the subskills
    from the allocations."""
    rewards = """
        reward AS (SELECT skill, arg_max(change, iteration) AS reward, avg(change) AS mean_reward
                   FROM skill_scores WHERE run_id = ? AND split = 'val' AND iteration > 0
                   GROUP BY skill)"""
    level = con.execute("SELECT level FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if not level or level[0] != Level.SKILL_TREE:
        return pd.DataFrame(columns=FOREST_COLUMNS)
    if has_table(history, con, "forest"):
        found = fetch(con, f"""
            WITH f AS (SELECT * FROM forest WHERE run_id = ?
                       QUALIFY iteration = max(iteration) OVER ()), {rewards}
            SELECT f.skill, f.subskill, f.description, f.allocation::INTEGER AS allocation,
                   f.generated::INTEGER AS generated, f.kept::INTEGER AS kept,
                   TRY_CAST(json_extract(f.fresh, '$[-1]') AS DOUBLE) AS fresh_accuracy,
                   f.added, reward.reward, reward.mean_reward
            FROM f LEFT JOIN reward USING (skill) ORDER BY f.skill, f.seq""", [run_id, run_id])
        if not found.empty:
            return found
    return fetch(con, f"""
        WITH a AS (SELECT iteration, skill, subskill, sum(count) AS count FROM allocations
                   WHERE run_id = ? AND subskill IS NOT NULL GROUP BY ALL),
             last AS (SELECT skill, subskill, arg_max(count, iteration)::INTEGER AS allocation,
                             sum(count)::INTEGER AS generated, min(iteration) AS added
                      FROM a GROUP BY skill, subskill), {rewards}
        SELECT last.skill, last.subskill, '' AS description, allocation, generated,
               NULL::INTEGER AS kept, NULL::DOUBLE AS fresh_accuracy, added,
               reward.reward, reward.mean_reward
        FROM last LEFT JOIN reward USING (skill) ORDER BY last.skill, last.subskill""",
                  [run_id, run_id])


# -- 7. compare ------------------------------------------------------------------------------
def compare(history: History, run_ids: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Curves (mean test accuracy against examples used), final per-skill test accuracy and
    the configs of the given runs."""
    ids = list(run_ids)
    with history.reader() as con:
        return {
            "curves": fetch(con, """
                SELECT run_id, iteration, examples_used, test_mean, val_mean FROM iterations
                WHERE list_contains(?, run_id) ORDER BY run_id, iteration""", [ids]),
            "final": fetch(con, """
                WITH last AS (SELECT run_id, max(iteration) AS iteration FROM iterations
                              WHERE list_contains(?, run_id) GROUP BY run_id)
                SELECT s.run_id, s.skill, s.accuracy FROM skill_scores s JOIN last
                    ON s.run_id = last.run_id AND s.iteration = last.iteration
                WHERE s.split = 'test' ORDER BY s.skill, s.run_id""", [ids]),
            "runs": fetch(con, """
                SELECT run_id, seed, policy, level, engine, student, status, config FROM runs
                WHERE list_contains(?, run_id) ORDER BY created_at""", [ids]),
        }


# -- 9. cost ---------------------------------------------------------------------------------
# what a run paid for: cache replays were not sent, so their tokens and dollars are no spending
PAID = """coalesce(sum(tokens_in) FILTER (WHERE NOT cache_hit), 0)::BIGINT AS tokens_in,
                   coalesce(sum(tokens_out) FILTER (WHERE NOT cache_hit), 0)::BIGINT AS tokens_out,
                   sum(cost_usd) FILTER (WHERE NOT cache_hit) AS cost_usd,
                   count(*) FILTER (WHERE NOT cache_hit)::INTEGER AS calls,
                   count(*) FILTER (WHERE cache_hit)::INTEGER AS replays"""


def cost(history: History, run_id: str) -> dict[str, Any]:
    """Tokens and dollars per iteration and per skill, and the accuracy gained (start -> end).

    ``llm`` is False when the run made no LLM call (an algorithmic teacher)."""
    with history.reader() as con:
        gain = _start_end(con, run_id, "test")
        means = con.execute("""
            SELECT arg_min(test_mean, iteration), arg_max(test_mean, iteration) FROM iterations
            WHERE run_id = ?""", [run_id]).fetchone()
        empty = pd.DataFrame(columns=["tokens_in", "tokens_out", "cost_usd", "calls"])
        if not has_table(history, con, "llm_calls"):
            return {"llm": False, "per_iteration": empty, "per_skill": empty, "gain": gain,
                    "test_start": means[0], "test_end": means[1]}
        per_iteration = fetch(con, f"""
            SELECT iteration, {PAID}
            FROM llm_calls WHERE run_id = ? GROUP BY iteration ORDER BY iteration""", [run_id])
        per_skill = fetch(con, f"""
            WITH made AS (SELECT call_id, any_value(skill) AS skill FROM examples
                          WHERE run_id = ? AND call_id IS NOT NULL GROUP BY call_id)
            SELECT coalesce(made.skill, '(' || coalesce(l.role, 'other') || ')') AS skill,
                   {PAID}
            FROM llm_calls l LEFT JOIN made USING (call_id) WHERE l.run_id = ?
            GROUP BY 1 ORDER BY 1""", [run_id, run_id])
    return {"llm": not per_iteration.empty, "per_iteration": per_iteration, "per_skill": per_skill,
            "gain": gain, "test_start": means[0], "test_end": means[1]}
