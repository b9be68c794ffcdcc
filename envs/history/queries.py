"""Reads of the history used by resume and the command line (the list of runs is
``summaries.runs``, shared with the app)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from envs.history.database import History
from envs.records import Alert, Answer, Example, SkillProfile, Subskill
from envs.evaluation import score_answers
from envs.tasks.task import Task
from envs.history import HistoryError


def run_row(history: History, run_id: str) -> dict[str, Any]:
    """The run's row as a dict (config and versions parsed); HistoryError if unknown."""
    frame = history.frame("SELECT * FROM runs WHERE run_id = ?", [run_id])
    if frame.empty:
        known = [r[0] for r in history.rows("SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 5")]
        hint = f" (recent: {', '.join(known)})" if known else " (the history has no runs)"
        raise HistoryError(f"no run {run_id!r} in {history.path}{hint}")
    row = frame.iloc[0].to_dict()
    for key in ("config", "versions"):
        row[key] = json.loads(row[key]) if row.get(key) else {}
    return row


def is_recorded(history: History, run_id: str) -> bool:
    """Whether the run has its row yet (a run starting in another thread or process, which
    may not have created the file yet)."""
    if not history.path.exists():
        return False
    return bool(history.scalar("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]))


def mean_iteration_seconds(history: History, run_id: str) -> float:
    """The mean wall time of the run's teaching iterations so far (0 before the first)."""
    return history.scalar("SELECT avg(t_total) FROM iterations WHERE run_id = ? AND iteration > 0",
                          [run_id]) or 0.0


def last_iteration(history: History, run_id: str) -> int | None:
    return history.scalar("SELECT max(iteration) FROM iterations WHERE run_id = ?", [run_id])


def iterations(history: History, run_id: str) -> pd.DataFrame:
    return history.frame("SELECT * FROM iterations WHERE run_id = ? ORDER BY iteration", [run_id])


def skill_scores(history: History, run_id: str) -> pd.DataFrame:
    return history.frame(
        "SELECT iteration, split, skill, n, correct, accuracy, change FROM skill_scores"
        " WHERE run_id = ? ORDER BY iteration, split, skill", [run_id])


def row_counts(history: History, run_id: str) -> dict[str, int]:
    """Rows per table for one run (resume must neither duplicate nor lose any)."""
    tables = ("iterations", "skill_scores", "plans", "allocations", "examples", "answers")
    return {t: history.scalar(f"SELECT count(*) FROM {t} WHERE run_id = ?", [run_id])
            for t in tables}


def kept_examples(history: History, run_id: str, upto: int) -> list[Example]:
    rows = history.rows(
        "SELECT prompt, answer, skill, subskill, engine, iteration, call_id FROM examples"
        " WHERE run_id = ? AND kept AND iteration <= ? ORDER BY iteration, seq", [run_id, upto])
    return [Example(*row) for row in rows]


def profile(history: History, task: Task, run_id: str, iteration: int, split: str,
            previous: SkillProfile | None = None) -> SkillProfile:
    """Rebuild a recorded SkillProfile (with every answer) from the answers table."""
    items = {item.id: item for item in task.split(split)}
    rows = history.rows(
        "SELECT item_id, prediction, correct FROM answers WHERE run_id = ? AND iteration = ?"
        " AND split = ? ORDER BY item_id", [run_id, iteration, split])
    order = {item_id: k for k, item_id in enumerate(items)}
    rows.sort(key=lambda r: order.get(r[0], len(order)))
    answers = tuple(Answer(items[i], p, bool(c)) for i, p, c in rows if i in items)
    return SkillProfile(split, score_answers(task, answers, previous), answers)


def past_accuracies(history: History, run_id: str, before: int) -> list[dict[str, float]]:
    frame = history.frame(
        "SELECT iteration, skill, accuracy FROM skill_scores WHERE run_id = ? AND split = 'val'"
        " AND iteration < ? ORDER BY iteration", [run_id, before])
    return [dict(zip(g.skill, g.accuracy)) for _, g in frame.groupby("iteration", sort=True)]


def policy_state(history: History, run_id: str, iteration: int) -> dict[str, Any]:
    raw = history.scalar(
        "SELECT policy_state FROM iterations WHERE run_id = ? AND iteration = ?", [run_id, iteration])
    return json.loads(raw) if raw else {}


def forest_nodes(history: History, run_id: str, iteration: int) -> list[Subskill]:
    """The Skill-Tree forest recorded after ``iteration`` (empty for other levels)."""
    rows = history.rows(
        "SELECT skill, subskill, description, allocation, generated, kept, fresh, added"
        " FROM forest WHERE run_id = ? AND iteration = ? ORDER BY seq", [run_id, iteration])
    return [Subskill(s, n, d or "", a, g, k, tuple(json.loads(f) if f else ()), added)
            for s, n, d, a, g, k, f, added in rows]


def alerts(history: History, run_id: str) -> list[Alert]:
    """Every forgetting alert of the run, in order."""
    rows = history.rows(
        "SELECT iteration, skill, best, best_iteration, accuracy FROM alerts WHERE run_id = ?"
        " ORDER BY iteration, skill", [run_id])
    return [Alert(*row) for row in rows]


def yields(history: History, run_id: str) -> pd.DataFrame:
    """Per iteration and skill (subskill NULL) or subskill: generated, kept, yield, known,
    and the examples rejected for each reason."""
    return history.frame(
        """
        SELECT y.iteration, y.skill, y.subskill, y.generated, y.kept,
               CASE WHEN y.generated > 0 THEN y.kept / y.generated END AS yield,
               y.judged, y.known
        FROM yields y WHERE y.run_id = ? ORDER BY y.iteration, y.skill, y.subskill NULLS FIRST
        """, [run_id])


def rejections(history: History, run_id: str) -> pd.DataFrame:
    """Rejected examples per iteration, skill and reason (reasons cut at their first colon)."""
    return history.frame(
        """
        SELECT iteration, skill, split_part(reason, ':', 1) AS reason, count(*) AS n
        FROM examples WHERE run_id = ? AND NOT kept
        GROUP BY ALL ORDER BY iteration, skill, n DESC
        """, [run_id])


def student_rates(history: History, student: str) -> tuple[float, float] | None:
    """Seconds per budgeted example (all but evaluation) and per evaluation, over every
    teaching iteration of runs with this student; None before any."""
    found = history.rows(
        "SELECT sum(i.t_total - coalesce(i.t_evaluate, 0)) / greatest(sum(r.budget), 1),"
        " avg(i.t_evaluate) FROM iterations i JOIN runs r USING (run_id)"
        " WHERE r.student = ? AND i.iteration > 0", [student])
    return None if not found or found[0][0] is None else (float(found[0][0]), float(found[0][1] or 0))
