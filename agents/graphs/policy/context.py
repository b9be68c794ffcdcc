"""What a run injects into the policy graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.llm.client import LLMClient
from envs.level import Level
from envs.records import Observation
from envs.tasks.task import Task


@dataclass(frozen=True)
class PolicyContext:
    """``memory`` is the policy's own record (past plans, the skill forest)."""

    llm: LLMClient
    task: Task
    observation: Observation
    budget: int
    level: Level
    seed: int
    memory: Mapping[str, Any] = field(default_factory=dict)
    errors_shown: int = 12
    history_shown: int = 5
    fallback: str = "none"  # what plans when the LLM gives no usable plan ("none": fail)
