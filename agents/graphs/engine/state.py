"""What flows through the engine graph: targets, candidates, kept and rejected examples.

Everything is plain JSON-able data; the live objects (LLM client, task, plan) are context.
"""

from __future__ import annotations

from typing import TypedDict


class Target(TypedDict):
    skill: str
    subskill: str | None
    want: int


class Candidate(TypedDict, total=False):
    skill: str
    subskill: str | None
    prompt: str
    answer: str  # the teacher's own answer
    call_id: str
    batch: int  # index of the write call within the round (agreement asks per batch)
    samples: list[str | None]  # further answers to the same prompt (agreement check)
    reason: str  # why it was rejected, once it is


class EngineState(TypedDict, total=False):
    targets: list[Target]
    round: int
    candidates: list[Candidate]  # written this round, not yet checked
    kept: list[Candidate]
    rejected: list[Candidate]
    calls: dict[str, list[int]]  # "skill/subskill" -> [write calls completed, failed]
    checked: dict[str, list[int]]  # "skill/subskill" -> [answers compared, teacher wrong]
