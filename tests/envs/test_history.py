import multiprocessing as mp
import time

import duckdb
import pytest

from envs.history import History
from envs.history.migrations import MIGRATIONS, migrate
from envs.history import HistoryError


def test_new_file_gets_every_migration(tmp_path):
    history = History(tmp_path / "h.duckdb")
    history.ensure()
    applied = [r[0] for r in history.rows("SELECT number FROM _migrations ORDER BY number")]
    assert applied == [n for n, _, _ in MIGRATIONS]
    tables = {r[0] for r in history.rows("SELECT table_name FROM information_schema.tables")}
    assert {"runs", "iterations", "skill_scores", "plans", "examples", "answers"} <= tables


def test_old_file_is_upgraded_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE _migrations (number INTEGER PRIMARY KEY, name VARCHAR,"
                " applied_at TIMESTAMP DEFAULT now())")
    first = MIGRATIONS[0]
    first[2](con)
    con.execute("INSERT INTO _migrations (number, name) VALUES (?, ?)", [first[0], first[1]])
    con.execute("INSERT INTO runs (run_id, status) VALUES ('old-run', 'completed')")
    con.close()
    history = History(path)
    assert history.scalar("SELECT status FROM runs WHERE run_id = 'old-run'") == "completed"
    applied = [r[0] for r in history.rows("SELECT number FROM _migrations ORDER BY number")]
    assert applied == [n for n, _, _ in MIGRATIONS]


def test_migrate_twice_is_a_no_op(tmp_path):
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    assert migrate(con) == [n for n, _, _ in MIGRATIONS]
    assert migrate(con) == []


def test_failed_transaction_leaves_nothing(tmp_path):
    history = History(tmp_path / "h.duckdb")
    with pytest.raises(RuntimeError):
        with history.transaction() as con:
            con.execute("INSERT INTO runs (run_id, status) VALUES ('r1', 'running')")
            raise RuntimeError("boom")
    assert history.scalar("SELECT count(*) FROM runs") == 0


def _hold_lock(path, seconds, ready):
    con = duckdb.connect(path)
    ready.set()
    time.sleep(seconds)
    con.close()


def test_reader_waits_for_another_process_to_release_the_lock(tmp_path):
    path = str(tmp_path / "h.duckdb")
    History(path).ensure()
    ready = mp.get_context("spawn").Event()
    holder = mp.get_context("spawn").Process(target=_hold_lock, args=(path, 1.0, ready))
    holder.start()
    assert ready.wait(30)
    start = time.monotonic()
    assert History(path).scalar("SELECT count(*) FROM runs") == 0
    assert time.monotonic() - start > 0.2  # it really waited for the other process
    holder.join()


def test_lock_held_too_long_is_a_clear_error(tmp_path):
    path = str(tmp_path / "h.duckdb")
    History(path).ensure()
    ready = mp.get_context("spawn").Event()
    holder = mp.get_context("spawn").Process(target=_hold_lock, args=(path, 3.0, ready))
    holder.start()
    assert ready.wait(30)
    with pytest.raises(HistoryError, match="cannot open history"):
        History(path, lock_wait_s=0.3).rows("SELECT 1")
    holder.join()
