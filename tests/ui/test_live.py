"""Two real processes: a headless ``curriculab run`` writes the history while the app polls
its Live view every second. No lock errors on either side; every completed iteration shows
up within 5 s; the app's Stop reaches the other process."""

import pytest

from tests.benches import load_bench


@pytest.mark.slow
def test_live_view_follows_a_headless_run_in_another_process(tmp_path):
    bench = load_bench("ui_live")
    result = bench.watch(tmp_path, seconds=60, max_iterations=2)
    assert result["child_exit_code"] == 0, result["run_stderr_tail"]
    assert result["app_error_count"] == 0, result["app_errors"]
    assert result["run_lock_errors"] == []
    assert result["iterations_completed"] >= 3 and result["never_seen"] == []
    assert result["seen_after_s"]["max"] <= bench.LIMIT_S, result
    assert result["status"] == "stopped" and result["stop_requested_at"]  # stopped from the app
    assert result["ok"]
