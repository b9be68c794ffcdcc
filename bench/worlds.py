"""The challenge profiles' worlds by hand, before any teacher: expected curves of the
simulated student under fixed schedules (uniform, the ideal one, hard-only), exact (mean
competence, no sampling).

Prints JSON per profile: for each schedule the examples it needed to reach the profile's
threshold of mean accuracy (null: never within the protocol's budget), the final mean, and
for prerequisites-v1 the competence of the hardest levels at equal examples (hard-only
against easy-to-hard).

    python bench/worlds.py
"""

from __future__ import annotations

import json
import sys
from collections import namedtuple
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.allocation import largest_remainder  # noqa: E402
from envs.curves import examples_to_reach  # noqa: E402
from envs.tasks.task import make  # noqa: E402
from students.sim import SimStudent, World  # noqa: E402

PROFILES = ("independent-v1", "mostly-known-v1", "distractors-v1", "prerequisites-v1",
            "forgetting-v1")


_Pair = namedtuple("_Pair", "prompt answer")


def ideal(challenge, competence: dict[str, float]) -> dict[str, float]:
    """The oracle's rule on the true competences: the frontier evenly, 40% rehearsal for the
    skills its members erode."""
    done = {s for s, c in competence.items() if c >= challenge.mastery}
    frontier = [s for s in competence if s in challenge.learnable and s not in done
                and all(p in done for p in challenge.prerequisites.get(s, ()))]
    if not frontier:
        frontier = [s for s in competence if s in challenge.learnable and s not in challenge.known]
    eroded = [s for s in competence if set(challenge.interferes.get(s, ())) & set(frontier)]
    share = 0.4 if eroded else 0.0
    weights = {s: (1 - share) / len(frontier) for s in frontier}
    for s in eroded:
        weights[s] = weights.get(s, 0.0) + share / len(eroded)
    return weights


def expected_curve(profile: str, schedule) -> tuple[list[tuple[int, float]], dict[str, float]]:
    """Mean competence after each step when ``schedule(competence)`` gives the weights."""
    task = make(profile)
    c = task.challenge
    skills = [s.name for s in task.skills]
    student = SimStudent()
    student.bind(World(task.laws, lambda p: (p.split("#")[0], "x")))
    comp = {s: student.competence(s) for s in skills}
    curve, used = [(0, sum(comp.values()) / len(skills))], 0
    for t in range(c.iterations):
        counts = largest_remainder(schedule(c, comp), c.budget)
        student.train([_Pair(f"{s}#{t}.{i}", "x") for s, n in counts.items() for i in range(n)], seed=t)
        used += c.budget
        comp = {s: student.competence(s) for s in skills}
        curve.append((used, sum(comp.values()) / len(skills)))
    return curve, comp


def main() -> None:
    out = {}
    for profile in PROFILES:
        c = make(profile).challenge
        skills = [s.name for s in make(profile).skills]
        schedules = {"uniform": lambda ch, comp: dict.fromkeys(comp, 1.0), "ideal": ideal}
        if c.prerequisites:
            top = [s for s in skills if not any(s in v for v in c.prerequisites.values())
                   and s in c.prerequisites]
            schedules["hard-only"] = lambda ch, comp, top=top: {s: 1.0 for s in top}
        entry = {"threshold": c.threshold, "schedules": {}}
        for name, schedule in schedules.items():
            curve, comp = expected_curve(profile, schedule)
            need = examples_to_reach(curve, c.threshold)
            entry["schedules"][name] = {
                "examples_to_threshold": None if need is None else round(need),
                "final_mean": round(curve[-1][1], 4),
                "curve": [(x, round(y, 4)) for x, y in curve]}
            if c.prerequisites:
                entry["schedules"][name]["hardest_levels"] = {s: round(comp[s], 4) for s in top}
        out[profile] = entry
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
