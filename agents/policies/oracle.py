"""``oracle``: the ceiling a teacher is measured against, planned from a challenge profile's
ground truth (``envs.tasks.profile.Challenge``) and the val scores, never from test data.

Each step it teaches the *frontier*: the learnable skills not yet mastered on val whose
prerequisites are, evenly; skills known after the seed set get nothing unless one of the
skills taught erodes them, and then a ``rehearse`` share keeps them (split evenly among those
eroded). When everything is mastered, the budget goes to the learnable skills below 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.allocation import largest_remainder
from agents.arms import skill_accuracy
from agents.policy import POLICIES, Stateless
from envs.records import Observation, Plan
from students.errors import ConfigError
from students.options import Checked, build, within


@dataclass(frozen=True, slots=True)
class OracleOptions(Checked):
    rehearse: float = field(default=0.4, metadata=within(0, 1))  # share for eroded skills

    WHERE = "teacher.policy_options"


@POLICIES.register("oracle")
class OraclePolicy(Stateless):
    def __init__(self, *, seed: int = 0, task: Any = None, **options: Any) -> None:
        self.options = build(OracleOptions, options, "teacher.policy_options")
        self.challenge = getattr(task, "challenge", None)
        if self.challenge is None:
            raise ConfigError("policy oracle needs a challenge profile (a task with ground truth, "
                              "e.g. prerequisites-v1); this task has none")
        self.seed = seed

    def plan(self, observation: Observation, budget: int) -> Plan:
        c, accuracy = self.challenge, skill_accuracy(observation)
        done = {s for s in observation.skills if accuracy.get(s, 0.0) >= c.mastery}
        frontier = [s for s in observation.skills if s in c.learnable and s not in done
                    and all(p in done for p in c.prerequisites.get(s, ()))]
        eroded = [s for s in observation.skills if s in c.learnable and set(
            c.interferes.get(s, ())) & set(frontier)]
        if not frontier:  # mastered or known: polish what is below 1.0, else the learnable
            frontier = [s for s in observation.skills if s in c.learnable and accuracy.get(s, 0.0) < 1.0
                        and s not in c.known] or [s for s in observation.skills if s in c.learnable]
            eroded = []
        share = self.options.rehearse if eroded and frontier else 0.0
        weights = {s: (1 - share) / len(frontier) for s in frontier}
        for s in eroded:
            weights[s] = weights.get(s, 0.0) + share / len(eroded)
        counts = largest_remainder({s: weights.get(s, 0.0) for s in observation.skills}, budget)
        reasoning = (f"Oracle (ground truth): teach {', '.join(frontier) or 'nothing'} evenly"
                     + (f"; rehearse {', '.join(eroded)} with {share:.0%}" if share else "")
                     + f". Mastered on val (>= {c.mastery}): {len(done)} of "
                     f"{len(observation.skills)}; not learnable: "
                     f"{', '.join(sorted(set(observation.skills) - c.learnable)) or 'none'}.")
        return Plan(counts, reasoning, values={"frontier": frontier, "rehearse": eroded})
