"""bench/skill_curves.py: per-skill curves of a fixed schedule or a policy, in the loop's
own environment."""

import argparse

import pytest

from tests.benches import load_bench

curves = load_bench("skill_curves")


def args(**kw):
    base = dict(task=None, policy=None, policy_opt=[], student="sim", student_opt=[], seed=0,
                eval_size=None, budget=None, iterations=None, skills=None, seed_counts=[],
                levels=[], schedule=["*:1"])
    return argparse.Namespace(**(base | kw))


def test_a_policy_on_a_profile_follows_its_protocol_and_the_distractors_stay_unlearnt():
    out = curves.run(args(task="distractors-v2", policy="oracle", iterations=2))
    assert [r["examples"] for r in out["steps"]][:2] == [0, 400] and len(out["steps"]) == 3
    last = out["steps"][-1]["test"]
    assert all(last[s] == 0.0 for s in ("hsa", "hsb", "hsc", "hsd"))
    assert last["par"] > out["steps"][0]["test"]["par"]  # the oracle teaches it


def test_a_schedule_names_only_the_suites_skills():
    assert curves.phases(["a+b:2", "*:1"], ["a", "b", "c"]) == [["a", "b"], ["a", "b"], ["a", "b", "c"]]
    with pytest.raises(SystemExit, match="not in --skills"):
        curves.phases(["d:1"], ["a", "b"])
