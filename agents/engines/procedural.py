"""``procedural``: examples from the task's own seeded generators (no LLM)."""

from __future__ import annotations

from agents.engine import ENGINES
from envs.records import Example, Observation, Plan
from envs.task import ProceduralTask, Task
from students.errors import ConfigError
from students.seeding import derive_seed


@ENGINES.register("procedural")
class ProceduralEngine:
    name = "procedural"

    def __init__(self, *, task: Task, seed: int = 0, difficulty: int | None = None) -> None:
        if not isinstance(task, ProceduralTask):
            raise ConfigError(f"engine 'procedural' needs a task with generators; {task.id} has none")
        self.task, self.difficulty = task, difficulty

    def generate(self, plan: Plan, observation: Observation, *, iteration: int,
                 seed: int) -> list[Example]:
        examples: list[Example] = []
        for skill, count in plan.allocations.items():
            subs = plan.subskills.get(skill) or {None: count}
            for sub, n in subs.items():
                if n <= 0:
                    continue
                items = self.task.generate(skill, n, seed=derive_seed(seed, "gen", iteration, skill, sub),
                                           difficulty=self.difficulty)
                examples += [Example(i.prompt, i.answer, skill, sub, self.name, iteration)
                             for i in items]
        return examples
