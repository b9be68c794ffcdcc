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
    (["--student-opt", "d_model=abc"], "config key 'student.options.d_model' = 'abc': expected an integer"),
])
def test_bad_choices_are_one_line_exit_2_and_record_no_run(tmp_path, args, message):
    db = tmp_path / "h.duckdb"
    proc = run_cli("run", "--db", str(db), "--checkpoints", str(tmp_path / "ck"), *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not db.exists() or "run-" not in run_cli("runs", "--db", str(db)).stdout


@pytest.mark.parametrize("args, message", [
    (["--student-opt", "dmodel=32"], "unknown config key 'student.options.dmodel' (known: "),
    (["--llm-opt", "concurrency=many"], "config key 'llm.concurrency' = 'many': expected an integer"),
    (["--config", "bad.toml"], "config key 'teacher.budget' = 'lots': expected an integer"),
    (["--config", "bad.json"], "config key 'task.options.eval_size' = 'x': expected an integer"),
    (["--config", "policy.toml"], "config key 'teacher.policy_options.floor' = 'low': expected a finite number"),
])
def test_ill_typed_options_and_config_files_are_one_line_and_exit_2(tmp_path, args, message, capsys):
    files = {"bad.toml": '[teacher]\nbudget = "lots"\n',
             "bad.json": '{"task": {"options": {"eval_size": "x"}}}',
             "policy.toml": '[teacher.policy_options]\nfloor = "low"\n'}
    if args[-1] in files:
        (tmp_path / args[-1]).write_text(files[args[-1]])
        args = [*args[:-1], str(tmp_path / args[-1])]
    code = main(["run", "--quiet", "--db", str(tmp_path / "h.duckdb"), "--checkpoints",
                 str(tmp_path / "ck"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_show_unknown_run_is_exit_2(tmp_path):
    from envs.history import History

    History(tmp_path / "h.duckdb").ensure()
    proc = run_cli("show", "run-nope", "--db", str(tmp_path / "h.duckdb"))
    assert proc.returncode == 2 and "no run 'run-nope'" in proc.stderr


def test_runs_on_a_missing_history_says_so(tmp_path):
    proc = run_cli("runs", "--db", str(tmp_path / "none.duckdb"))
    assert proc.returncode == 0 and "no history" in proc.stdout


def test_print_config_reads_back_to_the_same_config(tmp_path, capsys):
    """``--print-config`` writes the effective config (file and flags) as TOML and runs
    nothing; given back with ``--config`` it is the same config."""
    from agents.config import RunConfig
    from ui.commands import config_from_args
    from ui.cli import build_parser

    (tmp_path / "base.json").write_text('{"teacher": {"budget": 300}, "env": {"known_keep": 0.25}}')
    flags = ["--config", str(tmp_path / "base.json"), "--policy", "alp", "--regime", "retrain",
             "--student-opt", "d_model=32", "--student-opt", "threads=0", "--plugin", "my_tasks",
             "--llm-opt", 'prices={"m": [1, 2]}', "--seed", "4", "--db", str(tmp_path / "h.duckdb")]
    assert main(["run", "--print-config", *flags]) == 0
    text = capsys.readouterr().out
    (tmp_path / "printed.toml").write_text(text)
    assert not (tmp_path / "h.duckdb").exists()  # nothing ran
    expected = config_from_args(build_parser().parse_args(["run", *flags]))
    assert RunConfig.from_file(tmp_path / "printed.toml") == expected
    assert (expected.teacher.budget, expected.env.regime, expected.plugins) == (300, "retrain", ("my_tasks",))
    assert main(["run", "--print-config", "--config", str(tmp_path / "printed.toml")]) == 0
    assert capsys.readouterr().out == text


def test_help_shows_the_defaults_of_the_run_config(capsys):
    from agents.config import RunConfig

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    d = RunConfig()
    for shown in (f"(default {d.teacher.budget})", f"(default {d.iterations})",
                  f"(default {d.task.id})", f"(default {d.teacher.policy})"):
        assert shown in text
