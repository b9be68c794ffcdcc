"""The challenge profiles' worlds by hand, before any teacher: expected curves of the
simulated student under fixed schedules (uniform, the ideal one, hard-only), exact (mean
competence, no sampling).

Prints JSON per profile: for each schedule the examples it needed to reach the profile's
threshold of mean accuracy (null: never within the protocol's budget), the final mean, and
for prerequisites-v1 the competence of the hardest levels at equal examples (hard-only
against easy-to-hard).

    python bench/worlds.py
    python bench/worlds.py mostly-known-v2 distractors-v2   # some profiles only
    python bench/worlds.py --student tiny-gpt 12 50   # prerequisites-v1, hard-only vs easy-to-hard
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
            "forgetting-v1", "mostly-known-v2", "distractors-v2", "distractors-v3")


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


class HardOnly:
    """A fixed plan: the whole budget on the hardest level of each chain."""

    def __init__(self, skills: list[str]) -> None:
        self.skills = skills

    def plan(self, observation, budget: int):
        from envs.records import Plan

        counts = largest_remainder({s: float(s in self.skills) for s in observation.skills}, budget)
        return Plan(counts, f"hard only: {', '.join(self.skills)}")


def order_with(student: str, iterations: int, eval_size: int) -> dict[str, dict]:
    """prerequisites-v1 with a real student: hard-only against the oracle's easy-to-hard at
    the same examples; the hardest levels' test accuracy after each step."""
    from agents.engine import make_engine
    from agents.policy import make_policy
    from envs.environment import LEVELS
    from students import make_student
    from envs.tasks.profile import world_of
    from students.seeding import derive_seed
    from students.sim import Simulated

    task = make("prerequisites-v1", eval_size=eval_size)
    top = ["sm5", "ml5", "sb5"]
    out = {}
    for name, policy in (("hard-only", HardOnly(top)), ("easy-to-hard", make_policy("oracle", task=task))):
        learner = make_student(student, seed=0, **({"threads": 1} if student == "tiny-gpt" else {}))
        if isinstance(learner, Simulated):
            learner.bind(world_of(task))
        env = LEVELS.make("skill-list", task=task, student=learner)
        engine = make_engine("procedural", seed=0, task=task)
        obs, rows = env.reset(seed=0), []
        for t in range(1, iterations + 1):
            plan = policy.plan(obs, task.challenge.budget)
            obs = env.step(engine.generate(plan, obs, iteration=t, seed=derive_seed(0, "engine")),
                           plan=plan).observation
            test = env.test.by_skill()
            rows.append({"examples": len(env.accumulated), "test_mean": round(env.test.mean_accuracy, 4),
                         **{s: round(test[s].accuracy, 4) for s in top}})
        out[name] = rows
    return out


def main() -> None:
    if "--student" in sys.argv:  # python bench/worlds.py --student tiny-gpt 12 50
        k = sys.argv.index("--student")
        student, iterations, size = sys.argv[k + 1], int(sys.argv[k + 2]), int(sys.argv[k + 3])
        print(json.dumps(order_with(student, iterations, size), indent=1))
        return
    out = {}
    for profile in [p for p in sys.argv[1:] if not p.startswith("-")] or PROFILES:
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
