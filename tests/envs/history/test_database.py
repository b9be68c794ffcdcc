import multiprocessing as mp
import threading
import time

import duckdb
import pytest

from envs.history import History
from envs.history.migrations import MIGRATIONS, migrate
from envs.history import HistoryError
from envs.history.phase import PhaseWriter
from envs.history.runlog import KEPT_ON_RESUME, RunLog


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


def _per_iteration_tables(history):
    """Every table with run_id and iteration columns, read independently of the run log."""
    return sorted(t for (t,) in history.rows(
        "SELECT table_name FROM duckdb_columns() WHERE column_name IN ('run_id', 'iteration')"
        " GROUP BY table_name HAVING count(DISTINCT column_name) = 2"))


def test_a_resume_drops_every_row_past_the_last_completed_iteration(tmp_path):
    history = History(tmp_path / "h.duckdb")
    history.ensure()
    tables = _per_iteration_tables(history)
    assert {"llm_rejects", "teacher_checks", "iterations", "forest"} <= set(tables)
    with history.transaction() as con:
        for table in tables:
            for run_id, iteration in [("r", 1), ("r", 2), ("other", 2)]:
                con.execute(f"INSERT INTO {table} (run_id, iteration) VALUES (?, ?)",
                            [run_id, iteration])
    RunLog(history, "r").drop_after(1)
    for table in tables:
        left = history.rows(f"SELECT run_id, iteration FROM {table} ORDER BY ALL")
        if table in KEPT_ON_RESUME:  # LLM calls were paid for: they stay recorded
            assert left == [("other", 2), ("r", 1), ("r", 2)], table
        else:
            assert left == [("other", 2), ("r", 1)], f"{table} keeps rows past the resume point"


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


def test_a_held_file_serves_every_write_and_read_of_the_process_through_one_connection(tmp_path):
    path = tmp_path / "h.duckdb"
    history, other = History(path), History(path)
    with history.held() as held:
        assert held is history
        # the file is open read-write here: DuckDB refuses a second, read-only opening of it
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(path), read_only=True)
        with other.transaction() as con:  # another History of the same path, same connection
            con.execute("INSERT INTO runs (run_id, status) VALUES ('a', 'running')")
        with pytest.raises(RuntimeError):
            with history.transaction() as con:
                con.execute("INSERT INTO runs (run_id, status) VALUES ('b', 'running')")
                raise RuntimeError("boom")  # rolled back as with a connection of its own
        seen = []
        thread = threading.Thread(target=lambda: seen.append(other.rows("SELECT run_id FROM runs")))
        thread.start()
        thread.join()
        assert seen == [[("a",)]] and history.scalar("SELECT count(*) FROM runs") == 1
        with history.held():  # nested: the outer block keeps the file
            pass
        assert history.scalar("SELECT status FROM runs") == "running"
    con = duckdb.connect(str(path), read_only=True)  # released, with every write in the file
    assert con.execute("SELECT run_id FROM runs").fetchall() == [("a",)]
    con.close()


def test_phases_posted_faster_than_written_keep_the_newest_and_a_flush_writes_at_once():
    written = []
    writer = PhaseWriter(written.append, every_s=5.0)
    start = time.monotonic()
    for k in range(500):  # a fast run's phase changes
        writer.post([k])
    writer.flush()
    assert written[-1] == [499] and time.monotonic() - start < 4.0  # the flush did not wait
    assert len(written) <= 3  # not one transaction per phase
    writer.post(["done"])
    writer.flush()
    assert written[-1] == ["done"]
