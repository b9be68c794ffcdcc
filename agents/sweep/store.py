"""Sweeps in the history: the sweep row, one row per cell, and merging a cell's shard.

Only the driver writes here. A cell's rows arrive as Arrow tables (read from the shard the
cell wrote on its worker) and land in one transaction together with the cell's new status,
after deleting whatever the history held for that run: a merge is whole or absent, and
merging the same run twice leaves one copy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from agents.sweep.spec import Cell, SweepSpec
from envs.history import History, HistoryError
from envs.history.clock import utcnow
from envs.history.runlog import new_run_id

# Tables keyed by something other than a run: copied whole from a shard, skipping rows whose
# key the history already has.
KEYED = {"llm_cache": "cache_key", "discovery_runs": "discovery_id",
         "discovery_labels": "discovery_id", "discovery_categories": "discovery_id",
         "discovery_assignments": "discovery_id"}
NOT_MERGED = frozenset({"controls", "sweep_cells"})  # requests to a live run; sweep records


def register(history: History, spec: SweepSpec, cells: Sequence[Cell], executor: str) -> pd.DataFrame:
    """Record the sweep and any cell not yet recorded (each gets its run id now); returns
    every cell's row. Running the same spec again finds the same rows."""
    sweep_id = spec.sweep_id
    with history.transaction() as con:
        if not con.execute("SELECT count(*) FROM sweeps WHERE sweep_id = ?", [sweep_id]).fetchone()[0]:
            con.execute("INSERT INTO sweeps VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
                        [sweep_id, spec.name, json.dumps(spec.as_json(), default=str), len(cells),
                         executor, utcnow(), utcnow()])
        else:
            con.execute("UPDATE sweeps SET status = 'running', executor = ?, updated_at = ?"
                        " WHERE sweep_id = ?", [executor, utcnow(), sweep_id])
        known = {r[0] for r in con.execute("SELECT cell FROM sweep_cells WHERE sweep_id = ?",
                                           [sweep_id]).fetchall()}
        taken = {r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()}
        for cell in cells:
            if cell.key in known:
                continue
            run_id = new_run_id()
            while run_id in taken:
                run_id = new_run_id()
            taken.add(run_id)
            con.execute(
                "INSERT INTO sweep_cells VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, NULL, NULL,"
                " NULL, NULL, ?)",
                [sweep_id, cell.key, cell.seq, run_id, json.dumps(dict(cell.axes), default=str),
                 json.dumps(cell.config.to_dict()), utcnow()])
    return cells_of(history, sweep_id)


def cells_of(history: History, sweep_id: str) -> pd.DataFrame:
    return history.frame("SELECT * FROM sweep_cells WHERE sweep_id = ? ORDER BY seq", [sweep_id])


def sweep_ids(history: History) -> list[str]:
    return [r[0] for r in history.rows("SELECT sweep_id FROM sweeps ORDER BY created_at")]


def sweeps(history: History) -> pd.DataFrame:
    """Every sweep with its cell counts by status."""
    return history.frame("""
        SELECT s.sweep_id, s.name, s.cells, s.executor, s.status, s.created_at,
               count(*) FILTER (WHERE c.status = 'completed') AS completed,
               count(*) FILTER (WHERE c.status = 'failed') AS failed
        FROM sweeps s LEFT JOIN sweep_cells c USING (sweep_id)
        GROUP BY ALL ORDER BY s.created_at""")


def run_ids(history: History, sweep_id: str) -> list[str]:
    """The runs of a sweep that are in the history (merged), in cell order."""
    return [r[0] for r in history.rows(
        "SELECT c.run_id FROM sweep_cells c JOIN runs r USING (run_id)"
        " WHERE c.sweep_id = ? ORDER BY c.seq", [sweep_id])]


def mark_dispatched(history: History, sweep_id: str, cells: Sequence[str]) -> None:
    """The cells were handed to workers: running, one more attempt."""
    with history.transaction() as con:
        con.execute("UPDATE sweep_cells SET status = 'running', attempts = attempts + 1,"
                    " updated_at = ? WHERE sweep_id = ? AND list_contains(?, cell)",
                    [utcnow(), sweep_id, list(cells)])


def mark(history: History, sweep_id: str, cell: str, status: str, **values: Any) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    with history.transaction() as con:
        con.execute(f"UPDATE sweep_cells SET status = ?, updated_at = ?{', ' if sets else ''}{sets}"
                    " WHERE sweep_id = ? AND cell = ?",
                    [status, utcnow(), *values.values(), sweep_id, cell])


def finish(history: History, sweep_id: str) -> str:
    """The sweep's status from its cells': completed, or failed while any cell is not done."""
    with history.transaction() as con:
        left = con.execute("SELECT count(*) FROM sweep_cells WHERE sweep_id = ?"
                           " AND status <> 'completed'", [sweep_id]).fetchone()[0]
        status = "completed" if not left else "incomplete"
        con.execute("UPDATE sweeps SET status = ?, updated_at = ? WHERE sweep_id = ?",
                    [status, utcnow(), sweep_id])
    return status


def merge(history: History, sweep_id: str, cell: str, run_id: str,
          tables: Mapping[str, pa.Table], status: str, **values: Any) -> None:
    """One transaction: the run's old rows out, the shard's rows in, the cell's status set."""
    sets = "".join(f", {k} = ?" for k in values)
    with history.transaction() as con:
        present: dict[str, bool] = {}  # table -> has a run_id column
        for table, column in con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name ="
                " current_database() AND schema_name = current_schema()").fetchall():
            present[table] = present.get(table, False) or column == "run_id"
        for table in sorted(t for t, by_run in present.items() if by_run and t not in NOT_MERGED):
            # every row of the run, even in tables now empty
            con.execute(f'DELETE FROM "{table}" WHERE run_id = ?', [run_id])
        for table, _shard in tables.items():  # DuckDB scans ``_shard`` (a local) as a table
            if table not in present or table in NOT_MERGED:
                raise HistoryError(f"cannot merge table {table!r} of run {run_id} into"
                                   f" {history.path}: the history has no such table")
            key = KEYED.get(table)
            if key is None:
                con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _shard')
            else:
                con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _shard'
                            f' WHERE "{key}" NOT IN (SELECT "{key}" FROM "{table}")')
        con.execute(f"UPDATE sweep_cells SET status = ?, updated_at = ?{sets}"
                    " WHERE sweep_id = ? AND cell = ?",
                    [status, utcnow(), *values.values(), sweep_id, cell])
