"""The learning-progress, bandit, frontier and explore-exploit policies, at every level."""

import pytest

from agents.arms import MIN_SUBSKILL, TREE_SHARE, skill_accuracy, split_over_subskills
from agents.checker import check_policy
from agents.policy import POLICIES, make_policy
from envs.records import Answer, Item, Observation, Skill, SkillProfile, SkillScore, Subskill

NEEDS_LLM = {"llm"}
NEEDS_TASK = {"oracle"}  # checked with a challenge profile in tests/agents/test_oracle.py
SKILLS = ("add", "sub", "mul", "rev")
ACCURACY = [{"add": 0.9, "sub": 0.5, "mul": 0.1, "rev": 0.0},
            {"add": 0.9, "sub": 0.6, "mul": 0.4, "rev": 0.0},
            {"add": 0.88, "sub": 0.65, "mul": 0.7, "rev": 0.02}]
make_policy("uniform")  # load the built-ins so the parametrisation sees them
POLICY_IDS = [p for p in POLICIES.ids() if p not in NEEDS_LLM | NEEDS_TASK]


def skill_list(t: int) -> Observation:
    acc = ACCURACY[t]
    scores = tuple(SkillScore(s, 100, round(100 * a), None if t == 0 else a - ACCURACY[t - 1][s])
                   for s, a in acc.items())
    return Observation(t, SkillProfile("val", scores), (), tuple(ACCURACY[:t]), level="skill-list",
                       skill_names=SKILLS)


def open_ended(t: int) -> Observation:
    """Raw errors only: 100 wrong answers per skill and accuracy, 40 of them sampled."""
    acc = ACCURACY[t]
    wrong = {s: round(100 * (1 - a)) for s, a in acc.items()}
    pool = [Answer(Item(f"{s}/{i}", s, f"{s} {i}=", "1"), "0", False)
            for s in SKILLS for i in range(wrong[s])]
    errors = tuple(pool[i] for i in range(0, len(pool), max(len(pool) // 40, 1)))
    return Observation(t, SkillProfile("val", ()), errors, level="open-ended", skill_names=SKILLS,
                       error_rate=sum(wrong.values()) / 400)


CATALOGUE = tuple(Skill(f"d{k}", f"{k} digits", s) for s in SKILLS for k in (1, 2, 3))


def skill_tree(t: int) -> Observation:
    """A tree where ``add/d1`` and ``mul/d1`` were tried since iteration 1."""
    base = skill_list(t)
    forest = ()
    if t >= 1:
        fresh = {"add": (0.8, 0.95)[:t], "mul": (0.1, 0.5)[:t]}
        forest = tuple(Subskill(s, "d1", "", 30, 30 * t, 30 * t, fresh[s], 1) for s in fresh)
    taken = {(n.skill, n.name) for n in forest}
    offered = tuple(c for c in CATALOGUE if (c.parent, c.name) not in taken)
    return Observation(t, base.val, (), base.past, level="skill-tree", skill_names=SKILLS,
                       forest=forest, offered=offered)


LEVEL_VIEWS = {"skill-list": skill_list, "open-ended": open_ended, "skill-tree": skill_tree}


@pytest.mark.parametrize("level", LEVEL_VIEWS)
@pytest.mark.parametrize("policy_id", POLICY_IDS)
def test_every_policy_conforms_at_every_level(policy_id, level):
    view = LEVEL_VIEWS[level]
    check_policy(make_policy(policy_id, seed=0), [view(t) for t in range(3)], budget=203)


@pytest.mark.parametrize("policy_id", ["alp", "sec", "frontier", "explore-exploit"])
def test_skill_tree_plans_split_each_skill_over_known_subskills(policy_id):
    policy = make_policy(policy_id, seed=0)
    for t in range(3):
        obs = skill_tree(t)
        plan = policy.plan(obs, 240)
        names = {(c.parent, c.name) for c in obs.offered} | {(n.skill, n.name) for n in obs.forest}
        for skill, subs in plan.subskills.items():
            share = int(TREE_SHARE * plan.allocations[skill] + 0.5)
            assert sum(subs.values()) == share  # the rest: the skill's own generator
            assert all((skill, n) in names for n in subs)
            assert all(c >= min(MIN_SUBSKILL, share) for c in subs.values())
        assert plan.subskills, "a tree policy names subskills"
        assert "actions" in plan.values and plan.reasoning


def test_open_ended_accuracy_is_estimated_from_the_raw_errors():
    estimate = skill_accuracy(open_ended(0))
    for skill, truth in ACCURACY[0].items():
        assert estimate[skill] == pytest.approx(truth, abs=0.06)


def test_alp_follows_absolute_learning_progress_and_keeps_exploring():
    policy = make_policy("alp", seed=0, explore=0.2, smoothing=0.5, pulls=None)
    policy.plan(skill_list(0), 1000)
    policy.plan(skill_list(1), 1000)  # mul +0.3, sub +0.1, add and rev flat
    plan = policy.plan(skill_list(2), 1000)  # mul +0.3 again, sub +0.05, add -0.02, rev +0.02
    counts = plan.allocations
    assert counts["mul"] == max(counts.values()) and counts["mul"] > 450
    assert min(counts.values()) >= 30  # the uniform 20% reaches every skill
    alp = plan.values["alp"]
    assert alp["mul"] == pytest.approx(0.3) and alp["sub"] == pytest.approx(0.5 * 0.05 + 0.5 * 0.1)
    assert sum(plan.values["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert "ALP" in plan.reasoning and "mul" in plan.reasoning


def test_sec_updates_q_by_td0_and_samples_from_boltzmann():
    policy = make_policy("sec", seed=0, alpha=0.5, temperature=0.1, pulls=None)
    first = policy.plan(skill_list(0), 1000)
    assert first.values["Q"] == {} and max(first.allocations.values()) < 300  # all equal
    policy.plan(skill_list(1), 1000)
    plan = policy.plan(skill_list(2), 1000)
    q = plan.values["Q"]
    assert q["mul"] == pytest.approx(0.5 * 0.3 + 0.5 * (0.5 * 0.3))
    assert q["sub"] == pytest.approx(0.5 * 0.05 + 0.5 * (0.5 * 0.1))
    p = plan.values["probabilities"]
    assert p["mul"] / p["add"] == pytest.approx(2.718281828 ** ((q["mul"] - q["add"]) / 0.1), rel=1e-3)
    assert plan.allocations["mul"] == max(plan.allocations.values())


@pytest.mark.parametrize("policy_id", ["alp", "sec"])
def test_bandit_policies_draw_the_budget_in_pulls_of_one_skill_each(policy_id):
    plan = make_policy(policy_id, seed=3, pulls=4).plan(skill_list(0), 1000)
    assert sorted(c for c in plan.allocations.values() if c) in ([250] * 4, [250, 250, 500],
                                                                 [250, 750], [500, 500], [1000])
    from agents.arms import sample_counts
    counts = sample_counts({"a": 1.0, "b": 3.0}, 10000, seed=1, pulls=100)
    assert sum(counts.values()) == 10000 and 6500 < counts["b"] < 8500


def test_frontier_prefers_half_mastered_skills_and_untried_subskills():
    plan = make_policy("frontier", seed=0, floor=0.02).plan(skill_list(0), 1000)
    counts = plan.allocations
    assert counts["sub"] > counts["mul"] == counts["add"] > counts["rev"] > 0  # 0.1 and 0.9 tie
    tree = make_policy("frontier", seed=0).plan(skill_tree(2), 1000)
    mul = tree.values["subskill_weights"]["mul"]
    assert mul["d1"] == pytest.approx(0.25 + 0.02) and mul["d2"] == pytest.approx(0.25 + 0.02)
    add = tree.values["subskill_weights"]["add"]
    assert add["d1"] < add["d2"]  # add/d1 is mastered (95% on fresh examples)


def test_explore_exploit_explores_new_subskills_then_exploits_a_rising_skill():
    policy = make_policy("explore-exploit", seed=0, threshold=0.02, step=10, width=2)
    first = policy.plan(skill_tree(0), 400)
    assert set(first.values["decisions"].values()) == {"explore"}
    assert all(len(subs) == 2 for subs in first.subskills.values())  # width 2, in catalogue order
    assert {a["action"] for a in first.values["actions"]} == {"explore"}
    second = policy.plan(skill_tree(1), 400)  # mul rose 0.3, sub 0.1: exploit both
    decisions = second.values["decisions"]
    assert decisions["mul"] == decisions["sub"] == "exploit" and decisions["add"] == "explore"
    assert "Exploiting: mul, sub" in second.reasoning


def test_explore_exploit_without_a_tree_grows_the_weight_of_responding_skills():
    policy = make_policy("explore-exploit", seed=0)
    policy.plan(skill_list(0), 400)
    plan = policy.plan(skill_list(1), 400)
    assert plan.values["weights"] == {"add": 10, "sub": 20, "mul": 20, "rev": 10}
    assert plan.allocations["mul"] == plan.allocations["sub"] > plan.allocations["add"]


def test_split_over_subskills_drops_shares_too_small_to_measure():
    assert split_over_subskills(60, {"a": 1.0, "b": 1.0, "c": 1.0, "d": 0.1}) == \
        {"a": 20, "b": 20, "c": 20}
    assert split_over_subskills(90, {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}) == \
        {"a": 30, "b": 30, "c": 30}  # at most MAX_SUBSKILLS, the first ones on ties
    assert split_over_subskills(5, {"a": 1.0, "b": 2.0}) == {"b": 5}
    assert sum(split_over_subskills(97, {"a": 0.3, "b": 0.2, "c": 0.5}).values()) == 97


def test_policy_options_are_checked():
    from students.errors import ConfigError
    for policy_id, options in [("alp", {"explore": 1.5}), ("sec", {"temperature": 0}),
                               ("frontier", {"floor": -1}), ("explore-exploit", {"width": 0})]:
        with pytest.raises(ConfigError):
            make_policy(policy_id, **options)
