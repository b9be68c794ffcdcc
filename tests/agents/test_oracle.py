"""The oracle plans from a profile's ground truth and val scores: the frontier of the
prerequisite order, nothing for distractors, rehearsal for what the taught skills erode."""

import pytest

from agents.checker import check_policy
from agents.policy import make_policy
from envs.records import Observation, SkillProfile, SkillScore
from envs.tasks.task import make
from students.errors import ConfigError


def observation(accuracy: dict[str, float], iteration: int = 0) -> Observation:
    scores = tuple(SkillScore(s, 100, round(100 * a)) for s, a in accuracy.items())
    return Observation(iteration, SkillProfile("val", scores), (), ())


def test_it_conforms_and_teaches_each_chain_from_its_lowest_unmastered_level():
    task = make("prerequisites-v1")
    acc = {s.name: 0.0 for s in task.skills} | {"sm2": 0.9, "sm3": 0.5}
    oracle = make_policy("oracle", task=task)
    check_policy(oracle, [observation(acc), observation(acc, 1)], budget=101)
    plan = oracle.plan(observation(acc), 300)
    assert {s for s, n in plan.allocations.items() if n} == {"sm3", "ml2", "sb2"}


def test_it_skips_distractors_and_known_skills_and_rehearses_eroded_ones():
    task = make("distractors-v1")
    acc = {s.name: 0.0 for s in task.skills} | {"max": 0.95, "rev": 0.95}
    plan = make_policy("oracle", task=task).plan(observation(acc), 240)
    assert {s for s, n in plan.allocations.items() if n} == {"par", "min", "suc", "srt"}
    task = make("forgetting-v1")
    acc = {s.name: 0.95 for s in task.skills} | {"min": 0.1, "suc": 0.1, "dad": 0.1}
    plan = make_policy("oracle", task=task).plan(observation(acc), 300)
    assert plan.allocations["min"] == 60 and plan.allocations["max"] == 40
    assert plan.allocations["len"] == 0


def test_without_ground_truth_it_is_a_one_line_error():
    with pytest.raises(ConfigError, match="challenge profile"):
        make_policy("oracle", task=make("arith-v0"))
