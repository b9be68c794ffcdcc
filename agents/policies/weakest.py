"""``weakest``: budget in proportion to per-skill error, with a floor so no skill starves.

At the Open-Ended level the per-skill accuracy is estimated from the raw errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.allocation import largest_remainder
from agents.arms import skill_accuracy
from agents.policy import POLICIES, Stateless
from envs.records import Observation, Plan
from students.options import Checked, build, within


@dataclass(frozen=True, slots=True)
class WeakestOptions(Checked):
    floor: float = field(default=0.05, metadata=within(0, 1))  # the least weight of a skill

    WHERE = "teacher.policy_options"


@POLICIES.register("weakest")
class WeakestPolicy(Stateless):
    """Weight of a skill = max(1 - val accuracy, floor). The floor keeps a little data on skills
    already known, so that they are not forgotten; the variants measured against it are in
    bench/NOTES.md."""

    def __init__(self, *, seed: int = 0, **options: Any) -> None:
        self.options = build(WeakestOptions, options, "teacher.policy_options")
        self.seed, self.floor = seed, self.options.floor

    def plan(self, observation: Observation, budget: int) -> Plan:
        accuracy = skill_accuracy(observation)
        weights = {s: max(1.0 - a, self.floor) for s, a in accuracy.items()}
        counts = largest_remainder(weights, budget)
        ranked = sorted(accuracy, key=lambda s: accuracy[s])[:3]
        weakest = ", ".join(f"{s} ({accuracy[s]:.0%})" for s in ranked)
        reasoning = (f"Weakest-first: weight = max(1 - val accuracy, {self.floor}). "
                     f"Weakest skills: {weakest}; they get {sum(counts[s] for s in ranked)}"
                     f" of {budget} examples.")
        return Plan(counts, reasoning, values={"weights": weights})
