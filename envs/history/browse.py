"""The SQL behind the item-level views: generated examples (Data), the student's answers
(Errors), and the menus they filter by. Pages are capped at ``PAGE`` rows."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from envs.history.database import History
from envs.history.summaries import MAX_POINTS, PAGE, THINNED, fetch, has_table


def facets(history: History, run_id: str) -> dict[str, Any]:
    """The run's skills and its last completed iteration (for the views' menus)."""
    with history.reader() as con:
        skills = [r[0] for r in con.execute(
            "SELECT DISTINCT skill FROM skill_scores WHERE run_id = ? AND iteration = 0"
            " ORDER BY skill", [run_id]).fetchall()]
        last = con.execute("SELECT max(iteration) FROM iterations WHERE run_id = ?",
                           [run_id]).fetchone()[0]
    return {"skills": skills, "last_iteration": last}


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
        frame = fetch(con, f"""
            SELECT iteration, seq, skill, subskill, prompt, answer, kept, reason, engine, call_id
            FROM examples WHERE {cond} ORDER BY iteration, seq LIMIT ? OFFSET ?""",
                       [*params, PAGE, PAGE * max(0, int(page))])
    return frame, int(total)


def teacher_call(history: History, run_id: str, iteration: int, seq: int) -> dict[str, Any]:
    """An example and the LLM call(s) that produced it (empty when no LLM made it)."""
    with history.reader() as con:
        ex = fetch(con, "SELECT * FROM examples WHERE run_id = ? AND iteration = ? AND seq = ?",
                    [run_id, int(iteration), int(seq)])
        if ex.empty:
            return {"example": None, "calls": pd.DataFrame(), "request": None, "content": None}
        call_id = ex.call_id.iloc[0]
        calls, request, content = pd.DataFrame(), None, None
        if call_id and has_table(history, con, "llm_calls"):
            calls = fetch(con, """
                SELECT call_id, attempt, status, model, role, label, tokens_in, tokens_out,
                       cost_usd, latency_s, cache_hit, error FROM llm_calls
                WHERE call_id = ? ORDER BY attempt""", [call_id])
            cached = con.execute("SELECT request, content FROM llm_cache WHERE call_id = ? LIMIT 1",
                                 [call_id]).fetchone() if has_table(history, con, "llm_cache") else None
            if cached:
                request, content = json.loads(cached[0]) if cached[0] else None, cached[1]
    return {"example": ex.iloc[0].to_dict(), "calls": calls, "request": request, "content": content}


def error_matrix(history: History, run_id: str, split: str = "val") -> pd.DataFrame:
    """Wrong answers per skill and iteration."""
    with history.reader() as con:
        return fetch(con, f"""
            SELECT iteration, skill, count(*) FILTER (WHERE NOT correct)::INTEGER AS wrong,
                   count(*)::INTEGER AS n
            FROM answers WHERE run_id = ? AND split = ?
            GROUP BY iteration, skill QUALIFY {THINNED} ORDER BY skill, iteration""",
                     [run_id, split, MAX_POINTS])


def wrong_answers(history: History, run_id: str, iteration: int, skill: str,
                  split: str = "val") -> pd.DataFrame:
    """The student's wrong answers for one skill at one iteration."""
    with history.reader() as con:
        return fetch(con, """
            SELECT item_id, prediction FROM answers
            WHERE run_id = ? AND split = ? AND iteration = ? AND skill = ? AND NOT correct
            ORDER BY item_id LIMIT ?""", [run_id, split, int(iteration), skill, PAGE])


def item_answers(history: History, run_id: str, item_id: str, split: str = "val") -> pd.DataFrame:
    """One item's answers across iterations."""
    with history.reader() as con:
        return fetch(con, """
            SELECT iteration, prediction, correct FROM answers
            WHERE run_id = ? AND split = ? AND item_id = ? ORDER BY iteration""",
                      [run_id, split, item_id])
