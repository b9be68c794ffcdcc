"""Conformance checker for policies."""

from __future__ import annotations

import copy
import json

from agents.policy import Policy
from envs.records import Observation, Plan


def check_policy(policy: Policy, observations: list[Observation], budget: int = 100) -> None:
    """Plan on each observation in turn; check counts, reasoning and state round-trip."""
    assert isinstance(policy, Policy), "does not implement the Policy protocol"
    for obs in observations:
        snapshot = copy.deepcopy(dict(policy.state()))
        json.dumps(snapshot)  # state must be JSON-able for resume
        plan = policy.plan(obs, budget)
        assert isinstance(plan, Plan), "plan() must return a Plan"
        assert plan.reasoning.strip(), "a plan needs reasoning"
        assert set(plan.allocations) <= set(obs.skills), "plan names unknown skills"
        assert all(isinstance(c, int) and c >= 0 for c in plan.allocations.values()), "counts >= 0"
        assert plan.total == budget, f"plan spends {plan.total}, budget is {budget}"
        policy.load_state(snapshot)
        again = policy.plan(obs, budget)
        assert dict(again.allocations) == dict(plan.allocations), "load_state must restore state"
