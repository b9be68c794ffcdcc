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


@runtime_checkable
class RemembersPlans(Policy, Protocol):
    """A policy whose memory holds its own plans (the LLM policy shows them in its next prompt).

    ``plan`` remembers what it proposes; when a person steers, the plan adopted differs, and
    the run loop calls ``adopt`` with it so that the memory holds what was really done.
    """

    def adopt(self, plan: Plan) -> None:
        """Remember ``plan`` in place of the last proposal."""
        ...


POLICIES: Registry[Policy] = Registry("policy", builtins=("agents.policies",),
                                      group="curriculab.policies")


def make_policy(id: str, /, **kwargs) -> Policy:
    """Build a registered policy, e.g. ``make_policy("weakest", seed=0)``."""
    return POLICIES.make(id, **kwargs)


class Stateless:
    """Mixin for policies that remember nothing between iterations."""

    def state(self) -> Mapping[str, Any]:
        return {}

    def load_state(self, state: Mapping[str, Any]) -> None:
        pass
