"""`curriculab show --json` carries a run's curriculum metrics against the uniform and oracle
runs of the same protocol and seed in the same history."""

import json

import pytest

from ui.cli import main


@pytest.mark.slow  # two real runs of the simulated student, recorded
def test_show_json_gives_aulc_examples_to_threshold_and_ratios(tmp_path, capsys):
    db = str(tmp_path / "h.duckdb")
    for policy in ("uniform", "oracle"):
        assert main(["run", "--task", "distractors-v1", "--student", "sim", "--policy", policy,
                     "--budget", "240", "--iterations", "2", "--seed", "4", "--quiet",
                     "--db", db, "--checkpoints", str(tmp_path / "ck")]) == 0
    runs = _runs(db, capsys)
    assert main(["show", runs["oracle"], "--json", "--db", db]) == 0
    metrics = json.loads(capsys.readouterr().out)["curriculum"]
    assert metrics["threshold"] == 0.36 and 0 < metrics["aulc"] < 1
    against = metrics["against"]
    assert set(against) == {"uniform"}  # itself is no baseline
    assert against["uniform"]["aulc_ratio"] > 1  # the oracle skips the distractors
    assert against["uniform"]["final_accuracy_ratio"] == pytest.approx(
        metrics["final_accuracy"] / _final(db, runs["uniform"], capsys), rel=0.05)


def _runs(db, capsys) -> dict[str, str]:
    capsys.readouterr()
    from envs.history import History, summaries
    frame = summaries.runs(History(db), limit=None)
    return dict(zip(frame.policy, frame.run_id))


def _final(db, run_id, capsys) -> float:
    assert main(["show", run_id, "--json", "--db", db]) == 0
    return json.loads(capsys.readouterr().out)["iterations"][-1]["test_mean"]
