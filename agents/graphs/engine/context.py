"""What a run injects into the engine graph."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.llm.client import LLMClient
from envs.records import Observation, Plan
from envs.tasks.task import Task


@dataclass(frozen=True)
class EngineContext:
    """``oracle``: the task computes answers itself (built-in tasks), so the teacher's answers
    are only compared; otherwise ``samples`` further answers decide by agreement."""

    llm: LLMClient
    task: Task
    plan: Plan
    observation: Observation
    iteration: int
    seed: int
    oracle: bool
    heldout: frozenset[str] = field(default_factory=frozenset)
    batch_size: int = 8
    spare: float = 0.1
    max_rounds: int = 3
    samples: int = 2
    errors_shown: int = 3
    examples_shown: int = 3
