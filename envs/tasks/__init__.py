"""Tasks: the protocol and registry, the built-in suites, packaged data sets and file tasks,
with their splits, prompt sampling and answer checking."""

from envs.tasks.task import TASKS, ProceduralTask, SubskillTask, Task, make

__all__ = ["TASKS", "ProceduralTask", "SubskillTask", "Task", "make"]
