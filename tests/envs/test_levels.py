"""The three environment levels: conformance, what each one shows, and the Skill-Tree forest."""

import pytest

from agents.engine import make_engine
from envs.alerts import forgetting_alerts
from envs.checker import check_env
from envs.environment import LEVELS, EnvConfig
from envs.forest import Exploit, Explore, apply_actions
from envs.records import Example, Plan, SkillProfile, SkillScore
from envs.tasks.strings import SPECS
from envs.tasks.task import make
from students import make_student

SMALL = {"d_model": 32, "layers": 1, "heads": 2, "epochs": 1, "threads": 1, "max_new_tokens": 10}


@pytest.fixture(scope="module")
def task():
    every = [s.name for s in SPECS]  # shift too; at the skills' own levels
    return make("strings-v0", eval_size=4, seed_counts={"rev": 40, "first": 40}, skills=every,
                levels={})


def env(task, level, **config):
    student = make_student("tiny-gpt", seed=0, **SMALL)
    return LEVELS.make(level, task=task, student=student, config=EnvConfig(**config))


def examples(task, plan, iteration=1):
    return make_engine("procedural", task=task).generate(plan, None, iteration=iteration, seed=3)


def test_the_three_levels_are_registered():
    assert {"open-ended", "skill-list", "skill-tree"} <= set(LEVELS.ids())


@pytest.mark.parametrize("level", LEVELS.ids())  # a new level is checked once registered
def test_every_level_conforms(task, level):
    plan = Plan({"rev": 4, "sort": 4}, "test", subskills={"rev": {"len3": 2, "len5": 2}})
    check_env(env(task, level), examples(task, plan), plan)


def test_open_ended_shows_raw_errors_only_and_labels_free_form_examples(task):
    e = env(task, "open-ended", raw_errors=7)
    obs = e.reset(seed=0)
    wrong = [a for a in e.val.answers if not a.correct]
    assert not obs.val.scores and not obs.past and len(obs.errors) == min(7, len(wrong))
    assert obs.error_rate == pytest.approx(len(wrong) / len(e.val.answers))
    assert all(a.item.answer and not a.correct for a in obs.errors)  # item, its answer, the student's
    assert obs.skills == [s.name for s in task.skills]
    free = [Example("rot abcd=", "bcda", ""), Example("sort dcba=", "abcd", "?")]
    result = e.step(free)
    assert [v.example.skill for v in result.verdicts] == ["rot", "sort"]
    assert all(v.kept for v in result.verdicts)


def test_skill_tree_explore_exploit_and_prune(task):
    e = env(task, "skill-tree")
    obs = e.reset(seed=0)
    assert obs.forest == () and {s.name for s in obs.offered_for("rev")} >= {"len3", "len8"}
    alloc = apply_actions(obs, [Explore("rev", 2, 5), Explore("shift", 1, 4)])
    assert alloc["rev"] == {"len3": 5, "len4": 5} and alloc["shift"] == {"k1": 4}
    plan = Plan({"rev": 10, "shift": 4}, "explore", subskills=alloc)
    result = e.step(examples(task, plan), plan=plan)
    tree = {(n.skill, n.name): n for n in result.observation.forest}
    assert set(tree) == {("rev", "len3"), ("rev", "len4"), ("shift", "k1")}
    node = tree[("rev", "len3")]
    assert node.generated == node.kept == 5 and node.added == 1 and len(node.fresh) == 1
    judged = [v.known for v in result.verdicts if v.example.subskill == "len3"]
    assert node.fresh[0] == pytest.approx(sum(judged) / len(judged))  # accuracy before training
    assert "len3" not in {s.name for s in result.observation.offered_for("rev")}

    obs = result.observation
    alloc = apply_actions(obs, [Exploit("rev", {"len3": 3, "len4": -5}), Explore("rev", 1, 4)])
    assert alloc["rev"] == {"len3": 8, "len5": 4} and alloc["shift"] == {"k1": 4}
    plan = Plan({"rev": 12, "shift": 4}, "exploit", subskills=alloc)
    result = e.step(examples(task, plan, iteration=2), plan=plan)
    tree = {(n.skill, n.name): n for n in result.observation.forest}
    assert set(tree) == {("rev", "len3"), ("rev", "len5"), ("shift", "k1")}  # len4 pruned
    assert tree[("rev", "len3")].allocation == 8 and tree[("rev", "len3")].generated == 13
    assert len(tree[("rev", "len3")].fresh) == 2
    assert result.changes["rev"] == pytest.approx(result.observation.val.by_skill()["rev"].change)


def test_skill_tree_without_a_plan_reads_the_tree_off_the_examples(task):
    e = env(task, "skill-tree")
    e.reset(seed=0)
    plan = Plan({"sort": 6}, "p", subskills={"sort": {"len4": 6}})
    result = e.step(examples(task, plan))
    assert [(n.skill, n.name, n.allocation) for n in result.observation.forest] == [("sort", "len4", 6)]


def test_skill_list_and_open_ended_do_not_ask_the_student_unless_the_known_check_is_on(task):
    plan = Plan({"rev": 3}, "p")
    e = env(task, "skill-list")
    e.reset(seed=0)
    assert all(v.known is None for v in e.step(examples(task, plan)).verdicts)
    e = env(task, "skill-list", checks=("verify", "known"), known_keep=1.0)
    e.reset(seed=0)
    assert all(v.known is not None and v.kept for v in e.step(examples(task, plan)).verdicts)


def profile(**accuracy):
    return SkillProfile("val", tuple(SkillScore(s, 100, round(100 * a)) for s, a in accuracy.items()))


def test_forgetting_alert_when_a_skill_falls_ten_points_below_its_best():
    past = [{"rev": 0.5, "sort": 0.2}, {"rev": 0.9, "sort": 0.3}, {"rev": 0.85, "sort": 0.4}]
    [alert] = forgetting_alerts(3, past, profile(rev=0.8, sort=0.35))
    assert (alert.skill, alert.best, alert.best_iteration, alert.iteration) == ("rev", 0.9, 1, 3)
    assert alert.drop == pytest.approx(0.1)
    assert forgetting_alerts(3, past, profile(rev=0.81, sort=0.4)) == ()
    assert forgetting_alerts(0, [], profile(rev=0.0)) == ()


def test_a_step_reports_its_alerts(task):
    e = env(task, "skill-list", alert_drop=0.01)
    e.reset(seed=0)
    e.past = [{s.skill: 1.0 for s in e.val.scores}]  # as if every skill had been mastered before
    result = e.step([])
    assert {a.skill for a in result.alerts} == {s.skill for s in e.val.scores if s.accuracy < 0.99}


def test_env_config_rejects_nonsense(task):
    from students.errors import ConfigError
    with pytest.raises(ConfigError, match="alert_drop"):
        EnvConfig(alert_drop=0)
    with pytest.raises(ConfigError, match="known_keep"):
        env(task, "skill-list", known_keep=2.0)


def test_the_procedural_engine_fills_what_subskills_leave_from_the_default_generator(task):
    plan = Plan({"rev": 10, "sort": 3}, "p", subskills={"rev": {"len6": 4}})
    made = examples(task, plan)
    rev = [ex for ex in made if ex.skill == "rev"]
    assert len(rev) == 10 and sum(ex.subskill == "len6" for ex in rev) == 4
    assert all(len(ex.prompt) == len("rev abcd=") for ex in rev if ex.subskill is None)
    assert [ex.subskill for ex in made if ex.skill == "sort"] == [None] * 3
