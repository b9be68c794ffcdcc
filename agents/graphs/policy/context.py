"""What a run injects into the policy graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.llm.client import LLMClient
from envs.records import Observation
from envs.tasks.task import Task

LEVELS = ("open-ended", "skill-list", "skill-tree")


@dataclass(frozen=True)
class PolicyContext:
    """``memory`` is the policy's own record (past plans, the skill forest); ``steerable``
    makes the steer node pause for a person's edits."""

    llm: LLMClient
    task: Task
    observation: Observation
    budget: int
    level: str
    seed: int
    memory: Mapping[str, Any] = field(default_factory=dict)
    steerable: bool = False
    errors_shown: int = 12
    history_shown: int = 5
