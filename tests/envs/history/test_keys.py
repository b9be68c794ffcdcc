"""The schema keys every iteration by run and iteration (migration 5 keyed every per-iteration
row; migration 9 keeps the key on iterations only, whose row lands in the same transaction as
the rest of the iteration), an old history holding an iteration twice is cleaned as it opens,
and a history written by a newer Curriculab is refused for writing."""

import duckdb
import pytest

from envs.history import History, HistoryError
from envs.history.migrations import ITERATION_KEYS, MIGRATIONS, STILL_KEYED
from envs.history.runlog import IterationRecord, RunLog
from ui.cli import main


def _before_keys(path):
    """A history file as versions before migration 5 left it."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE _migrations (number INTEGER PRIMARY KEY, name VARCHAR,"
                " applied_at TIMESTAMP DEFAULT now())")
    for number, name, fn in MIGRATIONS:
        if number < 5:
            fn(con)
            con.execute("INSERT INTO _migrations (number, name) VALUES (?, ?)", [number, name])
    return con


def test_an_iteration_cannot_be_recorded_twice(tmp_path):
    history = History(tmp_path / "h.duckdb")
    with history.transaction() as con:
        con.execute("INSERT INTO iterations (run_id, iteration, t_total) VALUES ('r', 8, 1.0)")
        con.execute("INSERT INTO answers (run_id, iteration, split, item_id, correct)"
                    " VALUES ('r', 8, 'val', 'v1', true)")
    with pytest.raises(HistoryError, match="Duplicate key"):
        with history.transaction() as con:  # a second process writing iteration 8 again
            con.execute("INSERT INTO answers (run_id, iteration, split, item_id, correct)"
                        " VALUES ('r', 8, 'val', 'v2', true)")
            con.execute("INSERT INTO iterations (run_id, iteration, t_total) VALUES ('r', 8, 2.0)")
    assert history.rows("SELECT item_id FROM answers") == [("v1",)]  # all of it or nothing


def test_a_run_recording_an_iteration_twice_fails_as_a_whole(tmp_path):
    """Through the run log: the second write of an iteration (two processes on one run)
    leaves every table as the first one left it."""
    history = History(tmp_path / "h.duckdb")
    with history.transaction() as con:
        con.execute("INSERT INTO runs (run_id, status) VALUES ('r', 'running')")
    log = RunLog(history, "r")
    log.record_iteration(_record(1, "first"))
    counts = {t: history.scalar(f"SELECT count(*) FROM {t}") for t in ITERATION_KEYS}
    with pytest.raises(HistoryError, match="Duplicate key"):
        log.record_iteration(_record(1, "second"))
    assert {t: history.scalar(f"SELECT count(*) FROM {t}") for t in ITERATION_KEYS} == counts
    assert counts["answers"] == 4 and counts["examples"] == 2 and counts["allocations"] == 2
    assert {r[0] for r in history.rows("SELECT prediction FROM answers")} == {"first"}


def test_only_iterations_keep_a_key_after_migration_9(tmp_path):
    history = History(tmp_path / "h.duckdb")
    history.ensure()
    indexes = {r[0] for r in history.rows("SELECT index_name FROM duckdb_indexes()")}
    assert {f"{t}_key" for t in STILL_KEYED} <= indexes
    assert not indexes & {f"{t}_key" for t in ITERATION_KEYS if t not in STILL_KEYED}


def _record(iteration, prediction):
    from datetime import datetime

    from envs.records import Answer, Example, Item, Plan, SkillProfile, SkillScore, Verdict

    def split(name):
        items = [Item(f"{name}{k}", "add", f"{k}+1=", str(k + 1)) for k in range(2)]
        answers = tuple(Answer(i, prediction, True) for i in items)
        return SkillProfile(name, (SkillScore("add", 2, 2),), answers)

    examples = [Verdict(Example(f"{k}+2=", str(k + 2), "add"), True) for k in range(2)]
    now = datetime(2026, 1, 1)
    return IterationRecord(iteration, now, now, {}, split("val"), split("test"),
                           Plan({"add": 1, "max": 1}, "even"), examples)


def test_an_old_history_with_a_duplicated_iteration_keeps_its_first_copy(tmp_path):
    path = tmp_path / "old.duckdb"
    con = _before_keys(path)
    for copy in ("first", "second"):  # what `run --resume` of a live run used to leave
        con.execute("INSERT INTO iterations (run_id, iteration, checkpoint) VALUES ('r', 8, ?)", [copy])
        for item in ("v1", "v2"):
            con.execute("INSERT INTO answers (run_id, iteration, split, item_id, prediction)"
                        " VALUES ('r', 8, 'val', ?, ?)", [item, copy])
        con.execute("INSERT INTO allocations (run_id, iteration, skill, subskill, count)"
                    " VALUES ('r', 8, 'add', NULL, ?)", [10 if copy == "first" else 20])
    con.execute("INSERT INTO iterations (run_id, iteration, checkpoint) VALUES ('r', 7, 'once')")
    con.close()
    history = History(path)
    assert history.rows("SELECT iteration, checkpoint FROM iterations ORDER BY iteration") == [
        (7, "once"), (8, "first")]
    assert history.rows("SELECT item_id, prediction FROM answers ORDER BY item_id") == [
        ("v1", "first"), ("v2", "first")]
    assert history.rows("SELECT count FROM allocations") == [(10,)]
    assert 5 in {r[0] for r in history.rows("SELECT number FROM _migrations")}
    with pytest.raises(HistoryError, match="Duplicate key"):
        with history.transaction() as con:
            con.execute("INSERT INTO iterations (run_id, iteration) VALUES ('r', 8)")


def _newer(path):
    history = History(path)
    with history.transaction() as con:
        con.execute("INSERT INTO runs (run_id, status) VALUES ('r', 'completed')")
        con.execute("INSERT INTO _migrations (number, name) VALUES (?, 'from the future')",
                    [MIGRATIONS[-1][0] + 1])
    return path


def test_a_history_from_a_newer_version_is_refused_for_writing(tmp_path, capsys):
    path = _newer(tmp_path / "h.duckdb")
    data = path.read_bytes()
    with pytest.raises(HistoryError, match="written by a newer Curriculab"):
        History(path).ensure()
    code = main(["run", "--quiet", "--iterations", "1", "--budget", "10", "--db", str(path),
                 "--checkpoints", str(tmp_path / "ck")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"history {path} was written by a newer Curriculab" in err and "upgrade" in err
    assert path.read_bytes() == data
    assert main(["runs", "--db", str(path)]) == 0  # reading it is fine
    assert "completed" in capsys.readouterr().out


def test_a_duckdb_file_that_is_not_a_history_is_left_alone(tmp_path, capsys):
    path = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE accounts (id INTEGER)")
    con.close()
    for argv in (["runs"], ["show", "r"]):
        assert main([*argv, "--db", str(path)]) == 2
        err = capsys.readouterr().err
        assert "is a DuckDB database but not a Curriculab history" in err
    con = duckdb.connect(str(path), read_only=True)
    assert [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()] == ["accounts"]
    con.close()
