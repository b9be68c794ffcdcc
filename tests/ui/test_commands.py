"""What the subcommands print, for histories in every state a run can leave them in."""

from envs.history import History
from envs.history.clock import utcnow
from ui.cli import main


def test_runs_lists_runs_without_any_iteration(tmp_path, capsys):
    """A run warming up, one killed before iteration 0 and one that failed before its
    summary was written: no crash, and no NaN or NA in the table."""
    history = History(tmp_path / "h.duckdb")
    with history.transaction() as con:
        con.execute("INSERT INTO runs (run_id, status, created_at, heartbeat_at, task, policy,"
                    " student, seed, iterations) VALUES ('run-warm', 'running', ?, ?,"
                    " 'arith-v0', 'weakest', 'tiny-gpt', 0, 3)", [utcnow(), utcnow()])
        con.execute("INSERT INTO runs (run_id, status, created_at) VALUES ('run-bare', 'failed', ?)",
                    [utcnow()])
    assert main(["runs", "--db", str(history.path)]) == 0
    out = capsys.readouterr().out
    assert "run-warm" in out and "run-bare" in out and "0/3" in out
    for junk in ("nan", "<NA>", "None"):
        assert junk not in out, out
