"""A run's process beats a heartbeat: a live run cannot be resumed by a second process, and a
killed one (its heartbeat stale) shows as interrupted wherever its status is shown."""

import json
import re
from datetime import timedelta

import pytest

from envs.history import History, summaries
from envs.history.clock import utcnow
from envs.history.liveness import STALE_S
from envs.history.queries import row_counts
from envs.history.report import run_report
from envs.history.runlog import RunLog
from students.errors import ConfigError
from ui.cli import main


def _running(tmp_path, *, silent_s: float = 0.0):
    """A history with one run recorded as running, its last heartbeat ``silent_s`` ago."""
    history = History(tmp_path / "h.duckdb")
    config = json.dumps({"iterations": 3, "checkpoint_dir": str(tmp_path / "ck")})
    with history.transaction() as con:  # as a process that has since been killed left it
        con.execute("INSERT INTO runs (run_id, status, config, versions, created_at, task, policy,"
                    " student, seed, iterations, budget, checkpoint_dir) VALUES ('run-a', 'running',"
                    " ?, '{}', ?, 'arith-v0', 'weakest', 'tiny-gpt', 0, 3, 50, ?)",
                    [config, utcnow(), str(tmp_path / "ck" / "run-a")])
    with history.transaction() as con:
        _iteration(con, 0, 1.0)
        con.execute("UPDATE runs SET heartbeat_at = ?, updated_at = ? WHERE run_id = 'run-a'",
                    [utcnow() - timedelta(seconds=silent_s)] * 2)
    return history


def _iteration(con, iteration: int, seconds: float) -> None:
    end = utcnow() - timedelta(seconds=STALE_S * 2)
    con.execute(
        "INSERT INTO iterations (run_id, iteration, started_at, ended_at, t_evaluate, t_plan,"
        " t_generate, t_check, t_train, t_total, examples_generated, examples_kept,"
        " examples_used, val_mean, test_mean) VALUES ('run-a', ?, ?, ?, 0, 0, 0, 0, 0, ?, 0, 0,"
        " 0, 0.5, 0.5)", [iteration, end - timedelta(seconds=seconds), end, seconds])


def test_cli_refuses_to_resume_a_run_whose_process_is_alive(tmp_path, capsys):
    history = _running(tmp_path, silent_s=5)
    before = (row_counts(history, "run-a"), run_report(history, "run-a"))
    code = main(["run", "--resume", "run-a", "--quiet", "--db", str(history.path)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert re.search(r"run run-a is running in another process \(heartbeat \d+ s ago\)", err)
    assert (row_counts(history, "run-a"), run_report(history, "run-a")) == before


def test_the_claim_is_atomic_in_the_history(tmp_path):
    """Both resumes read "stale" before either claims: the second claim is refused."""
    history = _running(tmp_path, silent_s=STALE_S + 60)
    RunLog(history, "run-a").claim("resumed by the first process")
    second = RunLog(history, "run-a")
    with pytest.raises(ConfigError, match="running in another process"):
        second.claim("resumed by the second process")
    RunLog(history, "run-a").close()
    assert history.scalar("SELECT message FROM runs") == "resumed by the first process"


def test_a_running_process_keeps_beating(tmp_path, monkeypatch):
    import envs.history.heartbeat as heartbeat

    monkeypatch.setattr(heartbeat, "BEAT_S", 0.05)
    history = _running(tmp_path, silent_s=STALE_S + 60)
    log = RunLog(history, "run-a")
    log.claim("resumed")
    first = history.scalar("SELECT heartbeat_at FROM runs")
    deadline = utcnow() + timedelta(seconds=10)
    while history.scalar("SELECT heartbeat_at FROM runs") == first and utcnow() < deadline:
        pass
    log.close()
    assert history.scalar("SELECT heartbeat_at FROM runs") > first


def test_a_killed_run_shows_as_interrupted_once_its_heartbeat_is_stale(tmp_path, capsys):
    history = _running(tmp_path, silent_s=STALE_S + 5)
    assert main(["runs", "--db", str(history.path)]) == 0
    assert "interrupted" in capsys.readouterr().out
    assert summaries.runs(history).status.tolist() == ["interrupted"]
    assert summaries.live(history, "run-a")[0]["status"] == "interrupted"
    assert summaries.live(history, None, follow=True)[0] is None  # nothing is really running
    assert run_report(history, "run-a")["run"]["status"] == "interrupted"
    assert main(["show", "run-a", "--db", str(history.path)]) == 0
    assert "(interrupted)" in capsys.readouterr().out
    assert history.scalar("SELECT status FROM runs") == "running"  # the record itself is kept


def test_a_live_run_shows_as_running(tmp_path):
    history = _running(tmp_path, silent_s=5)
    assert summaries.runs(history).status.tolist() == ["running"]
    assert run_report(history, "run-a")["run"]["status"] == "running"


def test_a_long_iteration_stretches_the_silence_allowed(tmp_path):
    """Three mean iterations of silence are allowed when that is more than STALE_S."""
    history = _running(tmp_path, silent_s=STALE_S + 5)
    with history.transaction() as con:
        _iteration(con, 1, STALE_S)
    assert summaries.runs(history).status.tolist() == ["running"]
    assert run_report(history, "run-a")["run"]["status"] == "running"
