"""The Engine protocol (example maker) and its registry."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from envs.records import Example, Observation, Plan
from students.registry import Registry


@runtime_checkable
class Engine(Protocol):
    """Makes examples for a plan. ``name`` is recorded as each example's provenance."""

    name: str

    def generate(self, plan: Plan, observation: Observation, *, iteration: int,
                 seed: int) -> list[Example]: ...


ENGINES: Registry[Engine] = Registry("engine", builtins=("agents.engines",),
                                     group="curriculab.engines")


def make_engine(id: str, /, **kwargs) -> Engine:
    """Build a registered engine, e.g. ``make_engine("procedural", task=task)``."""
    return ENGINES.make(id, **kwargs)
