"""``alp``: absolute learning progress, after ALP-GMM (TeachMyAgent).

ALP of an arm = |accuracy now - accuracy before| (as ALP-GMM: against the arm's last
measurement; ``smoothing`` < 1 averages it with earlier ones, exponentially); the budget is
sampled in proportion to it, with a share ``explore`` (about 20%) drawn uniformly, so a skill
that stalls or is mastered gets less and one that moves (up, or down when it is being
forgotten) gets more. As ALP-GMM samples each task, each example's skill is drawn on its
own; ``pulls`` draws the budget in that many chunks of one skill each instead (concentrating
data: on arith-v0 with the default student that made learning worse, not faster).
``noise`` counts a change only beyond that many standard errors of the difference of two val
measurements (binomial, at the skill's val size), so a skill that cannot be learnt does not
draw data from its sampling noise.

Arms are skills; at the Skill-Tree level each skill's count is then split over its subskills
by their own ALP (on fresh-example accuracy), unmeasured subskills taking the mean ALP so
they get tried.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.arms import (ProgressMemory, budget_plan, sample_counts, skill_readings,
                         subskill_readings, top)
from agents.policy import POLICIES
from envs.level import Level
from envs.records import Observation, Plan
from students.options import Checked, at_least, build, within
from students.seeding import derive_seed


@dataclass(frozen=True, slots=True)
class ALPOptions(Checked):
    explore: float = field(default=0.2, metadata=within(0, 1))  # share drawn uniformly
    smoothing: float = field(default=1.0, metadata=within(0, 1, low_open=True))  # 1: last only
    pulls: int | None = field(default=None, metadata=at_least(1))  # None: one per example
    # progress counted beyond this many standard errors of the difference of two val
    # measurements (binomial, the skill's val size): 0 counts every change, noise included
    noise: float = field(default=0.0, metadata=at_least(0))

    WHERE = "teacher.policy_options"


@POLICIES.register("alp")
class ALPPolicy:
    def __init__(self, *, seed: int = 0, **options: Any) -> None:
        self.options = o = build(ALPOptions, options, "teacher.policy_options")
        self.seed, self.explore, self.smoothing, self.pulls = seed, o.explore, o.smoothing, o.pulls
        self.noise = o.noise
        self.load_state({})

    def plan(self, observation: Observation, budget: int) -> Plan:
        readings = skill_readings(observation)
        self._learn(readings, {s.skill: s.n for s in observation.val.scores})
        probs = self._probabilities([r.key for r in readings])
        counts = sample_counts(probs, budget, derive_seed(self.seed, "alp", observation.iteration),
                               self.pulls)
        sub_weights = {}
        if observation.level == Level.SKILL_TREE:
            for skill in observation.skills:
                subs = subskill_readings(observation, skill)
                self._learn(subs)
                if subs:
                    sub_weights[skill] = {r.subskill: p for r, p in zip(
                        subs, self._probabilities([r.key for r in subs]).values())}
        known = {k: round(v, 4) for k, v in self.alp.items()}
        reasoning = (
            f"ALP: budget sampled in {self.pulls or budget} draws, in proportion to absolute"
            f" learning progress |Δ accuracy| ({1 - self.explore:.0%}) plus {self.explore:.0%}"
            f" uniform exploration. "
            + (f"Most progress: {top({k: v for k, v in self.alp.items() if '/' not in k})}."
               if self.alp else "No progress measured yet, so the budget is spread evenly."))
        values = {"alp": known, "probabilities": {k: round(v, 4) for k, v in probs.items()}}
        return budget_plan(observation, counts, reasoning, values, sub_weights)

    def _learn(self, readings, sizes: Mapping[str, int] | None = None) -> None:
        before = {r.key: self.memory.last[r.key][0] for r in readings if r.key in self.memory.last}
        now = {r.key: r.accuracy for r in readings}
        for key, progress in self.memory.observe(readings).items():
            n = (sizes or {}).get(key)
            if self.noise and n and key in before:  # the change two samples of n items make
                p0, p1 = before[key], now[key]
                se = math.sqrt((p0 * (1 - p0) + p1 * (1 - p1)) / n)
                progress = max(0.0, progress - self.noise * se)
            old = self.alp.get(key)
            self.alp[key] = progress if old is None else (
                self.smoothing * progress + (1 - self.smoothing) * old)

    def _probabilities(self, keys: list[str]) -> dict[str, float]:
        known = [self.alp[k] for k in keys if k in self.alp]
        fill = sum(known) / len(known) if known else 1.0  # unmeasured arms: the mean ALP
        alp = {k: self.alp.get(k, fill) for k in keys}
        total = sum(alp.values())
        if total <= 0:
            return {k: 1 / len(keys) for k in keys}
        share = self.explore / len(keys)
        return {k: (1 - self.explore) * v / total + share for k, v in alp.items()}

    def state(self) -> Mapping[str, Any]:
        return {"memory": self.memory.state(), "alp": dict(self.alp)}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.memory = ProgressMemory(state.get("memory"))
        self.alp: dict[str, float] = dict(state.get("alp", {}))
