"""``sec``: a bandit over skills, after Self-Evolving Curriculum (SEC).

Arms are skills (at the Skill-Tree level, within each skill, its subskills too). After each
iteration every arm that got data is rewarded with its learning progress |Δ accuracy| (the
supervised stand-in for SEC's mean |advantage|, which also peaks where the student is
learning); its value follows TD(0): ``Q <- alpha * r + (1 - alpha) * Q``. The budget is
sampled from the Boltzmann distribution ``P(arm) ∝ exp(Q / temperature)``, one draw per
example (``pulls``: in that many chunks of one skill each instead).
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
from students.options import Checked, above, at_least, build, within
from students.seeding import derive_seed


@dataclass(frozen=True, slots=True)
class SECOptions(Checked):
    alpha: float = field(default=0.5, metadata=within(0, 1, low_open=True))  # TD(0) step
    temperature: float = field(default=0.1, metadata=above(0))  # of the Boltzmann sampling
    pulls: int | None = field(default=None, metadata=at_least(1))  # None: one per example

    WHERE = "teacher.policy_options"


@POLICIES.register("sec")
class SECPolicy:
    def __init__(self, *, seed: int = 0, **options: Any) -> None:
        self.options = o = build(SECOptions, options, "teacher.policy_options")
        self.seed, self.alpha, self.temperature, self.pulls = seed, o.alpha, o.temperature, o.pulls
        self.load_state({})

    def plan(self, observation: Observation, budget: int) -> Plan:
        readings = skill_readings(observation)
        rewards = self._update(readings)
        probs = self._boltzmann([r.key for r in readings])
        counts = sample_counts(probs, budget, derive_seed(self.seed, "sec", observation.iteration),
                               self.pulls)
        sub_weights = {}
        if observation.level == Level.SKILL_TREE:
            for skill in observation.skills:
                subs = subskill_readings(observation, skill)
                rewards.update(self._update(subs))
                if subs:
                    sub_weights[skill] = {r.subskill: p for r, p in zip(
                        subs, self._boltzmann([r.key for r in subs]).values())}
        skill_q = {k: v for k, v in self.q.items() if "/" not in k}
        reasoning = (
            f"SEC bandit: Q <- {self.alpha} * |Δ accuracy| + {1 - self.alpha:.2g} * Q for the"
            f" skills that got data; budget sampled in {self.pulls or budget} draws from"
            f" exp(Q / {self.temperature}). "
            + (f"Highest Q: {top(skill_q, fmt='{:.3f}')}." if rewards else
               "No rewards yet: every Q is 0, so every skill is as likely."))
        values = {"Q": {k: round(v, 4) for k, v in self.q.items()},
                  "rewards": {k: round(v, 4) for k, v in rewards.items()},
                  "probabilities": {k: round(v, 4) for k, v in probs.items()}}
        plan = budget_plan(observation, counts, reasoning, values, sub_weights)
        self.played = sorted({s for s, c in plan.allocations.items() if c > 0} | {
            f"{s}/{n}" for s, subs in plan.subskills.items() for n in subs})
        return plan

    def _update(self, readings) -> dict[str, float]:
        """TD(0) on the arms played last time that have a new measurement."""
        progress = self.memory.observe(readings)
        rewards = {k: r for k, r in progress.items() if k in self.played or not self.played}
        for key, r in rewards.items():
            self.q[key] = self.alpha * r + (1 - self.alpha) * self.q.get(key, 0.0)
        return rewards

    def _boltzmann(self, keys: list[str]) -> dict[str, float]:
        q = {k: self.q.get(k, 0.0) / self.temperature for k in keys}
        peak = max(q.values(), default=0.0)
        z = {k: math.exp(v - peak) for k, v in q.items()}
        total = sum(z.values())
        return {k: v / total for k, v in z.items()}

    def state(self) -> Mapping[str, Any]:
        return {"memory": self.memory.state(), "q": dict(self.q), "played": list(self.played)}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.memory = ProgressMemory(state.get("memory"))
        self.q: dict[str, float] = dict(state.get("q", {}))
        self.played: list[str] = list(state.get("played", []))
