"""A run killed with SIGKILL during training resumes to the same numbers and row counts."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envs.history import History
from envs.history.queries import last_iteration, row_counts, skill_scores
from envs.history import summaries

ROOT = Path(__file__).resolve().parents[2]
CONFIG = {
    "task": {"id": "arith-v0", "options": {"skills": ["cmp", "add", "rev"], "eval_size": 20,
                                              "seed_counts": {"cmp": 60, "add": 60}}},
    # epochs: enough that training is most of an iteration, a window of seconds to kill it in
    # (the live phase is written at most every 0.5 s, the newest one winning)
    "student": {"id": "tiny-gpt", "options": {"d_model": 32, "layers": 1, "epochs": 15}},
    "teacher": {"policy": "weakest", "budget": 150},
    "iterations": 3,
    "seed": 11,
}


def cli(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "ui.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def run_to_end(*args: str) -> str:
    proc = cli(*args)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    return out


def final_test(history: History, run_id: str) -> dict[str, float]:
    scores = skill_scores(history, run_id)
    last = scores[(scores.split == "test") & (scores.iteration == scores.iteration.max())]
    return dict(zip(last.skill, last.accuracy))


def kill_during_training(db: Path, args: list[str], iteration: int) -> str:
    """Start a run, SIGKILL it while it trains ``iteration``; returns its run id."""
    proc = cli(*args)
    history = History(db, lock_wait_s=60)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be killed"
        if db.exists():
            runs = summaries.runs(history)
            if len(runs) and runs.phase[0] == "train" and last_iteration(history, runs.run_id[0]) == iteration - 1:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return runs.run_id[0]
        time.sleep(0.1)  # each look opens the file, which the run's writes wait for
    proc.kill()
    pytest.fail("never saw the training phase")


@pytest.mark.slow
def test_sigkill_during_training_then_resume_matches_an_uninterrupted_run(tmp_path):
    config = tmp_path / "run.json"
    config.write_text(json.dumps(CONFIG))
    common = ["--config", str(config), "--quiet", "--checkpoints", str(tmp_path / "ck")]

    run_to_end("run", *common, "--db", str(tmp_path / "a.duckdb"))
    a = History(tmp_path / "a.duckdb")
    a_id = summaries.runs(a).run_id[0]

    b_db = tmp_path / "b.duckdb"
    b_id = kill_during_training(b_db, ["run", *common, "--db", str(b_db)], iteration=2)
    b = History(b_db)
    assert summaries.runs(b).status[0] == "running"  # killed: it never got to say otherwise
    assert last_iteration(b, b_id) == 1
    out = run_to_end("run", "--resume", b_id, "--db", str(b_db), "--quiet")
    assert "completed after 3 iterations" in out

    assert final_test(b, b_id) == final_test(a, a_id)
    assert row_counts(b, b_id) == row_counts(a, a_id)
    assert summaries.runs(b).status[0] == "completed"


def test_resume_of_a_completed_run_is_refused(tmp_path):
    config = tmp_path / "run.json"
    config.write_text(json.dumps({**CONFIG, "iterations": 1, "teacher": {"budget": 30}}))
    db = str(tmp_path / "h.duckdb")
    run_to_end("run", "--config", str(config), "--quiet", "--db", db,
               "--checkpoints", str(tmp_path / "ck"))
    run_id = summaries.runs(History(db)).run_id[0]
    proc = cli("run", "--resume", run_id, "--db", db)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "already completed" in err
