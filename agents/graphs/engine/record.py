"""The engine's account of one iteration in the history: rejected examples with their reason,
and per skill what was asked, delivered, and how often the teacher's own answer was wrong."""

from __future__ import annotations

import pandas as pd

import duckdb

from agents.graphs.engine.state import EngineState
from agents.llm.store import Job
from envs.history.database import insert_frame

METHOD = {True: "oracle", False: "agreement"}


def generation_rows(run_id: str, iteration: int, state: EngineState, *, oracle: bool) -> Job:
    """A write job (for ``LLMClient.defer``) that replaces the iteration's rows: a resumed
    iteration writes them again, not twice."""
    rejects = pd.DataFrame([
        {"run_id": run_id, "iteration": iteration, "call_id": c.get("call_id"),
         "skill": c["skill"], "subskill": c["subskill"], "prompt": c["prompt"],
         "answer": c.get("answer"), "reason": c["reason"]}
        for c in state.get("rejected", [])])
    checks = pd.DataFrame(_check_rows(run_id, iteration, state, oracle))

    def job(con: duckdb.DuckDBPyConnection) -> None:
        for table in ("llm_rejects", "teacher_checks"):
            con.execute(f"DELETE FROM {table} WHERE run_id = ? AND iteration = ?",
                        [run_id, iteration])
        insert_frame(con, "llm_rejects", rejects)
        insert_frame(con, "teacher_checks", checks)

    return job


def _check_rows(run_id: str, iteration: int, state: EngineState, oracle: bool) -> list[dict]:
    rows = []
    for t in state["targets"]:
        key = t["skill"] if t["subskill"] is None else f"{t['skill']}/{t['subskill']}"
        checked, wrong = state.get("checked", {}).get(key, [0, 0])
        ok, failed = state.get("calls", {}).get(key, [0, 0])
        delivered = sum(1 for c in state.get("kept", [])
                        if (c["skill"], c["subskill"]) == (t["skill"], t["subskill"]))
        rows.append({"run_id": run_id, "iteration": iteration, "skill": t["skill"],
                     "subskill": t["subskill"], "method": METHOD[oracle], "requested": t["want"],
                     "delivered": delivered, "checked": checked, "wrong": wrong,
                     "calls": ok + failed})
    return rows
