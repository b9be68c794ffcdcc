"""The Open-Ended level: the state is a sample of raw errors, the action free-form examples.

The teacher sees no per-skill table: only errors (item, the student's answer, the right
answer) and one aggregate, the fraction of val items answered wrong. The examples it sends
need not follow any skill list: an example whose skill the task does not know is labelled
with the skill the task reads in its prompt (``skill_of``), when the task can tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from envs.environment import LEVELS, Environment
from envs.level import Level
from envs.records import Example, Observation, SkillProfile
from envs.tasks.task import SkillReadingTask


@LEVELS.register(Level.OPEN_ENDED.value)
class OpenEndedEnv(Environment):
    level = Level.OPEN_ENDED

    def observation(self) -> Observation:
        assert self.val is not None
        answered = len(self.val.answers)
        wrong = sum(not a.correct for a in self.val.answers)
        return Observation(
            self.iteration, SkillProfile("val", ()), self._errors(self.config.raw_errors),
            (), len(self.accumulated), self.level, self.skill_names,
            error_rate=wrong / answered if answered else 0.0)

    def _prepare(self, examples: Sequence[Example]) -> list[Example]:
        if not isinstance(self.task, SkillReadingTask):
            return list(examples)
        known, skill_of = set(self.skill_names), self.task.skill_of
        return [ex if ex.skill in known else replace(ex, skill=skill_of(ex.prompt) or ex.skill)
                for ex in examples]
