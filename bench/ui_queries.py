"""The query behind every view of the app, timed on a big history.

A generated history of 100 runs x 30 iterations x 20 skills with 1,000,000 examples (and
2.5 M answers) is made once in ``bench/out/`` (``--fresh`` remakes it). Each view's queries
run ``--reps`` times on random runs through ``History`` exactly as the app calls them, each
in its own short read-only connection (opening it is part of the time). Prints one JSON line
per query: p50, p95 and max in milliseconds against the 100 ms budget, then a summary line.

    python bench/ui_queries.py
    python bench/ui_queries.py --reps 20
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.gen_history import generate  # noqa: E402
from envs.history.database import History  # noqa: E402
from envs.history import browse, summaries  # noqa: E402
from ui.launcher import Launcher  # noqa: E402

BUDGET_MS = 100.0
OUT = Path(__file__).resolve().parent / "out" / "ui_history.duckdb"
RUNS, ITERATIONS, SKILLS, EXAMPLES = 100, 30, 20, 1_000_000


def cases(history: History, rng: random.Random) -> list[tuple[str, str, Callable[[], object]]]:
    """(view, query, call) for every query a view makes; runs are drawn at random per call."""
    ids = [f"gen-{r:04d}" for r in range(RUNS)]
    llm = [i for k, i in enumerate(ids) if (k // 4) % 4 == 2]
    tree = [i for k, i in enumerate(ids) if (k // 4) % 4 == 3]
    skills = [s for s in browse.facets(history, ids[0])["skills"]]
    runner = Launcher(history)

    def run() -> str:
        return rng.choice(ids)

    return [
        ("runs", "runs", lambda: summaries.runs(history)),
        ("live", "live", lambda: summaries.live(history, run(), follow=True)),
        ("skill profile", "profile", lambda: summaries.profile(history, run())),
        ("curriculum", "curriculum", lambda: summaries.curriculum(history, rng.choice(tree + ids))),
        ("data", "facets", lambda: browse.facets(history, run())),
        ("data", "examples (filters + search)", lambda: browse.examples(
            history, run(), iteration=rng.randrange(1, ITERATIONS + 1), skill=rng.choice(skills),
            verdict=rng.choice(["all", "kept", "rejected"]), search=str(rng.randrange(10)))),
        ("data", "examples (search, whole run)", lambda: browse.examples(
            history, run(), search=f"{rng.randrange(100)} ", page=rng.randrange(3))),
        ("data", "teacher call", lambda: browse.teacher_call(
            history, rng.choice(llm), rng.randrange(1, ITERATIONS + 1), rng.randrange(50))),
        ("errors", "error matrix", lambda: browse.error_matrix(history, run())),
        ("errors", "wrong answers", lambda: browse.wrong_answers(
            history, run(), rng.randrange(ITERATIONS + 1), rng.choice(skills))),
        ("errors", "one item across iterations", lambda: browse.item_answers(
            history, run(), f"val-{rng.choice(skills)}-{rng.randrange(20):03d}")),
        ("compare", "compare 8 runs", lambda: summaries.compare(history, rng.sample(ids, 8))),
        ("compare", "compare all 100 runs", lambda: summaries.compare(history, ids)),
        ("steer", "pending plans (in memory, no SQL)", runner.pending),
        ("cost", "cost", lambda: summaries.cost(history, rng.choice(llm + ids[:8]))),
    ]


def time_case(call: Callable[[], object], reps: int) -> list[float]:
    for _ in range(3):  # warm the OS page cache and Python paths; not counted
        call()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - start))
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--fresh", action="store_true", help="regenerate the history")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.fresh or not OUT.exists():
        OUT.parent.mkdir(parents=True, exist_ok=True)
        for stale in (OUT, OUT.with_name(OUT.name + ".wal")):
            stale.unlink(missing_ok=True)
        rows = generate(OUT, runs=RUNS, iterations=ITERATIONS, skills=SKILLS, examples=EXAMPLES)
        print(json.dumps({"generated": str(OUT), "rows": rows}))
    history = History(OUT)
    rng = random.Random(args.seed)
    worst = 0.0
    for view, query, call in cases(history, rng):
        times = time_case(call, args.reps)
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        worst = max(worst, p95)
        print(json.dumps({"view": view, "query": query, "reps": args.reps,
                          "p50_ms": round(times[len(times) // 2], 1), "p95_ms": round(p95, 1),
                          "max_ms": round(times[-1], 1), "budget_ms": BUDGET_MS,
                          "ok": p95 <= BUDGET_MS}))
    print(json.dumps({"summary": "every view's queries", "worst_p95_ms": round(worst, 1),
                      "budget_ms": BUDGET_MS, "ok": worst <= BUDGET_MS, "cpus": os.cpu_count(),
                      "load_average_1m": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
