"""Every registered policy passes the conformance checker; behaviour of the built-ins."""

import pytest

from agents.checker import check_policy
from agents.policy import POLICIES, make_policy
from envs.records import Observation, SkillProfile, SkillScore
from students.errors import ConfigError, RegistryError

NEEDS_LLM = {"llm"}  # checked against the scripted server in tests/agents/test_llm_*
NEEDS_TASK = {"oracle"}  # checked with a challenge profile in tests/agents/test_oracle.py


def observation(iteration: int, accuracies: dict[str, float], past=()) -> Observation:
    scores = tuple(SkillScore(s, 40, round(40 * a)) for s, a in accuracies.items())
    return Observation(iteration, SkillProfile("val", scores), (), tuple(past))


def trajectory() -> list[Observation]:
    first = {"add": 0.9, "sub": 0.5, "mul": 0.1, "rev": 0.0}
    second = {"add": 0.9, "sub": 0.7, "mul": 0.2, "rev": 0.05}
    third = {"add": 0.85, "sub": 0.8, "mul": 0.4, "rev": 0.05}
    return [observation(0, first), observation(1, second, [first]),
            observation(2, third, [first, second])]


make_policy("uniform")  # load the built-ins so the parametrisation sees them


@pytest.mark.parametrize("policy_id", [p for p in POLICIES.ids() if p not in NEEDS_LLM | NEEDS_TASK])
def test_registered_policy_conforms(policy_id):
    check_policy(make_policy(policy_id, seed=0), trajectory(), budget=101)


def test_uniform_ignores_the_state():
    policy = make_policy("uniform")
    plans = [dict(policy.plan(o, 100).allocations) for o in trajectory()]
    assert plans[0] == plans[1] == plans[2] == {"add": 25, "sub": 25, "mul": 25, "rev": 25}


def test_weakest_gives_most_to_the_weakest_and_starves_none():
    plan = make_policy("weakest", floor=0.1).plan(trajectory()[0], 100)
    counts = dict(plan.allocations)
    assert counts["rev"] > counts["mul"] > counts["sub"] > counts["add"] > 0
    assert "rev" in plan.reasoning and plan.values["weights"]["add"] == pytest.approx(0.1)


def test_weakest_rejects_a_bad_floor():
    with pytest.raises(ConfigError, match="floor"):
        make_policy("weakest", floor=2)


def test_unknown_policy_lists_the_known_ones():
    with pytest.raises(RegistryError, match="known: .*uniform.*weakest"):
        make_policy("best-ever")


def test_alp_with_noise_counts_only_changes_beyond_the_val_sample_noise():
    first, second = {"code": 0.0, "new": 0.0}, {"code": 0.05, "new": 0.4}  # 40 items each
    plain, careful = make_policy("alp", seed=0), make_policy("alp", seed=0, noise=2.0)
    for policy in (plain, careful):
        policy.plan(observation(0, first), 100)
        policy.plan(observation(1, second, [first]), 100)
    assert plain.alp["code"] == pytest.approx(0.05) and plain.alp["new"] == pytest.approx(0.4)
    assert careful.alp["code"] == 0.0  # 2 of 40 right by chance: within two standard errors
    assert careful.alp["new"] == pytest.approx(0.4 - 2 * (0.4 * 0.6 / 40) ** 0.5)
