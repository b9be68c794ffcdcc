"""The DuckDB history: the single source of truth for runs.

Concurrency design: DuckDB lets one process hold a file read-write, and an open read-write
connection blocks every other process, readers included. So nothing here keeps a connection
open: every write is one short read-write transaction and every read one short read-only
connection, each retried with backoff while another process holds the lock. A headless run
and the browser app can then share one file; the run writes at phase boundaries only.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from envs.migrations import migrate, pending
from students.errors import HistoryError

LOCK_WAIT_S = 30.0


def _is_lock_error(err: Exception) -> bool:
    text = str(err)
    return "lock" in text.lower() or "Conflicting" in text


class History:
    """A history file. Cheap to construct; opens connections only while working."""

    def __init__(self, path: str | Path, *, lock_wait_s: float = LOCK_WAIT_S) -> None:
        self.path = Path(path)
        self.lock_wait_s = lock_wait_s
        self._local = threading.Lock()  # one writer per process at a time
        self._migrated = False

    # -- connections -------------------------------------------------------------------
    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_wait_s
        delay = 0.01
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except (duckdb.IOException, duckdb.ConnectionException) as e:
                if not _is_lock_error(e) or time.monotonic() > deadline:
                    raise HistoryError(f"cannot open history {self.path}: {e}") from e
            except duckdb.Error as e:
                raise HistoryError(f"cannot open history {self.path}: {e}") from e
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.25)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One read-write transaction: all of it lands, or none of it."""
        with self._local:
            con = self._connect(read_only=False)
            try:
                if not self._migrated:
                    self._migrate(con)
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            except duckdb.Error as e:
                raise HistoryError(f"history write failed ({self.path}): {e}") from e
            finally:
                con.close()

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("BEGIN TRANSACTION")
        try:
            migrate(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self._migrated = True

    def ensure(self) -> None:
        """Create the file and apply pending migrations."""
        with self.transaction():
            pass

    @contextlib.contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short read-only connection (migrating first when the file is old or missing)."""
        if not self.path.exists():
            self.ensure()
        con = self._connect(read_only=True)
        try:
            if pending(con):
                con.close()
                self.ensure()
                con = self._connect(read_only=True)
            yield con
        except duckdb.Error as e:
            raise HistoryError(f"history read failed ({self.path}): {e}") from e
        finally:
            con.close()

    # -- generic helpers -----------------------------------------------------------------
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self.reader() as con:
            return con.execute(sql, list(params)).fetchall()

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        with self.reader() as con:
            return con.execute(sql, list(params)).df()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Bulk-insert a DataFrame whose columns name columns of ``table``."""
    if frame.empty:
        return
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    con.register("_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _frame")
    finally:
        con.unregister("_frame")
