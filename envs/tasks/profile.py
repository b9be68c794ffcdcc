"""A challenge profile: a task that knows what an ideal teacher would do with it.

Its ``challenge`` (``Challenge``) is the ground truth an ``oracle`` teacher plans from (which
skills can be learnt, which are known after the seed set, the prerequisite order, which skills
erode each other) and the protocol its benchmark uses (budget, iterations, the threshold of
mean test accuracy). Its ``laws`` are the simulated student's parameters for the same world
(``students.sim``); ``world_of`` hands them to a ``sim`` student with the key that reads a
prompt's skill and right answer.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from envs.records import Item, Skill
from envs.tasks.arith import ArithTask, make_arith
from envs.tasks.suite import SuiteOptions
from students.errors import ConfigError
from students.options import build
from students.sim import Law, World


@dataclass(frozen=True, slots=True)
class Challenge:
    """The ground truth of a profile and the protocol of its benchmark."""

    learnable: frozenset[str]  # skills that can be learnt on held-out items
    known: frozenset[str]  # skills the student knows after the seed set
    prerequisites: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # skill -> before it
    interferes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # skill -> eroded by
    mastery: float = 0.8  # val accuracy at which a skill counts as learnt
    threshold: float = 0.8  # mean test accuracy the examples-to-threshold metric waits for
    budget: int = 240  # examples per iteration
    iterations: int = 8

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data."""
        return {"learnable": sorted(self.learnable), "known": sorted(self.known),
                "prerequisites": {k: list(v) for k, v in self.prerequisites.items()},
                "interferes": {k: list(v) for k, v in self.interferes.items()},
                "mastery": self.mastery, "threshold": self.threshold,
                "budget": self.budget, "iterations": self.iterations}


_WORLDS: WeakKeyDictionary[Any, World] = WeakKeyDictionary()


def world_of(task: Any) -> World:
    """The simulated world of a profile: its laws and its key (prompt -> skill, answer). One
    world per task object, its key remembered, so runs that share a task read each prompt once."""
    laws = getattr(task, "laws", None)
    if laws is None:
        raise ConfigError(f"the sim student needs a challenge profile (a task with a simulated "
                          f"world); task {getattr(task, 'id', task)!r} has none")
    if task not in _WORLDS:
        @functools.cache
        def key(prompt: str) -> tuple[str, str] | None:
            skill = task.skill_of(prompt)
            answer = None if skill is None else task.oracle(skill, prompt)
            return None if answer is None else (skill, answer)

        _WORLDS[task] = World(dict(laws), key)
    return _WORLDS[task]


class ProfileTask(ArithTask):
    """A suite over arith-v0's skill specs and the profile's own, with a challenge and laws.
    Its options are arith-v0's (``SuiteOptions``); ``eval_size`` defaults to 100 per skill."""

    challenge: Challenge
    laws: Mapping[str, Law]
    EVAL_SIZE = 100

    def __init__(self, **options: Any) -> None:
        super().__init__(**{"eval_size": self.EVAL_SIZE, **options})


class IndependentTask:
    """arith-v0's default suite under its own id, with a challenge and laws; its splits,
    generators and answers are arith-v0's, item for item."""

    id = "independent-v1"

    def __init__(self, challenge: Challenge, laws: Mapping[str, Law], **options: Any) -> None:
        build(SuiteOptions, options, "task.options")  # a bad option names itself here too
        self.inner = make_arith(**options)
        self.challenge, self.laws = challenge, laws
        self.description, self.skills = self.inner.description, self.inner.skills

    def split(self, name: str) -> tuple[Item, ...]:
        return self.inner.split(name)

    def score(self, reference: str, prediction: str) -> bool:
        return self.inner.score(reference, prediction)

    def oracle(self, skill: str, prompt: str) -> str | None:
        return self.inner.oracle(skill, prompt)

    def skill_of(self, prompt: str) -> str | None:
        return self.inner.skill_of(prompt)

    def is_heldout(self, prompt: str) -> bool:
        return self.inner.is_heldout(prompt)

    def subskills(self, skill: str) -> tuple[Skill, ...]:
        return self.inner.subskills(skill)

    def generate(self, skill: str, n: int, *, seed: int, difficulty: int | None = None,
                 subskill: str | None = None) -> list[Item]:
        return self.inner.generate(skill, n, seed=seed, difficulty=difficulty, subskill=subskill)
