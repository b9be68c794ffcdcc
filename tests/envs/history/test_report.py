"""A run's report from the history alone: the loop overhead of a resumed run."""

from datetime import datetime, timedelta

from envs.history import History
from envs.history.report import run_report


def _history(tmp_path, spans):
    """One run whose iterations ran over ``spans`` (start offset s, seconds), each spending
    80% of its time in evaluate, train and generate."""
    history = History(tmp_path / "h.duckdb")
    t0 = datetime(2026, 1, 1)
    with history.transaction() as con:
        con.execute("INSERT INTO runs (run_id, status, config, versions) VALUES ('r', 'completed', '{}', '{}')")
        for iteration, (start, seconds) in enumerate(spans):
            con.execute(
                "INSERT INTO iterations (run_id, iteration, started_at, ended_at, t_evaluate,"
                " t_plan, t_generate, t_check, t_train, t_total, examples_generated,"
                " examples_kept, examples_used, val_mean, test_mean)"
                " VALUES ('r', ?, ?, ?, ?, 0, ?, 0, ?, ?, 0, 0, 0, 0.5, 0.5)",
                [iteration, t0 + timedelta(seconds=start), t0 + timedelta(seconds=start + seconds),
                 0.2 * seconds, 0.2 * seconds, 0.4 * seconds, seconds])
    return history


def test_overhead_of_a_resumed_run_counts_only_time_inside_iterations(tmp_path):
    """Killed after iteration 1 and resumed an hour later: the hour is not loop overhead."""
    o = run_report(_history(tmp_path, [(0, 10), (10, 10), (3610, 10)]), "r")["overhead"]
    assert o == {"wall_s": 30.0, "core_s": 24.0, "overhead_s": 6.0, "overhead_fraction": 0.2,
                 "plan_s": 0.0}


def test_overhead_is_never_negative_when_iterations_overlap(tmp_path):
    """A history in which a resumed process ran alongside the first one (as `run --resume`
    of a live run used to allow): iterations overlap in time."""
    o = run_report(_history(tmp_path, [(0, 100), (100, 100), (110, 100), (120, 100)]), "r")["overhead"]
    assert o["overhead_s"] >= 0 and o["overhead_fraction"] == 0.2
