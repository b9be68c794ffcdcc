"""Resume is exact at every level: a run stopped and resumed ends where an uninterrupted one
does, the Skill-Tree forest, the quality checks' memory and the recorded alerts included."""

import threading

import pytest

from agents.config import RunConfig, StudentConfig, TaskConfig, TeacherConfig
from envs.environment import EnvConfig
from agents.runner import resume_run, start_run
from envs.history import History
from envs.history.queries import forest_nodes, iterations, kept_examples, policy_state, row_counts

SMALL = {"d_model": 32, "layers": 1, "heads": 2, "epochs": 1, "threads": 1, "max_new_tokens": 10}


def config(tmp_path, level, policy):
    return RunConfig(
        task=TaskConfig("strings-v0", {"eval_size": 4, "seed_counts": {"rev": 40, "first": 40}}),
        student=StudentConfig("tiny-gpt", SMALL),
        teacher=TeacherConfig(policy=policy, level=level, budget=60),
        env=EnvConfig(checks=("verify", "dedup", "decontaminate", "known"), known_keep=0.5),
        iterations=2,
        checkpoint_dir=str(tmp_path / "ckpt"))


def stop_after_first(stop):
    def steer(plan, obs):
        if obs.iteration == 0:  # planning iteration 1: finish it, then stop
            stop.set()
        return plan
    return steer


@pytest.mark.slow
@pytest.mark.parametrize("level, policy", [("skill-tree", "explore-exploit"),
                                           ("open-ended", "sec")])
def test_a_stopped_and_resumed_run_ends_as_an_uninterrupted_one(tmp_path, level, policy):
    history = History(tmp_path / "h.duckdb")
    cfg = config(tmp_path, level, policy)
    whole = start_run(cfg, history, progress=False, run_id="whole")
    stop = threading.Event()
    part = start_run(cfg, history, progress=False, run_id="part", steer=stop_after_first(stop),
                     stop=stop)
    assert part.status == "stopped" and part.iterations == 1
    resumed = resume_run("part", history, progress=False)
    assert resumed.status == "completed" and resumed.iterations == 2

    a, b = iterations(history, "whole"), iterations(history, "part")
    assert list(a.test_mean) == list(b.test_mean) and list(a.examples_kept) == list(b.examples_kept)
    assert kept_examples(history, "whole", 2) == kept_examples(history, "part", 2)
    assert policy_state(history, "whole", 2) == policy_state(history, "part", 2)
    assert forest_nodes(history, "whole", 2) == forest_nodes(history, "part", 2)
    if level == "skill-tree":
        assert forest_nodes(history, "whole", 2), "the tree has grown"
    assert row_counts(history, "whole") == row_counts(history, "part")
    for table in ("yields", "alerts", "forest"):
        count = "SELECT count(*) FROM {} WHERE run_id = ?".format(table)
        assert history.scalar(count, ["whole"]) == history.scalar(count, ["part"])
