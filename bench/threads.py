"""Benchmark: the tiny student's CPU threads, one against every core, idle and under load.

    python bench/threads.py            # arith-v0's warm-up + one evaluation, 2 conditions

Each measurement is a fresh process that builds ``tiny-gpt`` with ``threads=1`` or
``threads=0`` (torch's default: every core), trains it on arith-v0's seed set and evaluates
it on val and test, the work of a run's iteration 0. "loaded" runs the same while as many
busy processes as the machine has cores spin beside it: what a sweep, a test suite or a
second run does to a shared machine. Printed as JSON: seconds per condition and the ratio of
every-core to one thread (above 1: one thread is faster).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = """
import time
from envs import make
from envs.evaluation import evaluate
from students import make_student
task = make("arith-v0")
student = make_student("tiny-gpt", seed=0, threads={threads}, epochs={epochs})
t0 = time.perf_counter()
student.train(task.split("seed"), seed=0)
for split in ("val", "test"):
    evaluate(student, task, split, task.split(split))
print(time.perf_counter() - t0)
"""


def spin(stop: mp.Event) -> None:
    """A busy core: pure Python arithmetic until told to stop."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x = (x * 31 + 7) % 1_000_003


def measure(threads: int, epochs: int) -> float:
    code = WORK.format(threads=threads, epochs=epochs)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return float(out.stdout.strip().splitlines()[-1])


def condition(loaded: bool, epochs: int) -> dict[str, float]:
    stop = mp.Event()
    spinners = [mp.Process(target=spin, args=(stop,)) for _ in range(os.cpu_count() or 1)] \
        if loaded else []
    for p in spinners:
        p.start()
    try:
        one, every = measure(1, epochs), measure(0, epochs)
    finally:
        stop.set()
        for p in spinners:
            p.join()
    return {"threads_1_s": round(one, 2), "threads_all_s": round(every, 2),
            "all_over_1": round(every / one, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="training epochs (default 3)")
    args = parser.parse_args()
    result = {"cores": os.cpu_count(), "load_average_before": os.getloadavg()[0],
              "epochs": args.epochs}
    for name, loaded in (("idle", False), ("loaded", True)):
        started = time.perf_counter()
        result[name] = condition(loaded, args.epochs)
        result[name]["wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
