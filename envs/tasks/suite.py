"""The suite of a procedural task: its chosen skills, their levels and their seed counts.

Shared by ``arith-v0`` and ``strings-v0``, whose options (``skills``, ``levels``,
``seed_counts``) are the same.

A name that is not one of the task's skills is an error; a level or seed count for a known
skill left out of the suite is ignored, so one config can serve several suites.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from students.errors import DataError
from students.options import at_least, check


@dataclass(frozen=True, slots=True)
class SuiteOptions:
    """The options of ``arith-v0`` and ``strings-v0`` (``make("arith-v0", skills=[...])``)."""

    skills: tuple[str, ...] | None = None  # None: the task's default suite
    levels: dict[str, int] | None = None  # skill -> difficulty; None: the task's defaults
    seed_counts: dict[str, int] | None = None  # skill -> seed items; None: the task's
    eval_size: int = field(default=50, metadata=at_least(1))  # val and test items per skill

    def __post_init__(self) -> None:
        check(self, "task.options")


def choose(task_id: str, specs: Sequence[Any], *, skills: Sequence[str] | None,
           levels: Mapping[str, int] | None, default_skills: Sequence[str],
           default_levels: Mapping[str, int], limit: Callable[[Any], int]) -> tuple[Any, ...]:
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


def seed_counts(task_id: str, specs: Sequence[Any], chosen: Sequence[Any],
                counts: Mapping[str, int]) -> dict[str, int]:
    """``counts`` for the chosen skills only; a name that is not a skill of the task, or a
    negative count, is an error."""
    unknown = sorted(set(counts) - {s.name for s in specs})
    if unknown or any(n < 0 for n in counts.values()):
        raise DataError(f"{task_id}: bad seed_counts (unknown skills {unknown} or a negative count)")
    names = {s.name for s in chosen}
    return {k: n for k, n in counts.items() if k in names}
