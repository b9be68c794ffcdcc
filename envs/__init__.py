"""Tasks and skills, evaluation, environment levels, quality checks and the DuckDB history."""

from envs.records import (
    Answer,
    Example,
    Item,
    Observation,
    Plan,
    Skill,
    SkillProfile,
    SkillScore,
    StepResult,
    Verdict,
)
from envs.tasks import TASKS, ProceduralTask, Task, make

__all__ = [
    "TASKS", "Answer", "Example", "Item", "Observation", "Plan", "ProceduralTask", "Skill",
    "SkillProfile", "SkillScore", "StepResult", "Task", "Verdict", "make",
]
