"""Simulate the default teaching loop on ``arith-v0`` with ``tiny-gpt`` and print JSON.

The loop: warm up on the seed split; evaluate val and test (iteration 0); then, for
t = 1..T, a policy allocates B examples over skills, the task's generators make them, the
student continues training on only the new examples, and val and test are evaluated again.
It compares the ``weakest`` policy against ``uniform`` over a few seeds: the headline is the
share of uniform's examples that ``weakest`` needs to reach uniform's final mean test accuracy.

    python bench/tune_arith.py                     # defaults, seeds 0 1 2, both policies
    python bench/tune_arith.py --seeds 0 --policies weakest --set '{"B": 600}'
"""

from __future__ import annotations

import argparse
import json
import time
import zlib
from dataclasses import asdict, dataclass, field, replace

import torch

from envs.arith import Arith
from students.tiny_gpt import tiny_gpt


@dataclass(frozen=True)
class LoopConfig:
    """The recommended defaults of the offline demo run (task, student, loop, policy)."""

    T: int = 6  # iterations after the warm-up
    B: int = 600  # examples per iteration
    floor: float = 0.1  # weakest: weight max(1 - val_acc, floor)
    eval_size: int = 50  # val and test items per skill
    student: dict = field(default_factory=dict)  # tiny-gpt options beyond its defaults
    task: dict = field(default_factory=dict)  # arith-v0 options beyond eval_size


def largest_remainder(weights: dict[str, float], total: int) -> dict[str, int]:
    """Integer counts proportional to ``weights`` that sum to ``total``."""
    mass = sum(weights.values())
    quotas = {k: total * w / mass for k, w in weights.items()}
    counts = {k: int(q) for k, q in quotas.items()}
    left = total - sum(counts.values())
    for k in sorted(quotas, key=lambda k: (counts[k] - quotas[k], k))[:left]:
        counts[k] += 1
    return counts


def allocate(policy: str, val_acc: dict[str, float], cfg: LoopConfig) -> dict[str, int]:
    if policy == "uniform":
        return largest_remainder({k: 1.0 for k in val_acc}, cfg.B)
    if policy == "weakest":
        return largest_remainder({k: max(1.0 - a, cfg.floor) for k, a in val_acc.items()}, cfg.B)
    raise ValueError(policy)


def evaluate(task: Arith, student, split: str) -> dict[str, float]:
    items = task.split(split)
    predictions = student.predict([i.prompt for i in items])
    right: dict[str, list[bool]] = {}
    for item, p in zip(items, predictions, strict=True):
        right.setdefault(item.skill, []).append(task.score(item.answer, p))
    return {k: sum(v) / len(v) for k, v in right.items()}


def run(policy: str, seed: int, cfg: LoopConfig) -> dict:
    """One run; returns its curve (examples used, mean val/test accuracy) and timings."""
    start, cpu = time.perf_counter(), time.process_time()
    task = Arith(eval_size=cfg.eval_size, **cfg.task)
    student = tiny_gpt(seed=seed, **cfg.student)
    student.train(task.split("seed"), seed=seed)
    curve, used = [], 0
    for t in range(cfg.T + 1):
        if t > 0:
            counts = allocate(policy, curve[-1]["val"], cfg)
            data = [i for skill, n in counts.items() if n
                    for i in task.generate(skill, n, seed=zlib.crc32(f"{seed}/{t}/{skill}".encode()))]
            data = [i for i in data if not task.is_heldout(i.prompt)]
            used += len(data)
            tick = time.perf_counter()
            student.train(data, seed=seed * 1000 + t)
            train_s = time.perf_counter() - tick
        tick = time.perf_counter()
        val, test = evaluate(task, student, "val"), evaluate(task, student, "test")
        curve.append({
            "t": t, "used": used, "val": val, "test": test,
            "val_mean": sum(val.values()) / len(val), "test_mean": sum(test.values()) / len(test),
            "alloc": counts if t else {}, "train_s": train_s if t else None,
            "eval_s": time.perf_counter() - tick, "wall_s": time.perf_counter() - start,
        })
    return {"policy": policy, "seed": seed, "curve": curve, "wall_s": time.perf_counter() - start,
            "cpu_s": time.process_time() - cpu}


def examples_to_reach(curve: list[dict], target: float) -> float | None:
    """Examples at which the mean-test curve first reaches ``target`` (linear interpolation)."""
    for prev, cur in zip(curve, curve[1:]):
        if prev["test_mean"] >= target:
            return prev["used"]
        if cur["test_mean"] >= target:
            frac = (target - prev["test_mean"]) / (cur["test_mean"] - prev["test_mean"])
            return prev["used"] + frac * (cur["used"] - prev["used"])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--policies", nargs="+", default=["uniform", "weakest"])
    parser.add_argument("--set", default="{}", help="JSON overrides of LoopConfig fields")
    parser.add_argument("--curves", action="store_true", help="include every iteration's numbers")
    args = parser.parse_args()
    cfg = replace(LoopConfig(), **json.loads(args.set))
    runs = [run(p, s, cfg) for s in args.seeds for p in args.policies]
    print(json.dumps(summarize(runs, cfg, args.curves), indent=1))


def summarize(runs: list[dict], cfg: LoopConfig, curves: bool) -> dict:
    def r3(x):
        return None if x is None else round(x, 3)

    out: dict = {"config": asdict(cfg), "threads": torch.get_num_threads(), "runs": []}
    for r in runs:
        c = r["curve"]
        out["runs"].append({
            "policy": r["policy"], "seed": r["seed"], "wall_s": round(r["wall_s"], 1), "cpu_s": round(r["cpu_s"], 1),
            "test_mean": [r3(p["test_mean"]) for p in c], "val_mean": [r3(p["val_mean"]) for p in c],
            "test_first": {k: r3(v) for k, v in c[0]["test"].items()},
            "test_last": {k: r3(v) for k, v in c[-1]["test"].items()},
            **({"curve": c} if curves else {}),
        })
    by = {(r["policy"], r["seed"]): r["curve"] for r in runs}
    ratios = {}
    for (policy, seed), curve in by.items():
        base = by.get(("uniform", seed))
        if policy == "uniform" or base is None:
            continue
        need = examples_to_reach(curve, base[-1]["test_mean"])
        ratios[f"{policy}/{seed}"] = r3(need / base[-1]["used"]) if need is not None else None
    out["ratio_to_uniform"] = ratios
    return out


if __name__ == "__main__":
    main()
