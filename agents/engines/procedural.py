"""``procedural``: examples from the task's own seeded generators (no LLM).

At the Skill-Tree level a plan names subskills; a task with a subskill catalogue
(``SubskillTask``) generates each one at its own setting. A subskill the task does not know
(say, one an LLM policy invented) gets the skill's default generator, labelled with its name;
the part of a skill's count its subskills leave comes from that default generator too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.engine import ENGINES
from envs.records import Example, Observation, Plan
from envs.tasks.task import ProceduralTask, SubskillTask, Task
from students.errors import ConfigError
from students.options import Checked, at_least, build
from students.seeding import derive_seed


@dataclass(frozen=True, slots=True)
class ProceduralOptions(Checked):
    # the generators' difficulty for skills without subskills; None: each skill's own
    difficulty: int | None = field(default=None, metadata=at_least(1))

    WHERE = "teacher.engine_options"


@ENGINES.register("procedural")
class ProceduralEngine:
    name = "procedural"

    def __init__(self, *, task: Task, seed: int = 0, **options: Any) -> None:
        self.options = build(ProceduralOptions, options, "teacher.engine_options")
        if not isinstance(task, ProceduralTask):
            raise ConfigError(f"engine 'procedural' needs a task with generators; {task.id} has none")
        self.task, self.difficulty = task, self.options.difficulty
        self._known: dict[str, set[str]] = {}

    def generate(self, plan: Plan, observation: Observation, *, iteration: int,
                 seed: int) -> list[Example]:
        examples: list[Example] = []
        for skill, count in plan.allocations.items():
            subs = dict(plan.subskills.get(skill) or {})
            rest = count - sum(subs.values())
            if rest > 0:  # what the subskills leave comes from the skill's own generator
                subs = {None: rest, **subs}
            for sub, n in subs.items():
                if n <= 0:
                    continue
                items = self._items(skill, sub, n, derive_seed(seed, "gen", iteration, skill, sub))
                examples += [Example(i.prompt, i.answer, skill, sub, self.name, iteration)
                             for i in items]
        return examples

    def _items(self, skill: str, sub: str | None, n: int, seed: int):
        if sub is not None and sub in self._subskills(skill):
            return self.task.generate(skill, n, seed=seed, subskill=sub)  # type: ignore[call-arg]
        return self.task.generate(skill, n, seed=seed, difficulty=self.difficulty)

    def _subskills(self, skill: str) -> set[str]:
        if skill not in self._known:
            subs = self.task.subskills(skill) if isinstance(self.task, SubskillTask) else ()
            self._known[skill] = {s.name for s in subs}
        return self._known[skill]
