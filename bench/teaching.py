"""Teaching benchmark: policies compared on the same budget over several seeds.

Prints JSON per (task, level, policy): mean and std of the final mean test accuracy and
``examples_to_match_uniform_ratio`` — the fraction of the uniform policy's examples this
policy needed to reach uniform's final mean test accuracy (1.0 for uniform itself; a value
> 1 or null when never reached). Runs are real runs recorded in a history file.

    python bench/teaching.py                 # uniform vs weakest on arith-v0, 3 seeds
    python bench/teaching.py --quick         # a smoke test: tiny budget, 1 seed
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.config import RunConfig, TaskConfig, TeacherConfig  # noqa: E402
from agents.runner import start_run  # noqa: E402
from envs.history import History  # noqa: E402
from envs.queries import iterations  # noqa: E402


def run_curve(config: RunConfig, history: History) -> list[tuple[int, float]]:
    """One real run; its (examples used, mean test accuracy) after each iteration."""
    summary = start_run(config, history, progress=False)
    its = iterations(history, summary.run_id)
    return [(int(r.examples_used), float(r.test_mean)) for r in its.itertuples()]


def examples_to_reach(curve: list[tuple[int, float]], target: float) -> float | None:
    """Examples used when the curve first reaches ``target`` (linear between iterations)."""
    for (x0, y0), (x1, y1) in zip(curve, curve[1:]):
        if y0 >= target:
            return float(x0)
        if y1 >= target:
            return x0 + (x1 - x0) * (target - y0) / (y1 - y0)
    return float(curve[0][0]) if curve and curve[0][1] >= target else None


def summarise(curves: dict[str, dict[int, list]], baseline: str = "uniform") -> dict[str, dict]:
    """Per policy: final accuracy mean/std and the examples ratio against the baseline."""
    out = {}
    for policy, by_seed in curves.items():
        finals = [c[-1][1] for c in by_seed.values()]
        ratios = []
        for seed, curve in by_seed.items():
            base = curves.get(baseline, {}).get(seed)
            if base is None:
                continue
            needed = examples_to_reach(curve, base[-1][1])
            ratios.append(None if needed is None else needed / base[-1][0])
        reached = [r for r in ratios if r is not None]
        out[policy] = {
            "final_test_mean": round(statistics.mean(finals), 4),
            "final_test_std": round(statistics.pstdev(finals), 4),
            "examples_to_match_uniform_ratio":
                round(statistics.mean(reached), 4) if ratios and len(reached) == len(ratios) else None,
            "per_seed_ratio": [None if r is None else round(r, 4) for r in ratios],
            "per_seed_final": [round(f, 4) for f in finals],
            "curves": {str(s): c for s, c in by_seed.items()},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["arith-v0"])
    parser.add_argument("--levels", nargs="+", default=["skill-list"])
    parser.add_argument("--policies", nargs="+", default=["uniform", "weakest"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--iterations", type=int)
    parser.add_argument("--budget", type=int)
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 seed, 2 iterations")
    parser.add_argument("--db", help="history file (default: a temporary one)")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.iterations, args.budget = args.seeds[:1], 2, args.budget or 100
    db = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "bench.duckdb"
    history, results = History(db), []
    for task in args.tasks:
        for level in args.levels:
            curves: dict[str, dict[int, list]] = {}
            start = time.perf_counter()
            for policy in args.policies:
                for seed in args.seeds:
                    config = RunConfig(task=TaskConfig(id=task), seed=seed,
                                       checkpoint_dir=str(db.parent / "ckpt"))
                    teacher = replace(config.teacher, policy=policy, level=level,
                                      **({"budget": args.budget} if args.budget else {}))
                    config = replace(config, teacher=teacher,
                                     **({"iterations": args.iterations} if args.iterations else {}))
                    curves.setdefault(policy, {})[seed] = run_curve(config, history)
            for policy, stats in summarise(curves).items():
                results.append({"task": task, "level": level, "policy": policy, **stats})
            print(f"{task}/{level}: {time.perf_counter() - start:.0f}s", file=sys.stderr)
    print(json.dumps({"history": str(db), "results": results}, indent=2))


if __name__ == "__main__":
    main()
