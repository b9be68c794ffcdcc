"""Discovery results in the history: one row per discovery, then one table per stage."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd

from envs.history.clock import utcnow
from envs.history.database import History, insert_frame

STAGES = ("label", "group", "assign")
_TABLES = {"label": "discovery_labels", "group": "discovery_categories",
           "assign": "discovery_assignments"}


class DiscoveryStore:
    def __init__(self, history: History, discovery_id: str) -> None:
        self.history, self.id = history, discovery_id

    def start(self, source: str, model: str, n_items: int) -> None:
        with self.history.transaction() as con:
            con.execute("INSERT OR IGNORE INTO discovery_runs (discovery_id, source, model,"
                        " status, stage, n_items, created_at, updated_at)"
                        " VALUES (?, ?, ?, 'running', NULL, ?, ?, ?)",
                        [self.id, source, model, n_items, utcnow(), utcnow()])

    def fail(self, message: str) -> None:
        """Mark the discovery failed (its finished stages stay, for a rerun to continue)."""
        with self.history.transaction() as con:
            con.execute("UPDATE discovery_runs SET status = 'failed', message = ?, updated_at = ?"
                        " WHERE discovery_id = ?", [message[:500], utcnow(), self.id])

    def done(self) -> list[str]:
        """The stages already completed (their rows are in the history)."""
        stage = self.history.scalar(
            "SELECT stage FROM discovery_runs WHERE discovery_id = ?", [self.id])
        return list(STAGES[: STAGES.index(stage) + 1]) if stage else []

    def save(self, stage: str, rows: list[dict]) -> None:
        """Land one stage's rows and mark it done, in one transaction."""
        table = _TABLES[stage]
        status = "completed" if stage == STAGES[-1] else "running"
        with self.history.transaction() as con:
            con.execute(f"DELETE FROM {table} WHERE discovery_id = ?", [self.id])
            insert_frame(con, table, pd.DataFrame([{"discovery_id": self.id, **r} for r in rows]))
            con.execute("UPDATE discovery_runs SET stage = ?, status = ?, message = NULL,"
                        " updated_at = ? WHERE discovery_id = ?",
                        [stage, status, utcnow(), self.id])

    def labels(self) -> dict[str, tuple[str, str]]:
        rows = self.history.rows("SELECT item_id, label, reason FROM discovery_labels"
                                 " WHERE discovery_id = ?", [self.id])
        return {i: (label, reason) for i, label, reason in rows}

    def categories(self) -> dict[str, tuple[str, list[str]]]:
        rows = self.history.rows("SELECT category, description, labels FROM discovery_categories"
                                 " WHERE discovery_id = ? ORDER BY rowid", [self.id])
        return {c: (d, json.loads(labels)) for c, d, labels in rows}

    def assignments(self) -> dict[str, tuple[str, str]]:
        rows = self.history.rows("SELECT item_id, category, method FROM discovery_assignments"
                                 " WHERE discovery_id = ?", [self.id])
        return {i: (c, m) for i, c, m in rows}


def category_rows(categories: Mapping[str, tuple[str, list[str]]]) -> list[dict]:
    return [{"category": c, "description": d, "labels": json.dumps(labels)}
            for c, (d, labels) in categories.items()]
