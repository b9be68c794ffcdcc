"""The SQL behind every view of the app, aggregated in DuckDB and bounded.

Each function opens one short read-only connection (``History.reader``), runs the view's
statements and returns small DataFrames: the app never holds a connection, so a run in
another process can keep writing. Long runs are downsampled to ``MAX_POINTS`` iterations
(forgetting alerts are always kept); lists are capped with ``LIMIT``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from envs.history import History

MAX_POINTS = 60  # iterations per chart; a longer run shows every k-th and its last
MAX_RUNS = 500  # rows in the runs table
PAGE = 100  # rows per page in lists
MASTERED = 0.8  # val accuracy at which a skill counts as mastered
FORGET_DROP = 0.1  # a fall this far below its best since mastery is a forgetting alert


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [table]).fetchone()[0])


# -- 1. runs ---------------------------------------------------------------------------------
def runs(history: History) -> pd.DataFrame:
    """Every run (newest first) with its progress and final accuracies."""
    with history.reader() as con:
        return _frame(con, """
            SELECT r.run_id, r.status, r.task, r.level, r.policy, r.engine, r.student, r.seed,
                   coalesce(i.iteration, 0) AS done, r.iterations, r.budget,
                   i.val_mean AS final_val, i.test_mean AS final_test,
                   i.examples_used, r.created_at, r.heartbeat_at, r.message
            FROM runs r LEFT JOIN (
                SELECT run_id, iteration, val_mean, test_mean, examples_used FROM iterations
                QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY iteration DESC) = 1
            ) i USING (run_id)
            ORDER BY r.created_at DESC LIMIT ?""", [MAX_RUNS])


# -- 2. live ---------------------------------------------------------------------------------
def live(history: History, run_id: str | None,
         follow: bool = False) -> tuple[dict[str, Any] | None, pd.DataFrame]:
    """The run's live row (phase, heartbeat, …) and its completed iterations so far.

    With ``follow``, the newest run still running is shown instead, when there is one."""
    with history.reader() as con:
        if follow:
            newest = con.execute("SELECT run_id FROM runs WHERE status = 'running'"
                                 " ORDER BY created_at DESC LIMIT 1").fetchone()
            run_id = newest[0] if newest else run_id
        row = _frame(con, """
            SELECT run_id, status, phase, phase_iteration, phase_progress, heartbeat_at,
                   iterations, created_at, updated_at, message, policy, task, student
            FROM runs WHERE run_id = ?""", [run_id])
        its = _frame(con, """
            SELECT iteration, started_at, ended_at, t_total, val_mean, test_mean, examples_used
            FROM iterations WHERE run_id = ? ORDER BY iteration DESC LIMIT ?""",
                     [run_id, MAX_POINTS])
    return (None if row.empty else row.iloc[0].to_dict()), its.iloc[::-1].reset_index(drop=True)


# -- 3. skill profile ------------------------------------------------------------------------
_STRIDE = """
    stride AS (SELECT greatest(1, ceil((coalesce(max(iteration), 0) + 1) / ?))::INTEGER AS k,
                      max(iteration) AS last FROM iterations WHERE run_id = ?)"""


def profile(history: History, run_id: str) -> dict[str, pd.DataFrame]:
    """The skill-profile view: the val matrix (with alerts) and test accuracy at start and end."""
    with history.reader() as con:
        return {"matrix": _matrix(con, run_id, "val"), "test": _start_end(con, run_id, "test")}


def skill_matrix(history: History, run_id: str, split: str = "val") -> pd.DataFrame:
    """Skill x iteration: n, accuracy, change, and ``alert`` where a mastered skill fell back."""
    with history.reader() as con:
        return _matrix(con, run_id, split)


def _matrix(con: duckdb.DuckDBPyConnection, run_id: str, split: str) -> pd.DataFrame:
    return _frame(con, f"""
        WITH s AS (
            SELECT iteration, skill, n, correct, accuracy, change,
                   max(accuracy) OVER (PARTITION BY skill ORDER BY iteration
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_before
            FROM skill_scores WHERE run_id = ? AND split = ?
        ), {_STRIDE}
        SELECT iteration, skill, n, correct, accuracy, change, best_before,
               coalesce(best_before >= ? AND accuracy <= best_before - ?, false) AS alert
        FROM s, stride
        WHERE iteration % stride.k = 0 OR iteration = stride.last
           OR (best_before >= ? AND accuracy <= best_before - ?)
        ORDER BY skill, iteration""",
                  [run_id, split, MAX_POINTS, run_id, MASTERED, FORGET_DROP, MASTERED, FORGET_DROP])


def _start_end(con: duckdb.DuckDBPyConnection, run_id: str, split: str) -> pd.DataFrame:
    """Per skill: accuracy at the first and the last recorded iteration."""
    return _frame(con, """
        SELECT skill, arg_min(accuracy, iteration) AS start, arg_max(accuracy, iteration) AS "end",
               max(iteration) AS last_iteration
        FROM skill_scores WHERE run_id = ? AND split = ? GROUP BY skill ORDER BY skill""",
                  [run_id, split])


# -- 4. curriculum ---------------------------------------------------------------------------
def curriculum(history: History, run_id: str) -> dict[str, pd.DataFrame]:
    """Allocations per skill and iteration, plans' reasoning, QC yield, and the skill forest."""
    with history.reader() as con:
        return {
            "allocations": _frame(con, f"""
                WITH {_STRIDE.strip()}
                SELECT iteration, skill, sum(count)::INTEGER AS count
                FROM allocations, stride WHERE run_id = ?
                  AND (iteration % stride.k = 0 OR iteration = stride.last)
                GROUP BY iteration, skill ORDER BY iteration, skill""", [MAX_POINTS, run_id, run_id]),
            "plans": _frame(con, """
                SELECT iteration, total, coalesce(edited_by, 'teacher') AS edited_by, reasoning
                FROM plans WHERE run_id = ? ORDER BY iteration DESC LIMIT ?""", [run_id, PAGE]),
            "yield": _frame(con, """
                SELECT skill, count(*)::INTEGER AS generated,
                       count(*) FILTER (WHERE kept)::INTEGER AS kept,
                       count(*) FILTER (WHERE kept) / count(*) AS yield,
                       mode(reason) FILTER (WHERE NOT kept) AS top_reason
                FROM examples WHERE run_id = ? GROUP BY skill ORDER BY skill""", [run_id]),
            "forest": _frame(con, """
                WITH a AS (SELECT iteration, skill, subskill, sum(count) AS count FROM allocations
                           WHERE run_id = ? AND subskill IS NOT NULL GROUP BY ALL)
                SELECT a.skill, a.subskill, sum(a.count)::INTEGER AS allocated,
                       count(*)::INTEGER AS iterations, max(a.iteration) AS last_iteration,
                       avg(s.change) AS reward
                FROM a LEFT JOIN skill_scores s ON s.run_id = ? AND s.split = 'val'
                     AND s.iteration = a.iteration AND s.skill = a.skill
                GROUP BY a.skill, a.subskill ORDER BY a.skill, a.subskill""", [run_id, run_id]),
        }


def facets(history: History, run_id: str) -> dict[str, Any]:
    """The run's skills and its last completed iteration (for the views' menus)."""
    with history.reader() as con:
        skills = [r[0] for r in con.execute(
            "SELECT DISTINCT skill FROM skill_scores WHERE run_id = ? AND iteration = 0"
            " ORDER BY skill", [run_id]).fetchall()]
        last = con.execute("SELECT max(iteration) FROM iterations WHERE run_id = ?",
                           [run_id]).fetchone()[0]
    return {"skills": skills, "last_iteration": last}


# -- 5. data ---------------------------------------------------------------------------------
def examples(history: History, run_id: str, *, iteration: int | None = None,
             skill: str | None = None, verdict: str = "all", search: str = "",
             page: int = 0) -> tuple[pd.DataFrame, int]:
    """One page of generated examples matching the filters, and how many match in all."""
    where = ["run_id = ?"]
    params: list[Any] = [run_id]
    if iteration is not None:
        where.append("iteration = ?")
        params.append(int(iteration))
    if skill:
        where.append("skill = ?")
        params.append(skill)
    if verdict in ("kept", "rejected"):
        where.append("kept" if verdict == "kept" else "NOT kept")
    if search:
        where.append("(prompt ILIKE ? OR answer ILIKE ? OR reason ILIKE ?)")
        params += [f"%{search}%"] * 3
    cond = " AND ".join(where)
    with history.reader() as con:
        total = con.execute(f"SELECT count(*) FROM examples WHERE {cond}", params).fetchone()[0]
        frame = _frame(con, f"""
            SELECT iteration, seq, skill, subskill, prompt, answer, kept, reason, engine, call_id
            FROM examples WHERE {cond} ORDER BY iteration, seq LIMIT ? OFFSET ?""",
                       [*params, PAGE, PAGE * max(0, int(page))])
    return frame, int(total)


def teacher_call(history: History, run_id: str, iteration: int, seq: int) -> dict[str, Any]:
    """An example and the LLM call(s) that produced it (empty when no LLM made it)."""
    with history.reader() as con:
        ex = _frame(con, "SELECT * FROM examples WHERE run_id = ? AND iteration = ? AND seq = ?",
                    [run_id, int(iteration), int(seq)])
        if ex.empty:
            return {"example": None, "calls": pd.DataFrame(), "request": None, "content": None}
        call_id = ex.call_id.iloc[0]
        calls, request, content = pd.DataFrame(), None, None
        if call_id and _has_table(con, "llm_calls"):
            calls = _frame(con, """
                SELECT call_id, attempt, status, model, role, label, tokens_in, tokens_out,
                       cost_usd, latency_s, cache_hit, error FROM llm_calls
                WHERE call_id = ? ORDER BY attempt""", [call_id])
            cached = con.execute("SELECT request, content FROM llm_cache WHERE call_id = ? LIMIT 1",
                                 [call_id]).fetchone() if _has_table(con, "llm_cache") else None
            if cached:
                request, content = json.loads(cached[0]) if cached[0] else None, cached[1]
    return {"example": ex.iloc[0].to_dict(), "calls": calls, "request": request, "content": content}


# -- 6. errors -------------------------------------------------------------------------------
def error_matrix(history: History, run_id: str, split: str = "val") -> pd.DataFrame:
    """Wrong answers per skill and iteration."""
    with history.reader() as con:
        return _frame(con, f"""
            WITH {_STRIDE.strip()}
            SELECT iteration, skill, count(*) FILTER (WHERE NOT correct)::INTEGER AS wrong,
                   count(*)::INTEGER AS n
            FROM answers, stride WHERE run_id = ? AND split = ?
              AND (iteration % stride.k = 0 OR iteration = stride.last)
            GROUP BY iteration, skill ORDER BY skill, iteration""",
                      [MAX_POINTS, run_id, run_id, split])


def wrong_answers(history: History, run_id: str, iteration: int, skill: str,
                  split: str = "val") -> pd.DataFrame:
    """The student's wrong answers for one skill at one iteration."""
    with history.reader() as con:
        return _frame(con, """
            SELECT item_id, prediction FROM answers
            WHERE run_id = ? AND split = ? AND iteration = ? AND skill = ? AND NOT correct
            ORDER BY item_id LIMIT ?""", [run_id, split, int(iteration), skill, PAGE])


def item_answers(history: History, run_id: str, item_id: str, split: str = "val") -> pd.DataFrame:
    """One item's answers across iterations."""
    with history.reader() as con:
        return _frame(con, """
            SELECT iteration, prediction, correct FROM answers
            WHERE run_id = ? AND split = ? AND item_id = ? ORDER BY iteration""",
                      [run_id, split, item_id])


# -- 7. compare ------------------------------------------------------------------------------
def compare(history: History, run_ids: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Curves (mean test accuracy against examples used), final per-skill test accuracy and
    the configs of the given runs."""
    ids = list(run_ids)
    with history.reader() as con:
        return {
            "curves": _frame(con, """
                SELECT run_id, iteration, examples_used, test_mean, val_mean FROM iterations
                WHERE list_contains(?, run_id) ORDER BY run_id, iteration""", [ids]),
            "final": _frame(con, """
                SELECT run_id, skill, accuracy FROM skill_scores
                WHERE list_contains(?, run_id) AND split = 'test'
                QUALIFY iteration = max(iteration) OVER (PARTITION BY run_id)
                ORDER BY skill, run_id""", [ids]),
            "runs": _frame(con, """
                SELECT run_id, seed, policy, level, engine, student, status, config FROM runs
                WHERE list_contains(?, run_id) ORDER BY created_at""", [ids]),
        }


# -- 9. cost ---------------------------------------------------------------------------------
def cost(history: History, run_id: str) -> dict[str, Any]:
    """Tokens and dollars per iteration and per skill, and the accuracy gained (start -> end).

    ``llm`` is False when the run made no LLM call (an algorithmic teacher)."""
    with history.reader() as con:
        gain = _start_end(con, run_id, "test")
        means = con.execute("""
            SELECT arg_min(test_mean, iteration), arg_max(test_mean, iteration) FROM iterations
            WHERE run_id = ?""", [run_id]).fetchone()
        empty = pd.DataFrame(columns=["tokens_in", "tokens_out", "cost_usd", "calls"])
        if not _has_table(con, "llm_calls"):
            return {"llm": False, "per_iteration": empty, "per_skill": empty, "gain": gain,
                    "test_start": means[0], "test_end": means[1]}
        per_iteration = _frame(con, """
            SELECT iteration, sum(tokens_in)::BIGINT AS tokens_in, sum(tokens_out)::BIGINT AS tokens_out,
                   sum(cost_usd) AS cost_usd, count(*)::INTEGER AS calls
            FROM llm_calls WHERE run_id = ? GROUP BY iteration ORDER BY iteration""", [run_id])
        per_skill = _frame(con, """
            WITH made AS (SELECT call_id, any_value(skill) AS skill FROM examples
                          WHERE run_id = ? AND call_id IS NOT NULL GROUP BY call_id)
            SELECT coalesce(made.skill, '(' || coalesce(l.role, 'other') || ')') AS skill,
                   sum(tokens_in)::BIGINT AS tokens_in, sum(tokens_out)::BIGINT AS tokens_out,
                   sum(cost_usd) AS cost_usd, count(*)::INTEGER AS calls
            FROM llm_calls l LEFT JOIN made USING (call_id) WHERE l.run_id = ?
            GROUP BY 1 ORDER BY 1""", [run_id, run_id])
    return {"llm": not per_iteration.empty, "per_iteration": per_iteration, "per_skill": per_skill,
            "gain": gain, "test_start": means[0], "test_end": means[1]}
