"""The Skill-Tree level: the state is a forest skill -> subskills, the action explore/exploit.

Per subskill the tree records its allocation, the examples generated and kept so far, and
the student's accuracy on its fresh examples before training on them (every generated
example that passes ``verify`` is put to the student, one batched predict). Per skill the
reward is the change of that skill's val accuracy (``Observation.val.scores[i].change``).
For a task with a subskill catalogue (``SubskillTask``) the observation also offers the
subskills not yet in the tree; an LLM teacher may name new ones of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from envs.environment import LEVELS, Environment
from envs.forest import Forest, allocations_of
from envs.level import Level
from envs.records import Observation, Plan, Skill, Subskill, Verdict
from envs.tasks.task import SubskillTask


@LEVELS.register(Level.SKILL_TREE.value)
class SkillTreeEnv(Environment):
    level = Level.SKILL_TREE
    judges = True

    def catalogue(self) -> tuple[Skill, ...]:
        """Every subskill the task offers, skill by skill, in the order the task offers them."""
        if not isinstance(self.task, SubskillTask):
            return ()
        return tuple(sub for skill in self.skill_names for sub in self.task.subskills(skill))

    def observation(self) -> Observation:
        base = super().observation()
        nodes = self.forest.nodes()
        taken = {(n.skill, n.name) for n in nodes}
        offered = tuple(s for s in self._catalogue if (s.parent, s.name) not in taken)
        return replace(base, forest=nodes, offered=offered)

    def _reset_state(self, forest: Sequence[Subskill] = ()) -> None:
        self._catalogue = self.catalogue()
        self.forest = Forest(forest)

    def _after_checks(self, verdicts: Sequence[Verdict], plan: Plan | None) -> None:
        if plan is not None:
            alloc = {s: dict(subs) for s, subs in plan.subskills.items()}
        else:
            alloc = allocations_of(v.example for v in verdicts)
        said = plan.values.get("subskill_descriptions", {}) if plan is not None else {}
        describe = {(s.parent, s.name): s.description for s in self._catalogue}
        describe.update({(skill, name): text for skill, subs in dict(said).items()
                         for name, text in dict(subs).items() if text})
        self.forest.allot(alloc, self.iteration, describe)
        self.forest.record(verdicts)
