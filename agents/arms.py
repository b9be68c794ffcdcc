"""What the algorithmic policies read off an observation, at any environment level.

A policy weighs *arms*: the skills, and at the Skill-Tree level also each skill's subskills
(those in the tree and those the task offers). An arm's reading is its latest accuracy and a
counter that grows with each new measurement, so a policy can tell a fresh number from one it
has already seen:

- a skill: its val accuracy (Skill-List, Skill-Tree), or at the Open-Ended level an estimate
  from the raw errors: with ``k`` errors sampled, ``e`` of them of the skill, an error rate
  ``r`` over all val items and ``S`` skills of equal size, ``1 - S * r * e / k``;
- a subskill: the student's accuracy on its fresh examples before training (None until it
  got data).

``budget_plan`` turns per-skill counts and per-subskill weights into a Plan with the
Skill-Tree actions spelled out; subskills too small to measure are left out (pruned).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agents.allocation import largest_remainder
from envs.forest import describe_change
from envs.level import Level
from envs.records import Observation, Plan

MIN_SUBSKILL = 20  # fewer fresh examples than this measure a subskill too coarsely
MAX_SUBSKILLS = 3  # subskills active at once per skill: more would spread a skill's data thin
# The share of a skill's examples that goes to its subskills at the Skill-Tree level; the rest
# comes from the skill's own generator. With every example on subskills, policies that follow
# fresh-example accuracy drifted to easier or harder slices than the val/test one and learnt
# less on arith-v0 than the same policies at the Skill-List level.
TREE_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Reading:
    """The latest measurement of one arm (``subskill`` None: the skill itself)."""

    skill: str
    subskill: str | None
    accuracy: float | None
    count: int  # grows with each new measurement

    @property
    def key(self) -> str:
        return self.skill if self.subskill is None else f"{self.skill}/{self.subskill}"


def skill_readings(obs: Observation) -> list[Reading]:
    """One reading per skill, measured once per iteration."""
    accuracy = skill_accuracy(obs)
    return [Reading(s, None, accuracy.get(s), obs.iteration + 1) for s in obs.skills]


def subskill_readings(obs: Observation, skill: str) -> list[Reading]:
    """The skill's subskills: those in the tree (measured), then those offered (not yet)."""
    tree = [Reading(skill, n.name, n.accuracy, len(n.fresh)) for n in obs.subskills(skill)]
    offered = [Reading(skill, s.name, None, 0) for s in obs.offered_for(skill)]
    return tree + offered


def skill_accuracy(obs: Observation) -> dict[str, float]:
    """Per skill: the val accuracy, or at the Open-Ended level the estimate from raw errors."""
    if obs.val.scores:
        return {s.skill: s.accuracy for s in obs.val.scores}
    skills, k = obs.skills, len(obs.errors)
    rate = obs.error_rate or 0.0
    if not skills or k == 0:
        return {s: 1.0 - rate for s in skills}
    wrong = Counter(a.item.skill for a in obs.errors)
    return {s: min(max(1.0 - len(skills) * rate * wrong[s] / k, 0.0), 1.0) for s in skills}


def sample_counts(weights: Mapping[str, float], budget: int, seed: int,
                  pulls: int | None = None) -> dict[str, int]:
    """The budget drawn in ``pulls`` equal chunks, each chunk's arm drawn in proportion to
    ``weights`` (a seeded categorical sample; ``None``: one draw per example).

    A chunk is a bandit's pull: a batch of examples of one arm, large enough to move a skill
    that a thin, even spread would leave where it is."""
    keys = list(weights)
    if not keys:
        return {}
    w = [max(weights[k], 0.0) for k in keys]
    if sum(w) <= 0:
        w = [1.0] * len(keys)
    n = budget if pulls is None else max(1, min(pulls, budget))
    sizes = largest_remainder({str(i): 1.0 for i in range(n)}, budget)
    drawn = random.Random(seed).choices(keys, weights=w, k=n)
    counts = dict.fromkeys(keys, 0)
    for arm, size in zip(drawn, sizes.values()):
        counts[arm] += size
    return counts


def split_over_subskills(count: int, weights: Mapping[str, float]) -> dict[str, int]:
    """A skill's ``count`` over its subskills in proportion to ``weights``: at most
    ``MAX_SUBSKILLS`` of them, and one whose share would be under ``MIN_SUBSKILL`` is dropped
    (lowest weight first; on ties the later, harder one), so every subskill that gets data
    gets enough to be measured."""
    floor = {n: max(w, 1e-9) for n, w in weights.items()}
    # stable sort: on ties the catalogue order (the val/test setting first) is kept
    order = sorted(floor, key=lambda n: -floor[n])[:MAX_SUBSKILLS]
    while len(order) > 1 and count * min(floor[n] for n in order) / sum(
            floor[n] for n in order) < min(MIN_SUBSKILL, count):
        order.pop()
    kept = {n: w for n, w in floor.items() if n in order}
    return {n: c for n, c in largest_remainder(kept, count).items() if c > 0}


class ProgressMemory:
    """Per arm, the last accuracy seen and its measurement count: on each new measurement it
    yields the absolute learning progress |accuracy now - accuracy before| (ALP-GMM compares
    with the nearest earlier measurement; for an arm that is measured again, that is its last)."""

    def __init__(self, state: Mapping[str, Any] | None = None) -> None:
        self.last: dict[str, list] = {k: list(v) for k, v in dict(state or {}).items()}

    def observe(self, readings: list[Reading]) -> dict[str, float]:
        progress = {}
        for r in readings:
            if r.accuracy is None:
                continue
            before = self.last.get(r.key)
            if before is not None and before[1] == r.count:
                continue  # nothing new since the last plan
            if before is not None:
                progress[r.key] = abs(r.accuracy - before[0])
            self.last[r.key] = [r.accuracy, r.count]
        return progress

    def state(self) -> dict[str, list]:
        return {k: list(v) for k, v in self.last.items()}


def budget_plan(obs: Observation, counts: Mapping[str, int], reasoning: str,
                values: Mapping[str, Any],
                subskill_weights: Mapping[str, Mapping[str, float]] | None = None) -> Plan:
    """A Plan giving each skill ``counts[skill]``. At the Skill-Tree level (when
    ``subskill_weights`` has a skill) ``TREE_SHARE`` of its count is split over those
    subskills and the rest stays with the skill's own generator (the setting of its val and
    test items), so that exploring other slices never starves the one that is measured."""
    subskills = {}
    for skill, weights in (subskill_weights or {}).items():
        share = math.floor(TREE_SHARE * counts.get(skill, 0) + 0.5)
        if share > 0 and weights:
            subskills[skill] = split_over_subskills(share, weights)
    values = dict(values)
    if obs.level == Level.SKILL_TREE:
        values["actions"] = describe_change(obs, subskills)
    return Plan({s: int(counts.get(s, 0)) for s in obs.skills}, reasoning, values, subskills)


def top(values: Mapping[str, float], k: int = 3, fmt: str = "{:.2f}") -> str:
    """``a (0.31), b (0.20), c (0.12)``: the ``k`` largest, for reasoning text."""
    best = sorted(values.items(), key=lambda kv: -kv[1])[:k]
    return ", ".join(f"{key} ({fmt.format(v)})" for key, v in best)
