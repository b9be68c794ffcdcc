"""The suite of a procedural task: its chosen skills, their levels and their seed counts, and
``SuiteTask``, the splits, oracle and generators built on them.

Shared by ``arith-v0`` and ``strings-v0``, whose options (``skills``, ``levels``,
``seed_counts``) are the same; each keeps only its skill specs, its prompt grammar and how a
difficulty or a subskill becomes a generator setting.

A name that is not one of the task's skills is an error; a level or seed count for a known
skill left out of the suite is ignored, so one config can serve several suites.
"""

from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from envs.records import Item, Skill
from envs.tasks.sampler import draw
from envs.tasks.task import SPLIT_NAMES
from students.errors import DataError
from students.options import Checked, at_least, build


@dataclass(frozen=True, slots=True)
class SuiteOptions(Checked):
    """The options of ``arith-v0`` and ``strings-v0`` (``make("arith-v0", skills=[...])``)."""

    skills: tuple[str, ...] | None = None  # None: the task's default suite
    levels: dict[str, int] | None = None  # skill -> difficulty; None: the task's defaults
    seed_counts: dict[str, int] | None = None  # skill -> seed items; None: the task's
    eval_size: int = field(default=50, metadata=at_least(1))  # val and test items per skill

    WHERE = "task.options"


def choose(task_id: str, specs: Sequence[Spec], *, skills: Sequence[str] | None,
           levels: Mapping[str, int] | None, default_skills: Sequence[str],
           default_levels: Mapping[str, int], limit: Callable[[Spec], int]) -> tuple[Spec, ...]:
    """The specs of the chosen skills (``default_skills`` when ``skills`` is None), in the
    task's order, each at its level: ``levels`` when given, else ``default_levels``, else the
    spec's own. ``limit(spec)`` is a spec's highest level."""
    names = list(default_skills if skills is None else skills)
    levels = dict(default_levels if levels is None else levels)
    known = {s.name for s in specs}
    unknown = sorted((set(names) | set(levels)) - known)
    if not names or unknown:
        raise DataError(f"{task_id}: skills must name some of its skills; unknown: {unknown}")
    chosen = tuple(replace(s, difficulty=levels.get(s.name, s.difficulty))
                   for s in specs if s.name in names)
    bad = {s.name: s.difficulty for s in chosen if not 1 <= s.difficulty <= limit(s)}
    if bad:
        raise DataError(f"{task_id}: levels out of range (1 to the skill's highest): {bad}")
    return chosen


def seed_counts(task_id: str, specs: Sequence[Spec], chosen: Sequence[Spec],
                counts: Mapping[str, int]) -> dict[str, int]:
    """``counts`` for the chosen skills only; a name that is not a skill of the task, or a
    negative count, is an error."""
    unknown = sorted(set(counts) - {s.name for s in specs})
    if unknown or any(n < 0 for n in counts.values()):
        raise DataError(f"{task_id}: bad seed_counts (unknown skills {unknown} or a negative count)")
    names = {s.name for s in chosen}
    return {k: n for k, n in counts.items() if k in names}


@dataclass(frozen=True, slots=True)
class Spec:
    """One skill: its prompt grammar, generator and exact solver (a task subclasses it to add
    what its settings need)."""

    name: str
    description: str
    pattern: str  # regex of the operand text; the solver reads its groups
    sample: Callable[..., str]  # (rng, *setting) -> operand text
    solve: Callable[[re.Match], str | None]
    difficulty: int  # the default level (the one the splits use)


class SuiteTask(ABC):
    """A procedural task over a suite of ``Spec``s: fixed seeded splits, an exact oracle,
    seeded generators. A subclass names its specs and defaults and says how a difficulty or a
    subskill becomes a generator *setting*, the tuple that ``spec.sample(rng, *setting)``
    turns into operand text."""

    id: str
    specs: tuple[Spec, ...]  # every skill of the task, in its order
    default_skills: tuple[str, ...]
    default_levels: Mapping[str, int]
    default_seed_counts: Mapping[str, int]
    split_seed: int  # fixed: the splits are part of the task's definition
    setting_text: str  # how a setting is named when its prompts run out, e.g. "at difficulty {0}"

    def __init__(self, **options: Any) -> None:
        self.options = build(SuiteOptions, options, "task.options")
        o = self.options
        chosen = choose(self.id, self.specs, skills=o.skills, levels=o.levels,
                        default_skills=self.default_skills, default_levels=self.default_levels,
                        limit=self._highest)
        self._specs = {s.name: s for s in chosen}
        counts = seed_counts(self.id, self.specs, chosen,
                             self.default_seed_counts if o.seed_counts is None else o.seed_counts)
        self.skills = tuple(Skill(s.name, s.description) for s in chosen)
        self.description = self._describe(chosen)
        self._splits = self._make_splits(o.eval_size, counts)
        self._heldout = frozenset(i.prompt for name in ("val", "test") for i in self._splits[name])

    @abstractmethod
    def _highest(self, spec: Spec) -> int:
        """The highest difficulty level of ``spec``."""

    @abstractmethod
    def _describe(self, specs: tuple[Spec, ...]) -> str:
        """The task's description (the prompt format in words) for the chosen ``specs``."""

    @abstractmethod
    def subskills(self, skill: str) -> tuple[Skill, ...]:
        """The Skill-Tree subskills of ``skill`` (see ``SubskillTask.subskills``)."""

    @abstractmethod
    def _setting(self, spec: Spec, difficulty: int | None, subskill: str | None) -> tuple[Any, ...]:
        """The generator setting for a difficulty or a subskill (both None: the splits')."""

    def _answerable(self, spec: Spec, match: re.Match) -> bool:
        """Whether a prompt that fits ``spec``'s grammar has an answer (a rule the regex cannot say)."""
        return True

    def split(self, name: str) -> tuple[Item, ...]:
        """The fixed items of ``"seed"``, ``"val"`` or ``"test"``, ordered by skill."""
        if name not in SPLIT_NAMES:
            raise DataError(f"unknown split {name!r} (known: {', '.join(SPLIT_NAMES)})")
        return self._splits[name]

    def score(self, reference: str, prediction: str) -> bool:
        """Exact match, ignoring surrounding whitespace."""
        return prediction.strip() == reference.strip()

    def oracle(self, skill: str, prompt: str) -> str | None:
        """The right answer computed from the prompt text; None if it is not a ``skill`` prompt."""
        spec = self._specs.get(skill)
        if spec is None:
            return None
        m = re.fullmatch(rf"{spec.name} {spec.pattern}=", prompt.strip())
        return spec.solve(m) if m and self._answerable(spec, m) else None

    def skill_of(self, prompt: str) -> str | None:
        """The skill a prompt's tag names, or None."""
        tag = prompt.strip().split(" ", 1)[0]
        return tag if tag in self._specs and self.oracle(tag, prompt) is not None else None

    def is_heldout(self, prompt: str) -> bool:
        """True when ``prompt`` is a val or test prompt (a training example must not copy one)."""
        return prompt.strip() in self._heldout

    def generate(self, skill: str, n: int, *, seed: int, difficulty: int | None = None,
                 subskill: str | None = None) -> list[Item]:
        """``n`` fresh items of ``skill``, distinct and outside val/test while the space allows;
        ``subskill`` (one of ``subskills(skill)``) picks the setting, overriding ``difficulty``."""
        spec = self._spec(skill)
        setting = self._setting(spec, difficulty, subskill)
        # str seeds hash with SHA-512, so the stream is the same in every process; the string
        # (id/skill/setting/seed) is part of the task's definition, as the split seed is
        rng = random.Random("/".join(str(x) for x in (self.id, skill, *setting, seed)))
        prompts = self._draw(rng, spec, setting, n, avoid=self._heldout)
        return [Item(f"gen/{skill}/{seed}/{i:04d}", skill, p, self.oracle(skill, p), subskill)
                for i, p in enumerate(prompts)]

    def _level(self, spec: Spec, difficulty: int | None) -> int:
        """``difficulty`` (None: the splits' level), checked against the spec's range."""
        level = spec.difficulty if difficulty is None else difficulty
        if not 1 <= level <= self._highest(spec):
            raise DataError(f"{spec.name}: difficulty must be 1..{self._highest(spec)}, got {difficulty}")
        return level

    def _spec(self, skill: str) -> Spec:
        try:
            return self._specs[skill]
        except KeyError:
            raise DataError(f"unknown {self.id} skill {skill!r} (known: {', '.join(self._specs)})") from None

    def _make_splits(self, eval_size: int, counts: Mapping[str, int]) -> dict[str, tuple[Item, ...]]:
        # test first, then val, then seed, each avoiding the prompts already taken
        splits: dict[str, list[Item]] = {"test": [], "val": [], "seed": []}
        for spec in self._specs.values():
            taken: set[str] = set()
            setting = self._setting(spec, None, None)
            for name in ("test", "val", "seed"):
                size = eval_size if name != "seed" else counts.get(spec.name, 0)
                rng = random.Random(f"{self.id}/{self.split_seed}/{name}/{spec.name}")
                prompts = self._draw(rng, spec, setting, size, avoid=taken, strict=True)
                taken.update(prompts)
                splits[name] += [Item(f"{name}/{spec.name}/{i:04d}", spec.name, p,
                                      self.oracle(spec.name, p)) for i, p in enumerate(prompts)]
        return {name: tuple(items) for name, items in splits.items()}

    def _draw(self, rng: random.Random, spec: Spec, setting: tuple[Any, ...], n: int, *, avoid,
              strict: bool = False) -> list[str]:
        """``n`` prompts of ``spec`` at ``setting`` (see ``envs.tasks.sampler.draw``)."""
        return draw(lambda: f"{spec.name} {spec.sample(rng, *setting)}=", n, avoid=avoid,
                    strict=strict, what=f"{spec.name} prompts {self.setting_text.format(*setting)}")
