"""What the subcommands print, for histories in every state a run can leave them in."""

from envs.history import History
from envs.history.runlog import RunLog
from ui.cli import main


def test_runs_lists_runs_without_any_iteration(tmp_path, capsys):
    """A run warming up, one killed before iteration 0 and one that failed before its
    summary was written: no crash, and no NaN or NA in the table."""
    history = History(tmp_path / "h.duckdb")
    RunLog.create(history, "run-warm", config={}, versions={}, summary={
        "task": "arith-v0", "level": "skill-list", "policy": "weakest", "engine": "procedural",
        "student": "tiny-gpt", "seed": 0, "iterations": 3, "budget": 10,
        "checkpoint_dir": "ck"}).close()
    with history.transaction() as con:
        con.execute("INSERT INTO runs (run_id, status, created_at) VALUES ('run-bare', 'failed', now())")
    assert main(["runs", "--db", str(history.path)]) == 0
    out = capsys.readouterr().out
    assert "run-warm" in out and "run-bare" in out and "0/3" in out
    for junk in ("nan", "<NA>", "None"):
        assert junk not in out, out
