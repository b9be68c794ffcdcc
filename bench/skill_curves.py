"""How a real student learns each skill: per-skill test accuracy after each step of a fixed
schedule, in the loop's own environment (Skill-List level, the seed set, quality checks,
the student's rehearsal), with where the time goes.

The suite is any choice of skills from the profiles' specs (arith-v0's, the chain levels and
the distractors of ``envs.tasks.profiles``). A schedule is a list of phases
``SKILLS:STEPS``: the budget of each of STEPS steps spread evenly over SKILLS (``+`` between
skill names, ``*`` for all of them). Prints JSON: per step, examples kept so far, mean test
accuracy and each skill's test accuracy; the seconds spent training and evaluating.

    python bench/skill_curves.py --skills max rev par min suc srt --seed-counts max=1000 \
        --schedule '*:8' --budget 240 --eval-size 50
    python bench/skill_curves.py --skills sm2 sm3 sm4 --schedule sm4:6 --budget 200   # hard only
    python bench/skill_curves.py --skills sm2 sm3 sm4 --schedule sm2:2 sm3:2 sm4:2 --budget 200
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.allocation import largest_remainder  # noqa: E402
from envs.records import Plan  # noqa: E402


def phases(schedule: list[str], skills: list[str]) -> list[list[str]]:
    """One list of skills per step."""
    steps = []
    for phase in schedule:
        names, _, count = phase.rpartition(":")
        chosen = skills if names == "*" else names.split("+")
        unknown = set(chosen) - set(skills)
        if unknown:
            raise SystemExit(f"bench/skill_curves.py: --schedule {phase!r} names skills not in "
                             f"--skills: {sorted(unknown)}")
        steps += [chosen] * int(count)
    return steps


def key_values(pairs: list[str]) -> dict:
    """``KEY=VALUE`` options, each value read as JSON."""
    return {k: json.loads(v) for k, v in (o.split("=", 1) for o in pairs)}


def run(args: argparse.Namespace) -> dict:
    from agents.engine import make_engine
    from envs.environment import LEVELS
    from envs.tasks.profile import ProfileTask
    from envs.tasks.profiles import POOL
    from envs.tasks.task import make
    from agents.policy import make_policy
    from agents.runner import TASK_READERS
    from students import make_student
    from envs.tasks.profile import world_of
    from students.seeding import derive_seed
    from students.sim import Simulated

    seed_counts = {k: int(v) for k, v in (s.split("=") for s in args.seed_counts)}
    if args.task:
        task = make(args.task, **({"eval_size": args.eval_size} if args.eval_size else {}))
        args.skills = [s.name for s in task.skills]
        args.budget = args.budget or task.challenge.budget
        steps = args.iterations or task.challenge.iterations
    else:
        pool = type("Pool", (ProfileTask,), {"id": "pool", "specs": POOL, "default_skills": (),
                                             "default_levels": {}, "default_seed_counts": {}})
        levels = {k: int(v) for k, v in (x.split("=") for x in args.levels)}
        task = pool(skills=args.skills, seed_counts=seed_counts, eval_size=args.eval_size or 50,
                    **({"levels": levels} if levels else {}))
        steps = 0
    options = {**({"threads": 1} if args.student == "tiny-gpt" else {}),
               **key_values(args.student_opt)}
    student = make_student(args.student, seed=args.seed, **options)
    if isinstance(student, Simulated):
        student.bind(world_of(task))
    env = LEVELS.make("skill-list", task=task, student=student)
    engine = make_engine("procedural", seed=args.seed, task=task)
    t0 = time.perf_counter()
    obs = env.reset(seed=args.seed)
    times = {"warmup_train": env.timings["train"], "evaluate": env.timings["evaluate"],
             "train": 0.0, "check": 0.0}

    def row(used: int) -> dict:
        test = env.test.by_skill()
        return {"examples": used, "test_mean": round(env.test.mean_accuracy, 4),
                "test": {s: round(test[s].accuracy, 3) for s in args.skills}}

    rows = [row(0)]
    policy = None if not args.policy else make_policy(
        args.policy, seed=args.seed, **({"task": task} if args.policy in TASK_READERS else {}),
        **key_values(args.policy_opt))
    schedule = [None] * steps if policy else phases(args.schedule, args.skills)
    for t, chosen in enumerate(schedule, start=1):
        if policy:
            plan = policy.plan(obs, args.budget)
        else:
            counts = largest_remainder({s: float(s in chosen) for s in args.skills}, args.budget)
            plan = Plan(counts, f"fixed: {'+'.join(chosen)}")
        batch = engine.generate(plan, obs, iteration=t, seed=derive_seed(args.seed, "engine"))
        obs = env.step(batch, plan=plan).observation
        for k in ("train", "check", "evaluate"):
            times[k] += env.timings.get(k, 0.0)
        rows.append(row(len(env.accumulated)))
    return {"task": args.task, "policy": args.policy, "skills": args.skills, "seed_counts": seed_counts, "schedule": args.schedule,
            "budget": args.budget, "eval_size": args.eval_size, "seed": args.seed,
            "seconds": {k: round(v, 1) for k, v in times.items()}
            | {"total": round(time.perf_counter() - t0, 1)},
            "steps": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", nargs="+")
    parser.add_argument("--task", help="a challenge profile: its skills, seed set and protocol")
    parser.add_argument("--policy", help="a teacher policy instead of --schedule (with --task)")
    parser.add_argument("--policy-opt", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--iterations", type=int, help="with --task: override its iterations")
    parser.add_argument("--seed-counts", nargs="*", default=[], metavar="SKILL=N")
    parser.add_argument("--schedule", nargs="+", default=["*:8"], metavar="SKILLS:STEPS")
    parser.add_argument("--levels", nargs="*", default=[], metavar="SKILL=LEVEL")
    parser.add_argument("--budget", type=int, help="examples a step (default 240; with --task"
                                                    " its protocol's)")
    parser.add_argument("--eval-size", type=int, help="val and test items per skill (default 50;"
                                                       " with --task its own, 100)")
    parser.add_argument("--student", default="tiny-gpt")
    parser.add_argument("--student-opt", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.task:
        if not args.skills:
            parser.error("give --skills, or --task")
        args.budget = args.budget or 240
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
