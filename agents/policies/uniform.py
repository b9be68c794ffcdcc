"""``uniform``: the no-state baseline; the budget spread evenly whatever the state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.allocation import largest_remainder
from agents.policy import POLICIES, Stateless
from envs.records import Observation, Plan
from students.options import Checked, build


@dataclass(frozen=True, slots=True)
class UniformOptions(Checked):
    """None: the baseline has nothing to tune."""

    WHERE = "teacher.policy_options"


@POLICIES.register("uniform")
class UniformPolicy(Stateless):
    def __init__(self, *, seed: int = 0, **options: Any) -> None:
        self.options = build(UniformOptions, options, "teacher.policy_options")
        self.seed = seed

    def plan(self, observation: Observation, budget: int) -> Plan:
        counts = largest_remainder({s: 1.0 for s in observation.skills}, budget)
        return Plan(counts, f"Uniform: {budget} examples spread evenly over "
                            f"{len(counts)} skills, whatever the scores.")
