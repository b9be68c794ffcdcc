"""The DuckDB history: the single source of truth for runs.

Concurrency design: DuckDB lets one process hold a file read-write, and an open read-write
connection blocks every other process, readers included. So nothing here keeps a connection
open: every write is one short read-write transaction and every read one short read-only
connection, each retried with backoff while another process holds the lock. A headless run
and the browser app can then share one file; the run writes at phase boundaries only.

A read attaches the file read-only to one in-memory DuckDB kept per process and detaches it
afterwards: that holds the file's lock exactly as long as a read-only connection would, but
skips building a whole database instance per read (several times faster for the app's polls).

A file no other process uses (a sweep cell's shard) can be ``held`` instead: one read-write
connection for the whole block, which every write and read of the process shares.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from envs.history.migrations import MIGRATIONS, foreign, migrate, newer, pending
from students.errors import CurriculabError


class HistoryError(CurriculabError):
    """The DuckDB history could not be read or written."""

LOCK_WAIT_S = 30.0


def _is_lock_error(err: Exception) -> bool:
    text = str(err)
    # Within one process DuckDB refuses a read-only and a read-write connection to the same
    # file at once ("different configuration"), and briefly refuses to re-attach a file while
    # its last connection closes ("already attached"): for a thread these are waits, like a lock.
    return "lock" in text.lower() or any(
        s in text for s in ("Conflicting", "different configuration", "already attached"))


class _Gate:
    """Threads of one process share a file: readers together, a writer alone and first.

    DuckDB cannot hold read-only and read-write connections to one file in one process, so
    without this an app thread polling the history would fail or starve a run thread writing it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting_writers = 0

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and not self._waiting_writers)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            self._cond.wait_for(lambda: not self._writing and not self._readers)
            self._waiting_writers -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


_GATES: dict[str, _Gate] = {}
_GATES_LOCK = threading.Lock()
# Files this process holds open (``History.held``): real path -> the read-write connection
# that every transaction and read of the file in this process takes a cursor of.
_HELD: dict[str, duckdb.DuckDBPyConnection] = {}
_HELD_LOCK = threading.Lock()


_ANCHOR: duckdb.DuckDBPyConnection | None = None
_ANCHOR_LOCK = threading.Lock()
_ALIASES = itertools.count()


def _anchor() -> duckdb.DuckDBPyConnection:
    """The process's in-memory DuckDB that reads attach history files to."""
    global _ANCHOR
    with _ANCHOR_LOCK:
        if _ANCHOR is None:
            _ANCHOR = duckdb.connect(":memory:")
        return _ANCHOR


def _gate(path: Path) -> _Gate:
    key = os.path.realpath(path)
    with _GATES_LOCK:
        return _GATES.setdefault(key, _Gate())


class History:
    """A history file. Cheap to construct; opens connections only while working."""

    def __init__(self, path: str | Path, *, lock_wait_s: float = LOCK_WAIT_S) -> None:
        self.path = Path(path)
        self.lock_wait_s = lock_wait_s
        self._migrated = False
        self._checked = False  # the file is known to have every migration

    # -- connections -------------------------------------------------------------------
    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        return self._retry(lambda: duckdb.connect(str(self.path), read_only=read_only))

    def _retry(self, open_file: Callable[[], Any]) -> Any:
        """``open_file()``, retried with backoff while another process holds the file's lock."""
        deadline = time.monotonic() + self.lock_wait_s
        delay = 0.01
        while True:
            try:
                return open_file()
            except (duckdb.IOException, duckdb.ConnectionException) as e:
                if not _is_lock_error(e) or time.monotonic() > deadline:
                    raise HistoryError(f"cannot open history {self.path}: {e}") from e
            except duckdb.Error as e:
                raise HistoryError(f"cannot open history {self.path}: {e}") from e
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.25)

    def _held_cursor(self) -> duckdb.DuckDBPyConnection | None:
        """A new cursor of the connection this process holds on the file (None: not held)."""
        with _HELD_LOCK:
            held = _HELD.get(os.path.realpath(self.path))
            return None if held is None else held.cursor()

    @contextlib.contextmanager
    def held(self, *, checkpoint: bool = True) -> Iterator[History]:
        """Hold the file open read-write for the block: every transaction and read of it in
        this process (any ``History`` of the same path, any thread) takes a cursor of one
        connection instead of opening the file, and the file is checkpointed once, when the
        block ends, instead of at every write (``checkpoint=False``: not even then; the
        write-ahead log beside the file keeps every commit, and the next opening replays it).
        No other process can open the file meanwhile, so this is for a file only this process
        uses (a sweep cell's shard); a file the app or another run reads keeps short
        connections."""
        key = os.path.realpath(self.path)
        with _HELD_LOCK:
            nested = key in _HELD
        if nested:  # an enclosing block holds it, and closes it
            yield self
            return
        with _gate(self.path).write():
            con = self._connect(read_only=False)
            try:
                if not self._migrated:
                    self._migrate(con)
                # one thread: a held file takes one run's small statements, where DuckDB's
                # other threads only add scheduling (and a sweep cell is given one CPU)
                con.execute("SET threads = 1")
            except duckdb.Error as e:
                con.close()
                raise HistoryError(f"history write failed ({self.path}): {e}") from e
            except BaseException:
                con.close()
                raise
            with _HELD_LOCK:
                _HELD[key] = con
        try:
            yield self
        finally:
            with _gate(self.path).write():
                with _HELD_LOCK:
                    _HELD.pop(key, None)
                try:
                    if not checkpoint:
                        con.execute("PRAGMA disable_checkpoint_on_shutdown")
                finally:
                    con.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One read-write transaction: all of it lands, or none of it."""
        with _gate(self.path).write():
            con = self._held_cursor() or self._connect(read_only=False)
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
        ahead = newer(con)
        if ahead:
            raise HistoryError(
                f"history {self.path} was written by a newer Curriculab (schema migration"
                f" {ahead[-1]}; this version knows up to {MIGRATIONS[-1][0]}): upgrade"
                f" Curriculab to write into it")
        tables = foreign(con)
        if tables:
            raise HistoryError(f"{self.path} is a DuckDB database but not a Curriculab history"
                               f" (it has tables {', '.join(tables[:5])}); give another --db file")
        con.execute("BEGIN TRANSACTION")
        try:
            migrate(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self._migrated = self._checked = True

    def ensure(self) -> None:
        """Create the file and apply pending migrations."""
        with self.transaction():
            pass

    @contextlib.contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short read-only connection (migrating first when the file is old); HistoryError
        when the file does not exist."""
        cursor = self._held_cursor()
        if cursor is not None:  # held by this process: migrated when it was opened
            with _gate(self.path).read():
                try:
                    yield cursor
                except duckdb.Error as e:
                    raise HistoryError(f"history read failed ({self.path}): {e}") from e
                finally:
                    cursor.close()
            return
        if not self._checked and self._stale():
            self.ensure()
        with _gate(self.path).read(), self._attached() as con:
            try:
                yield con
            except duckdb.Error as e:
                raise HistoryError(f"history read failed ({self.path}): {e}") from e

    def _stale(self) -> bool:
        if not self.path.exists():  # a read never creates a file (`show` of a mistyped --db)
            raise HistoryError(f"no history at {self.path}")
        with _gate(self.path).read(), self._attached() as con:
            try:
                self._checked = not pending(con)
            except duckdb.Error as e:
                raise HistoryError(f"history read failed ({self.path}): {e}") from e
        return not self._checked

    @contextlib.contextmanager
    def _attached(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the process's anchor with the file attached read-only (and in use);
        detached on exit, which releases the file's lock."""
        alias = f"history_{next(_ALIASES)}"
        path = str(self.path).replace("'", "''")
        con = _anchor().cursor()
        try:
            self._retry(lambda: con.execute(f"ATTACH '{path}' AS {alias} (READ_ONLY)"))
            try:
                con.execute(f"USE {alias}")
                yield con
            finally:
                con.execute("USE memory")
                con.execute(f"DETACH {alias}")
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


def insert_rows(con: duckdb.DuckDBPyConnection, table: str,
                columns: Mapping[str, Sequence[Any]]) -> None:
    """Insert rows given as columns (name -> one value per row, each a column of ``table``)
    in one statement, scanning them as an Arrow table: no DataFrame is built and no view
    registered (either costs several times the insert itself for an iteration's rows)."""
    if not columns or not len(next(iter(columns.values()))):
        return
    try:
        _rows = pa.table({name: list(values) for name, values in columns.items()})
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a column of mixed types: DuckDB casts each
        _rows = pd.DataFrame({name: pd.Series(list(values), dtype=object)
                              for name, values in columns.items()})
    names = ", ".join(f'"{c}"' for c in columns)
    # DuckDB finds ``_rows`` among this function's locals (a Python replacement scan)
    con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM _rows')


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
