"""Conformance checkers for tasks and environment levels."""

from __future__ import annotations

from envs.quality.checks import normalise
from envs.level import Level
from envs.records import Example, Observation, Plan, StepResult
from envs.tasks.task import ProceduralTask, Task


def check_task(task: Task) -> None:
    """Raise AssertionError naming the first broken part of the Task contract."""
    assert isinstance(task, Task), "does not implement the Task protocol"
    names = [s.name for s in task.skills]
    assert names and len(set(names)) == len(names), "skills must be non-empty and unique"
    roots = {s.name for s in task.skills if s.parent is None}
    val, test = task.split("val"), task.split("test")
    assert val and test, "val and test splits must not be empty"
    ids = [i.id for i in (*task.split("seed"), *val, *test)]
    assert len(set(ids)) == len(ids), "item ids must be unique across splits"
    assert task.split("val") == val, "splits must be fixed (same items on every call)"
    assert {i.skill for i in (*val, *test)} <= roots, "every item must name a known skill"
    overlap = {normalise(i.prompt) for i in val} & {normalise(i.prompt) for i in test}
    assert not overlap, f"val and test share prompts, e.g. {sorted(overlap)[:1]}"
    for item in (*val[:50], *test[:50]):
        assert task.score(item.answer, item.answer), f"score rejects its own answer ({item.id})"
        expected = task.oracle(item.skill, item.prompt)
        assert expected is None or task.score(item.answer, expected), f"oracle disagrees ({item.id})"
    if isinstance(task, ProceduralTask):
        _check_generators(task, sorted(roots))


def _check_generators(task: ProceduralTask, skills: list[str]) -> None:
    for skill in skills:
        first = task.generate(skill, 5, seed=3)
        assert first == task.generate(skill, 5, seed=3), f"generate({skill}) is not seeded"
        assert len(first) == 5, f"generate({skill}) must return n items"
        for item in first:
            assert item.skill == skill, f"generate({skill}) mislabels items"
            expected = task.oracle(skill, item.prompt)
            assert expected is None or task.score(expected, item.answer), f"{skill}: wrong answer"


def check_env(env, examples: list[Example], plan: Plan | None = None) -> None:
    """Reset, step once, and check the typed results of an environment level, including what
    its observation may and may not show."""
    try:
        env.step(examples)
    except Exception as e:  # noqa: BLE001 - any clear error is acceptable here
        assert "reset" in str(e), "step() before reset() must say to call reset()"
    else:
        raise AssertionError("step() before reset() must fail")
    obs = env.reset(seed=0)
    assert isinstance(obs, Observation) and obs.iteration == 0, "reset() returns Observation 0"
    before = env.val.mean_accuracy
    result = env.step(examples, plan=plan)
    assert isinstance(result, StepResult), "step() returns a StepResult"
    assert result.observation.iteration == 1, "step() advances the iteration"
    assert len(result.verdicts) == len(examples), "one verdict per example"
    assert abs(result.reward - (env.val.mean_accuracy - before)) < 1e-9, "reward = change of val mean"
    for o in (obs, result.observation):
        assert o.level == env.level, "the observation names its level"
        assert o.skills, "the observation lists the skills a plan may name"
        _check_level_view(o)


def _check_level_view(obs: Observation) -> None:
    if obs.level == Level.OPEN_ENDED:
        assert not obs.val.scores and not obs.val.answers and not obs.past, \
            "open-ended shows raw errors only, no per-skill scores"
        assert obs.error_rate is not None, "open-ended shows the error rate"
        assert all(not a.correct for a in obs.errors), "errors must be wrong answers"
    else:
        assert obs.val.scores, f"{obs.level} shows per-skill scores"
    if obs.level != Level.SKILL_TREE:
        assert not obs.forest and not obs.offered, "only the skill-tree level shows a forest"
    else:
        names = [(n.skill, n.name) for n in obs.forest]
        assert len(set(names)) == len(names), "subskills are unique within a skill"
        assert all(n.allocation > 0 for n in obs.forest), "a subskill at zero is pruned"
        assert not set(names) & {(s.parent, s.name) for s in obs.offered}, \
            "offered subskills are those not in the tree"
