"""Frozen records that flow through the loop: items, examples, scores, plans, steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from envs.level import Level
from students.base import TrainReport

SPLITS = ("val", "test")


@dataclass(frozen=True, slots=True)
class Skill:
    """A named capability; ``parent`` makes skills a forest (skill -> subskills)."""

    name: str
    description: str = ""
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One evaluation or seed item of a task split."""

    id: str
    skill: str
    prompt: str
    answer: str
    subskill: str | None = None


@dataclass(frozen=True, slots=True)
class Example:
    """One training example with its provenance (iteration, skill, engine, teacher call)."""

    prompt: str
    answer: str
    skill: str
    subskill: str | None = None
    engine: str = ""
    iteration: int = 0
    call_id: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The quality-check outcome for one example: kept, or rejected with a reason."""

    example: Example
    kept: bool
    reason: str = ""
    known: bool | None = None  # the student answered it right before training (None: not asked)


@dataclass(frozen=True, slots=True)
class Answer:
    """The student's answer to one evaluation item."""

    item: Item
    prediction: str
    correct: bool


@dataclass(frozen=True, slots=True)
class SkillScore:
    skill: str
    n: int
    correct: int
    change: float | None = None

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0


@dataclass(frozen=True, slots=True)
class SkillProfile:
    """Per-skill accuracy on one split, plus every answer (errors are sampled from them)."""

    split: str
    scores: tuple[SkillScore, ...]
    answers: tuple[Answer, ...] = ()

    @property
    def mean_accuracy(self) -> float:
        """Mean over skills (each skill weighs the same, whatever its n)."""
        return sum(s.accuracy for s in self.scores) / len(self.scores) if self.scores else 0.0

    def accuracy(self, skill: str) -> float:
        return self.by_skill()[skill].accuracy

    def by_skill(self) -> dict[str, SkillScore]:
        return {s.skill: s for s in self.scores}

    def errors(self, limit: int | None = None) -> list[Answer]:
        wrong = [a for a in self.answers if not a.correct]
        return wrong if limit is None else wrong[:limit]


@dataclass(frozen=True, slots=True)
class Subskill:
    """A node of the Skill-Tree forest: a concrete, named slice of a skill and its record.

    For built-in tasks a subskill is a generator setting (digit count, carry pattern, length);
    for an LLM teacher a text description. ``fresh`` holds, for each iteration it got data
    (oldest first), the student's accuracy on its freshly generated examples *before* training
    on them; ``allocation`` is what the current plan gives it (a subskill at 0 is pruned).
    """

    skill: str
    name: str
    description: str = ""
    allocation: int = 0
    generated: int = 0
    kept: int = 0
    fresh: tuple[float, ...] = ()
    added: int = 0  # the iteration it joined the tree

    @property
    def accuracy(self) -> float | None:
        """The latest fresh-example accuracy, None before it was ever measured."""
        return self.fresh[-1] if self.fresh else None


@dataclass(frozen=True, slots=True)
class Alert:
    """Forgetting: at ``iteration`` a skill's val accuracy is ``drop`` below its best so far."""

    iteration: int
    skill: str
    best: float
    best_iteration: int
    accuracy: float

    @property
    def drop(self) -> float:
        return self.best - self.accuracy


@dataclass(frozen=True, slots=True)
class Observation:
    """What the teacher sees. Which fields are filled depends on the environment level:

    - ``skill-list``: ``val`` (per-skill scores and answers), ``errors`` (a sample), ``past``
      (per earlier iteration: skill -> val accuracy).
    - ``open-ended``: only raw errors: ``errors`` is a larger sample of (item, the student's
      answer, the right answer); ``val`` carries no scores or answers and ``past`` is empty;
      ``error_rate`` is the one aggregate shown (the fraction of val items answered wrong).
    - ``skill-tree``: everything of ``skill-list`` plus ``forest`` (every subskill in the tree
      with its allocation and record) and ``offered`` (subskills the task can generate that are
      not in the tree yet, as ``Skill`` records whose ``parent`` is the skill). Per skill the
      reward is the change of its val accuracy: ``val.scores[i].change``.

    ``skill_names`` lists the task's skills at every level: the vocabulary of a plan.
    """

    iteration: int
    val: SkillProfile
    errors: tuple[Answer, ...]
    past: tuple[Mapping[str, float], ...] = ()  # per earlier iteration: skill -> val accuracy
    examples_used: int = 0
    level: Level = Level.SKILL_LIST
    skill_names: tuple[str, ...] = ()
    error_rate: float | None = None
    forest: tuple[Subskill, ...] = ()
    offered: tuple[Skill, ...] = ()

    @property
    def skills(self) -> list[str]:
        """The skills a plan may name."""
        return list(self.skill_names) if self.skill_names else [s.skill for s in self.val.scores]

    def subskills(self, skill: str) -> list[Subskill]:
        """The skill's subskills in the tree (Skill-Tree level), in the order they joined."""
        return [s for s in self.forest if s.skill == skill]

    def offered_for(self, skill: str) -> list[Skill]:
        """Subskills of ``skill`` the task offers that are not in the tree yet."""
        return [s for s in self.offered if s.parent == skill]


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Plan:
    """The teacher's action: examples per skill (or subskill), with its reasoning.

    ``values`` holds the policy's internal numbers (weights, Q, progress) for inspection.
    ``subskills`` maps a skill to per-subskill counts for the Skill-Tree level.
    """

    allocations: Mapping[str, int]
    reasoning: str
    values: Mapping[str, Any] = field(default_factory=dict)
    subskills: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    edited_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "allocations", _frozen(self.allocations))
        object.__setattr__(self, "values", _frozen(self.values))
        object.__setattr__(self, "subskills", _frozen(self.subskills))

    @property
    def total(self) -> int:
        return sum(self.allocations.values())


@dataclass(frozen=True, slots=True)
class StepResult:
    """What ``Environment.step`` returns.

    ``test`` is for reporting only and must never reach the teacher.
    """

    observation: Observation
    reward: float
    changes: Mapping[str, float]
    verdicts: tuple[Verdict, ...]
    train: TrainReport
    test: SkillProfile
    timings: Mapping[str, float]
    alerts: tuple[Alert, ...] = ()  # forgetting alerts raised at this iteration
