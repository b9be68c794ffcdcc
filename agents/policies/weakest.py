"""``weakest``: budget in proportion to per-skill error, with a floor so no skill starves."""

from __future__ import annotations

from agents.allocation import largest_remainder
from agents.policy import POLICIES, Stateless
from envs.records import Observation, Plan
from students.errors import ConfigError


@POLICIES.register("weakest")
class WeakestPolicy(Stateless):
    """Weight of a skill = max(1 - val accuracy, floor)."""

    def __init__(self, *, seed: int = 0, floor: float = 0.05) -> None:
        floor = float(floor)
        if not 0.0 <= floor <= 1.0:
            raise ConfigError(f"weakest: floor must be within [0, 1], got {floor}")
        self.seed, self.floor = seed, floor

    def plan(self, observation: Observation, budget: int) -> Plan:
        weights = {s.skill: max(1.0 - s.accuracy, self.floor) for s in observation.val.scores}
        counts = largest_remainder(weights, budget)
        ranked = sorted(observation.val.scores, key=lambda s: s.accuracy)
        weakest = ", ".join(f"{s.skill} ({s.accuracy:.0%})" for s in ranked[:3])
        reasoning = (f"Weakest-first: weight = max(1 - val accuracy, {self.floor}). "
                     f"Weakest skills: {weakest}; they get {sum(counts[s.skill] for s in ranked[:3])}"
                     f" of {budget} examples.")
        return Plan(counts, reasoning, values={"weights": weights})
