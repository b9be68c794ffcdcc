"""The Policy protocol (plan maker) and its registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from envs.records import Observation, Plan
from students.registry import Registry


@runtime_checkable
class Policy(Protocol):
    """Decides how many examples each skill gets, with reasoning.

    Policies with memory (bandits, progress trackers) expose it through ``state`` /
    ``load_state`` as JSON-able data, so a resumed run continues exactly.
    """

    def plan(self, observation: Observation, budget: int) -> Plan: ...

    def state(self) -> Mapping[str, Any]: ...

    def load_state(self, state: Mapping[str, Any]) -> None: ...


POLICIES: Registry[Policy] = Registry("policy")


def make_policy(id: str, **kwargs) -> Policy:
    """Build a registered policy, e.g. ``make_policy("weakest", seed=0)``."""
    _load_builtins()
    return POLICIES.make(id, **kwargs)


def _load_builtins() -> None:
    import agents.policies  # noqa: F401


class Stateless:
    """Mixin for policies that remember nothing between iterations."""

    def state(self) -> Mapping[str, Any]:
        return {}

    def load_state(self, state: Mapping[str, Any]) -> None:
        pass
