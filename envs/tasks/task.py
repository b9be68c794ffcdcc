"""The Task protocol and the task registry.

A task is a named problem family: skills, a seed set the student warms up on, a held-out
``val`` split (feedback to the teacher) and a ``test`` split (reported, never shown to the
teacher), a prompt format and a verifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from envs.records import Item, Skill
from students.registry import Registry

SPLIT_NAMES = ("seed", "val", "test")


@runtime_checkable
class Task(Protocol):
    id: str
    description: str  # the prompt format in words, for LLM engines and the README
    skills: tuple[Skill, ...]

    def split(self, name: str) -> tuple[Item, ...]:
        """The fixed, seeded items of ``"seed"``, ``"val"`` or ``"test"``."""
        ...

    def score(self, reference: str, prediction: str) -> bool:
        """The verifier: is ``prediction`` a right answer when ``reference`` is?"""
        ...

    def oracle(self, skill: str, prompt: str) -> str | None:
        """The right answer to a prompt when the task can compute it, else None."""
        ...


@runtime_checkable
class ProceduralTask(Task, Protocol):
    """A task with seeded generators: the ``procedural`` engine uses them."""

    def generate(
        self, skill: str, n: int, *, seed: int, difficulty: int | None = None
    ) -> list[Item]:
        """``n`` fresh items of ``skill``; ``difficulty`` (1 = easiest) turns the knob."""
        ...


@runtime_checkable
class SubskillTask(ProceduralTask, Protocol):
    """A procedural task whose skills split into named generator settings: the subskills of
    the Skill-Tree level (digit count, carry pattern, string length, ...)."""

    def subskills(self, skill: str) -> tuple[Skill, ...]:
        """The subskills of ``skill`` (``Skill`` records whose ``parent`` is ``skill``), the
        setting of the val and test items first, then the others nearest first (the order in
        which the Skill-Tree offers them to explore); names are unique within the skill."""
        ...

    def generate(self, skill: str, n: int, *, seed: int, difficulty: int | None = None,
                 subskill: str | None = None) -> list[Item]:
        """As ``ProceduralTask.generate``; ``subskill`` (one of ``subskills(skill)``) picks
        the generator setting, overriding ``difficulty``."""
        ...


@runtime_checkable
class SkillReadingTask(Task, Protocol):
    """A task that can tell which skill a prompt exercises: the Open-Ended level labels a
    free-form example whose skill it does not know with it."""

    def skill_of(self, prompt: str) -> str | None:
        """The skill whose prompt format ``prompt`` follows, or None."""
        ...


@runtime_checkable
class DataTask(Task, Protocol):
    """A task read from a data file, whose items may lack skill labels (skill discovery then
    supplies them)."""

    fingerprint: str  # a digest of the data: a discovery is tied to the data, not the file name
    needs_skills: bool  # True while the items carry no skill labels

    def with_skills(self, labels: Mapping[str, str]) -> Task:
        """A copy whose items take their skill from ``labels`` (item id -> skill)."""
        ...


# Packaged real data (champ, humaneval) imports its data package only when a task is made,
# so a missing optional package is a DataError naming it, not an ImportError on first use.
TASKS: Registry[Task] = Registry("task", group="curriculab.tasks", builtins=(
    "envs.tasks.arith", "envs.tasks.strings", "envs.tasks.champ", "envs.tasks.humaneval",
    "envs.tasks.filetask", "envs.tasks.profiles"))


def make(id: str, /, **kwargs) -> Task:
    """Build a registered task, e.g. ``make("arith-v0")``."""
    return TASKS.make(id, **kwargs)
