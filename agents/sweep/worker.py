"""One cell on a worker: run (or resume) it in its own shard, and return its rows as Arrow.

The shard is a DuckDB file of its own on the worker's disk, so cells never contend for the
user's history and a cluster needs no shared disk. A shard that already holds the run is
resumed from its last completed iteration (a killed cell), or just read back (a cell that
finished after its driver died). The shard stays until the driver has merged it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from agents.config import RunConfig
from students.registry import one_line

SHARDS_ENV = "CURRICULAB_SHARDS"  # where a worker keeps shards when the driver names none


@dataclass(frozen=True, slots=True)
class CellTask:
    """What a worker needs: everything is plain data, so it pickles for any executor."""

    sweep_id: str
    cell: str
    run_id: str
    config: Mapping[str, Any]  # RunConfig.to_dict()
    shards: str | None = None  # a folder on the worker; None: $CURRICULAB_SHARDS or the temp dir
    own_checkpoints: bool = True  # checkpoints beside the shard (the config names no folder)


@dataclass(frozen=True, slots=True)
class CellOutcome:
    cell: str
    run_id: str
    status: str  # the run's: completed | failed | stopped
    error: str | None = None
    resumed_after: int | None = None  # the shard's last iteration when this attempt began
    seconds: float = 0.0
    worker: str = ""
    node: str | None = None  # the Ray node, so the shard can be removed where it lives
    tables: Mapping[str, pa.Table] = field(default_factory=dict)


def shard_dir(task: CellTask) -> Path:
    root = task.shards or os.environ.get(SHARDS_ENV) or str(Path(tempfile.gettempdir()) /
                                                            "curriculab-shards")
    return Path(root) / task.sweep_id


def shard_path(task: CellTask) -> Path:
    return shard_dir(task) / f"{task.run_id}.duckdb"


def run_cell(task: CellTask) -> CellOutcome:
    """Run the cell to its end in its shard; never raises for a failing run (the outcome
    carries the error, and the rows recorded so far)."""
    from agents.runner import resume_run, start_run
    from envs.history import History
    from envs.history.queries import last_iteration

    t0 = time.perf_counter()
    path = shard_path(task)
    path.parent.mkdir(parents=True, exist_ok=True)
    history = History(path)
    config = RunConfig.from_dict(task.config)
    if task.own_checkpoints:
        config = replace(config, checkpoint_dir=str(path.parent / "checkpoints"))
    # The shard is this worker's alone: held open for the whole cell, so no write reopens and
    # checkpoints it, and left with its write-ahead log (it is read once more at most, by a
    # resume, before the driver deletes it); it exists from here on, even for a cell that
    # fails at once, made from an empty one instead of migrated anew.
    _from_template(path)
    with history.held(checkpoint=False):
        status = history.scalar("SELECT status FROM runs WHERE run_id = ?", [task.run_id])
        resumed_after = last_iteration(history, task.run_id) if status is not None else None
        error = None
        # the run's own lines and warnings go to a log beside the shard, not the driver's terminal
        with open(path.with_suffix(".log"), "a", encoding="utf-8") as log, \
                contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            try:
                if status is None:
                    status = start_run(config, history, progress=False, run_id=task.run_id).status
                elif status != "completed":
                    status = resume_run(task.run_id, history, progress=False).status
            except Exception as e:  # the run recorded its failure; the outcome carries it
                status, error = "failed", one_line(e)
        tables = export(history, task.run_id)
    return CellOutcome(task.cell, task.run_id, status, error, resumed_after,
                       time.perf_counter() - t0, f"{socket.gethostname()}:{os.getpid()}",
                       tables=tables)


_EMPTY: dict[int, bytes] = {}  # schema version -> an empty, migrated history, per process


def _from_template(path: Path) -> None:
    """Write an empty, migrated history to ``path`` unless a shard is already there: made
    once per worker process (in a temporary folder) and kept in memory, which is cheaper
    than migrating every shard anew."""
    from envs.history import History
    from envs.history.migrations import MIGRATIONS

    if path.exists():
        return
    version = MIGRATIONS[-1][0]
    if version not in _EMPTY:
        with tempfile.TemporaryDirectory(prefix="curriculab-empty-") as folder:
            empty = Path(folder) / "empty.duckdb"
            History(empty).ensure()
            _EMPTY[version] = empty.read_bytes()
    aside = path.with_name(f"{path.name}.tmp")
    aside.write_bytes(_EMPTY[version])
    os.replace(aside, path)  # whole or absent: a worker killed here leaves no half shard


def export(history: Any, run_id: str) -> dict[str, pa.Table]:
    """Every row of the shard that belongs to the run, by table, as Arrow."""
    from agents.sweep.store import KEYED, NOT_MERGED

    out: dict[str, pa.Table] = {}
    with history.reader() as con:
        columns: dict[str, set[str]] = {}
        for table, column in con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name ="
                " current_database() AND schema_name = current_schema()").fetchall():
            columns.setdefault(table, set()).add(column)
        for table, names in sorted(columns.items()):
            if table.startswith("_") or table in NOT_MERGED or table.startswith("sweep"):
                continue
            if "run_id" in names:
                rows = con.sql(f'SELECT * FROM "{table}" WHERE run_id = ?', params=[run_id]).to_arrow_table()
            elif table in KEYED:
                rows = con.sql(f'SELECT * FROM "{table}"').to_arrow_table()
            else:
                continue
            if rows.num_rows:
                out[table] = rows
    return out


def remove_shard(task: CellTask) -> None:
    """Delete the shard file (and its write-ahead log) once the driver has merged it."""
    path = shard_path(task)
    for p in (path, path.with_name(path.name + ".wal"), path.with_suffix(".log")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
