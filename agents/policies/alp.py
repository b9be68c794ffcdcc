"""``alp``: absolute learning progress, after ALP-GMM (TeachMyAgent).

ALP of an arm = |accuracy now - accuracy before| (as ALP-GMM: against the arm's last
measurement; ``smoothing`` < 1 averages it with earlier ones, exponentially); the budget is
sampled in proportion to it, with a share ``explore`` (about 20%) drawn uniformly, so a skill
that stalls or is mastered gets less and one that moves (up, or down when it is being
forgotten) gets more. As ALP-GMM samples each task, each example's skill is drawn on its
own; ``pulls`` draws the budget in that many chunks of one skill each instead (concentrating
data: on arith-v0 with the default student that made learning worse, not faster).

Arms are skills; at the Skill-Tree level each skill's count is then split over its subskills
by their own ALP (on fresh-example accuracy), unmeasured subskills taking the mean ALP so
they get tried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.arms import (ProgressMemory, budget_plan, sample_counts, skill_readings,
                         subskill_readings, top)
from agents.policy import POLICIES
from envs.records import Observation, Plan
from students.errors import ConfigError
from students.seeding import derive_seed


@POLICIES.register("alp")
class ALPPolicy:
    def __init__(self, *, seed: int = 0, explore: float = 0.2, smoothing: float = 1.0,
                 pulls: int | None = None) -> None:
        if not 0.0 <= explore <= 1.0 or not 0.0 < smoothing <= 1.0 or (pulls is not None
                                                                      and pulls < 1):
            raise ConfigError(f"alp: explore within [0, 1], smoothing within (0, 1] and pulls"
                              f" >= 1, got {explore}, {smoothing}, {pulls}")
        self.seed, self.explore, self.smoothing = seed, float(explore), float(smoothing)
        self.pulls = pulls
        self.load_state({})

    def plan(self, observation: Observation, budget: int) -> Plan:
        readings = skill_readings(observation)
        self._learn(readings)
        probs = self._probabilities([r.key for r in readings])
        counts = sample_counts(probs, budget, derive_seed(self.seed, "alp", observation.iteration),
                               self.pulls)
        sub_weights = {}
        if observation.level == "skill-tree":
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

    def _learn(self, readings) -> None:
        for key, progress in self.memory.observe(readings).items():
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
