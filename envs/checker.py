"""Conformance checkers for tasks and environment levels."""

from __future__ import annotations

from envs.quality import normalise
from envs.records import Example, Observation, StepResult
from envs.task import ProceduralTask, Task


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


def check_env(env, examples: list[Example]) -> None:
    """Reset, step once, and check the typed results of an environment level."""
    try:
        env.step(examples)
    except Exception as e:  # noqa: BLE001 - any clear error is acceptable here
        assert "reset" in str(e), "step() before reset() must say to call reset()"
    else:
        raise AssertionError("step() before reset() must fail")
    obs = env.reset(seed=0)
    assert isinstance(obs, Observation) and obs.iteration == 0, "reset() returns Observation 0"
    result = env.step(examples)
    assert isinstance(result, StepResult), "step() returns a StepResult"
    assert result.observation.iteration == 1, "step() advances the iteration"
    assert len(result.verdicts) == len(examples), "one verdict per example"
    assert abs(result.reward - (result.observation.val.mean_accuracy - obs.val.mean_accuracy)) < 1e-9
