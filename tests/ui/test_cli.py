"""The command line: bad input is one line on stderr and exit code 2, and nothing is recorded."""

import subprocess
import sys

import pytest

from ui.cli import main


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["run", "--budget", "0"], "expected a positive integer"),
    (["run", "--iterations", "many"], "expected a positive integer"),
    (["run", "--regime", "sideways"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_are_one_line_and_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as exit:
        main(args)
    err = capsys.readouterr().err
    assert exit.value.code == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["--policy", "best-ever"], "unknown policy 'best-ever' (known: "),
    (["--task", "nope-v0"], "unknown task 'nope-v0' (known: "),
    (["--student-opt", "novalue"], "--student-opt expects KEY=VALUE"),
    (["--config", "missing.toml"], "cannot read config file"),
])
def test_bad_choices_are_one_line_exit_2_and_record_no_run(tmp_path, args, message):
    db = tmp_path / "h.duckdb"
    proc = run_cli("run", "--db", str(db), "--checkpoints", str(tmp_path / "ck"), *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not db.exists() or "run-" not in run_cli("runs", "--db", str(db)).stdout


def test_show_unknown_run_is_exit_2(tmp_path):
    proc = run_cli("show", "run-nope", "--db", str(tmp_path / "h.duckdb"))
    assert proc.returncode == 2 and "no run 'run-nope'" in proc.stderr


def test_runs_on_a_missing_history_says_so(tmp_path):
    proc = run_cli("runs", "--db", str(tmp_path / "none.duckdb"))
    assert proc.returncode == 0 and "no history" in proc.stdout
