"""``weakest``: budget in proportion to per-skill error, with a floor so no skill starves.

At the Open-Ended level the per-skill accuracy is estimated from the raw errors."""

from __future__ import annotations

from agents.allocation import largest_remainder
from agents.arms import skill_accuracy
from agents.policy import POLICIES, Stateless
from envs.records import Observation, Plan
from students.errors import ConfigError


@POLICIES.register("weakest")
class WeakestPolicy(Stateless):
    """Weight of a skill = max(1 - val accuracy, floor). The default floor, 0.05, keeps about 5% of
    the budget on skills already known, which with the student's rehearsal memory is mostly
    enough not to forget them (a known counting skill such as strings-v0's vow can still dip for
    an iteration or two). In the teaching benchmark (3 seeds, default suites) it needed 0.50 of
    uniform's examples to reach uniform's final accuracy on arith-v0 and 0.64 on strings-v0; on
    seeds 3-5, 0.58 on arith-v0, and on strings-v0 uniform itself ended at 0.995 and 1.0 on two
    of them, which weakest did not reach. Variants tried on the same seeds did no better: a
    floor of 0.15 (strings-v0), weight (1 - accuracy)^0.5 or ^2 (0.64 on strings-v0), a bonus
    for the drop below a skill's best (0.72), weight from the lower of the last two or three
    measurements (so a skill just learnt keeps its data a while: 0.65 and 0.64), an even split
    over the skills below 0.9, teaching only the 2 or 3 weakest skills at a time (both tasks),
    and 2 or 3 skills at a time until each reaches 0.9 (never on two seeds: taught alone, a
    strings-v0 skill needed about 770 examples to learn, against about 450 when six are taught
    together)."""

    def __init__(self, *, seed: int = 0, floor: float = 0.05) -> None:
        floor = float(floor)
        if not 0.0 <= floor <= 1.0:
            raise ConfigError(f"weakest: floor must be within [0, 1], got {floor}")
        self.seed, self.floor = seed, floor

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
