"""``frontier``: aim at what the student gets right about half the time.

As online difficulty filtering does for prompts (keep those with a pass rate strictly
between 0 and 1, prefer about 0.5), each arm is weighted by ``p (1 - p)``, largest at
``p = 0.5``, plus a small ``floor`` so that nothing starves. ``p`` is a skill's val accuracy
(estimated from raw errors at the Open-Ended level); at the Skill-Tree level each skill's
count is split over its subskills by the same weight on their fresh-example accuracy, an
untried subskill counting as ``p = 0.5`` so it gets tried: a curriculum that climbs from the
setting the student half-masters to the next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.allocation import largest_remainder
from agents.arms import budget_plan, skill_readings, subskill_readings, top
from agents.policy import POLICIES, Stateless
from envs.level import Level
from envs.records import Observation, Plan
from students.options import Checked, build, within


@dataclass(frozen=True, slots=True)
class FrontierOptions(Checked):
    floor: float = field(default=0.02, metadata=within(0, 1))  # added to every weight

    WHERE = "teacher.policy_options"


@POLICIES.register("frontier")
class FrontierPolicy(Stateless):
    def __init__(self, *, seed: int = 0, **options: Any) -> None:
        self.options = build(FrontierOptions, options, "teacher.policy_options")
        self.seed, self.floor = seed, self.options.floor

    def plan(self, observation: Observation, budget: int) -> Plan:
        readings = skill_readings(observation)
        weights = {r.key: self._weight(r.accuracy) for r in readings}
        counts = largest_remainder(weights, budget)
        sub_weights = {}
        if observation.level == Level.SKILL_TREE:
            for skill in observation.skills:
                subs = subskill_readings(observation, skill)
                if subs:
                    sub_weights[skill] = {r.subskill: self._weight(r.accuracy) for r in subs}
        accuracy = {r.key: r.accuracy for r in readings}
        reasoning = (f"Frontier: weight = p(1 - p) + {self.floor}, largest where the student is"
                     f" right about half the time. Nearest the frontier: {top(weights)}.")
        values = {"accuracy": {k: None if v is None else round(v, 4) for k, v in accuracy.items()},
                  "weights": {k: round(v, 4) for k, v in weights.items()},
                  "subskill_weights": {s: {n: round(w, 4) for n, w in ws.items()}
                                       for s, ws in sub_weights.items()}}
        return budget_plan(observation, counts, reasoning, values, sub_weights)

    def _weight(self, p: float | None) -> float:
        p = 0.5 if p is None else p
        return p * (1.0 - p) + self.floor
