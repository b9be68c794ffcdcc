"""Teaching benchmark: challenge profiles x students x policies x seeds, with intervals.

Every run follows its profile's protocol (``task.challenge``: budget, iterations, threshold).
Per (profile, student, level, policy) it prints, as ``{"mean", "ci95", "n"}`` over seeds
(a 95% percentile bootstrap, ``envs.curves.estimate``):

- ``examples_to_threshold_ratio``: examples this policy needed to first reach the profile's
  threshold of mean test accuracy, over uniform's on the same seed. A run that never reaches
  it counts its total examples (a lower bound: ``reached`` says how many did);
- ``aulc_ratio``: the normalised area under the curve of mean test accuracy against examples
  used, on [0, budget x iterations], over uniform's;
- ``final_accuracy_ratio``: mean test accuracy at the examples both runs used, over uniform's;
- ``vs_oracle``: the examples-to-threshold ratio against the ``oracle`` policy instead (and
  ``vs_oracle_aulc``).

Every run is a real run (``agents.runner.start_run``) recorded in one history,
``OUT/teaching.duckdb``: the configs of each student run as one sweep
(``agents.sweep.run_configs``) on ``--workers`` local worker processes, or on Ray with
``--ray [ADDRESS]``. A config already completed in that history is read back, not run again,
and a rerun resumes an interrupted sweep; the curves are read from the history. Writes an
HTML report: curves with 95% bands, and a table with policies as rows and profiles as
columns.

    python bench/teaching.py --quick                       # sim, 2 seeds; tiny-gpt, 1 seed
    python bench/teaching.py --quick --workers 2 --out DIR # again with DIR: reused, not rerun
    python bench/teaching.py --students sim --sim-seeds 30 # the simulated grid
    python bench/teaching.py --students tiny-gpt --seeds 0 1 2 3 4 5 6 7 --profiles distractors-v1
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents import sweep  # noqa: E402
from agents.config import RunConfig, StudentConfig, TaskConfig, TeacherConfig  # noqa: E402
from agents.sweep import LocalExecutor, RayExecutor  # noqa: E402
from agents.sweep.spec import cell_key  # noqa: E402
from bench.teaching_report import report_html, table  # noqa: E402
from envs.curves import aulc, estimate, examples_to_reach, value_at  # noqa: E402
from envs.history import History  # noqa: E402
from envs.tasks.task import make  # noqa: E402
from students.errors import ConfigError, CurriculabError  # noqa: E402
from students.plugins import load_plugins  # noqa: E402

PROFILES = ("independent-v1", "mostly-known-v1", "distractors-v1", "prerequisites-v1",
            "forgetting-v1", "mostly-known-v2", "distractors-v2", "distractors-v3")
POLICIES = ("uniform", "weakest", "alp", "sec", "frontier", "explore-exploit", "oracle")
STUDENTS = ("sim", "tiny-gpt")
QUICK_STUDENT = {"d_model": 32, "layers": 1, "heads": 2, "epochs": 1}
QUICK_POLICIES = ("uniform", "weakest", "alp", "oracle")
Curve = list[tuple[int, float]]


# -- running ---------------------------------------------------------------------------------
class Kept:
    """An executor whose workers outlive each sweep (``close`` keeps them unless interrupted)
    until ``shutdown``: the sweeps of one benchmark share them, so a worker starts, and imports
    its students, once."""

    def __init__(self, make_executor) -> None:
        self._make, self._executor = make_executor, None

    def __call__(self) -> Kept:
        if self._executor is None:
            self._executor = self._make()
        self.name, self.slots = self._executor.name, self._executor.slots
        return self

    def run(self, tasks):
        return self._executor.run(tasks)

    def discard(self, task, outcome) -> None:
        self._executor.discard(task, outcome)

    def close(self, wait: bool = True) -> None:
        if not wait:  # an interrupted sweep: its running cells end now, as without sharing
            self.shutdown(wait=False)

    def shutdown(self, wait: bool = True) -> None:
        if self._executor is not None:
            self._executor, executor = None, self._executor
            executor.close(wait=wait)


def run_configs(configs: Sequence[RunConfig], history: History, make_executor=None, *,
                name: str = "teaching", shards: str | None = None,
                progress: bool = False) -> list[Curve]:
    """Each config's curve (examples used, mean test accuracy) per iteration, in order.

    A config already completed in ``history`` (by any sweep there: its cell is the hash of the
    whole config) is read back; the others run as one sweep (``agents.sweep.run_configs``) on
    ``make_executor()`` (default: one local worker), which a rerun resumes."""
    keys = [cell_key(c) for c in configs]
    done = completed_runs(history, keys)
    todo = [c for c, k in zip(configs, keys) if k not in done]
    if todo:
        executor = make_executor() if make_executor else LocalExecutor(1)
        result = sweep.run_configs(todo, history, executor, name=name, shards=shards,
                                   progress=progress)
        done |= {c.cell: c.run_id for c in result.cells if c.status == "completed"}
        if result.failed:
            first = result.failed[0]
            raise CurriculabError(f"{len(result.failed)} of {len(result.cells)} runs of sweep"
                                  f" {result.sweep_id} did not complete (run {first.run_id}:"
                                  f" {first.error}); run the same command again to resume them")
    curves = curves_of(history, list(done.values()))
    return [curves[done[k]] for k in keys]


def completed_runs(history: History, keys: Sequence[str]) -> dict[str, str]:
    """Config hash -> run id, for the configs completed in ``history`` by any sweep."""
    history.ensure()
    return dict(history.rows(
        "SELECT c.cell, any_value(c.run_id) FROM sweep_cells c JOIN runs r USING (run_id)"
        " WHERE c.status = 'completed' AND r.status = 'completed' AND list_contains(?, c.cell)"
        " GROUP BY c.cell", [list(keys)]))


def curves_of(history: History, run_ids: Sequence[str]) -> dict[str, Curve]:
    """Each run's (examples used, mean test accuracy) per iteration, iteration 0 first."""
    frame = history.frame(
        "SELECT run_id, examples_used, test_mean FROM iterations WHERE list_contains(?, run_id)"
        " ORDER BY run_id, iteration", [list(run_ids)])
    curves: dict[str, Curve] = {r: [] for r in run_ids}
    for run_id, x, y in frame.itertuples(index=False):
        curves[run_id].append((int(x), float(y)))
    return curves


@functools.cache
def _task(id: str, options: str):
    return make(id, **json.loads(options))


def protocol(task_id: str) -> tuple[int, int, float | None]:
    """Budget, iterations and threshold: the profile's; for a task without ground truth (a
    task of one's own) the run defaults, and the threshold is left to uniform's final mean."""
    challenge = getattr(_task(task_id, "{}"), "challenge", None)
    if challenge is None:
        defaults = RunConfig()
        return defaults.teacher.budget, defaults.iterations, None
    return challenge.budget, challenge.iterations, challenge.threshold


def configs_for(profile: str, student: str, level: str, policy: str, seeds: Sequence[int],
                args: argparse.Namespace) -> list[RunConfig]:
    """One config per seed, on the profile's protocol."""
    budget, iterations, _ = protocol(profile)
    options = ({"threads": 1, **(QUICK_STUDENT if args.quick else {}), **args.student_opt}
               if student == "tiny-gpt" else {})
    teacher = TeacherConfig(policy=policy, level=level, budget=budget)
    task = TaskConfig(id=profile, options={"eval_size": args.eval_size} if args.eval_size else {})
    return [RunConfig(task=task, student=StudentConfig(student, options),
                      teacher=teacher, iterations=args.iterations or iterations,
                      seed=seed, plugins=args.plugin)
            for seed in seeds]


# -- metrics ---------------------------------------------------------------------------------
def needed(curve: Curve, threshold: float) -> tuple[float, bool]:
    """Examples to reach ``threshold``, and whether it was reached (else the run's total)."""
    x = examples_to_reach(curve, threshold)
    return (float(curve[-1][0]), False) if x is None else (x, True)


def compare(curves: Mapping[int, Curve], base: Mapping[int, Curve], threshold: float,
            x_max: float) -> dict[str, list[float]]:
    """Per seed both have: the three ratios of a policy's curve against a baseline's."""
    out: dict[str, list[float]] = {"examples": [], "aulc": [], "final": []}
    for seed in sorted(set(curves) & set(base)):
        c, b = curves[seed], base[seed]
        out["examples"].append(needed(c, threshold)[0] / max(needed(b, threshold)[0], 1.0))
        area = aulc(b, x_max)
        out["aulc"].append(aulc(c, x_max) / area if area > 0 else 1.0)
        x = min(c[-1][0], b[-1][0])
        final = value_at(b, x)
        out["final"].append(value_at(c, x) / final if final > 0 else 1.0)
    return out


def _est(values: Sequence[float]) -> dict | None:
    return None if not values else {k: round(v, 4) if isinstance(v, float) else v
                                    for k, v in estimate(values).as_json().items()} | {
        "ci95": [round(x, 4) for x in estimate(values).as_json()["ci95"]]}


def summarise(by_policy: Mapping[str, Mapping[int, Curve]], threshold: float,
              x_max: float) -> dict[str, dict]:
    """Per policy: the ratios against uniform and oracle (when they ran), final accuracy and
    how many seeds reached the threshold."""
    out = {}
    for policy, curves in by_policy.items():
        entry = {"final_accuracy": _est([c[-1][1] for c in curves.values()]),
                 "aulc": _est([aulc(c, x_max) for c in curves.values()]),
                 "reached": sum(needed(c, threshold)[1] for c in curves.values()),
                 "seeds": len(curves)}
        if "uniform" in by_policy:
            r = compare(curves, by_policy["uniform"], threshold, x_max)
            entry |= {"examples_to_threshold_ratio": _est(r["examples"]),
                      "aulc_ratio": _est(r["aulc"]), "final_accuracy_ratio": _est(r["final"])}
        if "oracle" in by_policy:
            r = compare(curves, by_policy["oracle"], threshold, x_max)
            entry |= {"vs_oracle": _est(r["examples"]), "vs_oracle_aulc": _est(r["aulc"])}
        out[policy] = entry
    return out


# -- the command -----------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES))
    parser.add_argument("--students", nargs="+", default=list(STUDENTS))
    parser.add_argument("--levels", nargs="+", default=["skill-list"])
    parser.add_argument("--policies", nargs="+", default=list(POLICIES),
                        help="llm too when an endpoint is configured (see --plugin for others)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(8)),
                        help="seeds of the students other than sim (default 0-7)")
    parser.add_argument("--sim-seeds", type=int, default=30, help="seeds 0..N-1 of sim (default 30)")
    parser.add_argument("--iterations", type=int, help="override every profile's iterations")
    parser.add_argument("--eval-size", type=int,
                        help="val and test items per skill (default: the profile's, 100)")
    parser.add_argument("--workers", type=int,
                        help="runs at once: local worker processes (default 1), or the CPUs of"
                             " a local Ray (default: every core)")
    parser.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                        help="run on Ray: a local one, or the cluster at ADDRESS (auto,"
                             " HOST:PORT); needs the ray extra")
    parser.add_argument("--student-opt", action="append", default=[], metavar="KEY=VALUE",
                        help="a tiny-gpt option for every run, repeatable")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 4 policies, sim over 2 seeds, a tiny tiny-gpt over 1 seed "
                             "(uniform and oracle on prerequisites-v1, 2 iterations)")
    parser.add_argument("--out", help="folder for the history (OUT/teaching.duckdb), shards and "
                                      "checkpoints; runs completed there are reused (default: "
                                      "temporary)")
    parser.add_argument("--html", help="HTML report (default: OUT/teaching.html)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="a module or .py file registering tasks or policies, repeatable")
    args = parser.parse_args(argv)
    try:  # here first, to fail in one line before any run starts
        args.plugin = load_plugins(args.plugin)
    except CurriculabError as e:
        parser.error(str(e))
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.ray and args.workers is not None:
        parser.error("--workers applies to local workers or a local Ray; a cluster at --ray"
                     " ADDRESS runs as many cells as it has CPUs")
    args.out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="teaching-"))
    args.html = Path(args.html) if args.html else args.out / "teaching.html"
    args.student_opt = dict(_option(o) for o in args.student_opt)
    if args.quick:
        args.sim_seeds, args.seeds = min(args.sim_seeds, 2), args.seeds[:1]
    return args


def _option(pair: str) -> tuple[str, object]:
    key, _, value = pair.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def plan_grid(args: argparse.Namespace) -> list[tuple[tuple[str, str, str, str], list[RunConfig]]]:
    """Every (profile, student, level, policy) with its configs, one per seed. ``--quick``
    runs four policies on sim, and uniform and oracle with the real student on
    prerequisites-v1 for 2 iterations."""
    cells = []
    for student in args.students:
        seeds = list(range(args.sim_seeds)) if student == "sim" else args.seeds
        for profile in args.profiles:
            for level in args.levels:
                for policy in args.policies:
                    if args.quick and policy not in QUICK_POLICIES or args.quick and (
                            student != "sim" and (policy == "alp" or profile != "prerequisites-v1"
                                                  and protocol(profile)[2] is not None)):
                        continue
                    configs = configs_for(profile, student, level, policy, seeds, args)
                    if args.quick and student != "sim":
                        configs = [replace(c, iterations=2) for c in configs]
                    cells.append(((profile, student, level, policy), configs))
    return cells


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    cells = plan_grid(args)
    flat = [c for _, configs in cells for c in configs]
    timed: dict[str, list[float]] = {}
    args.out.mkdir(parents=True, exist_ok=True)
    history = History(args.out / "teaching.duckdb")
    if args.ray:  # a cluster: shards in each node's temp dir
        make_executor, shards = functools.partial(RayExecutor, args.ray), None
    elif args.ray is not None:
        make_executor, shards = functools.partial(RayExecutor, workers=args.workers), None
    else:
        make_executor = functools.partial(LocalExecutor, args.workers or 1)
        shards = str(args.out / "shards")
    by_student: dict[str, list[RunConfig]] = {}
    for config in flat:
        by_student.setdefault(config.student.id, []).append(config)
    results_curves: dict[str, Curve] = {}
    kept = Kept(make_executor)  # one set of workers for every student's sweep
    for student, configs in by_student.items():  # a sweep per student, timed (reused runs too)
        t0 = time.perf_counter()
        try:
            got = run_configs(configs, history, kept, name=f"teaching-{student}",
                              shards=shards, progress=sys.stderr.isatty())
        except CurriculabError as e:  # a bad --ray (exit 2), or runs that did not complete
            kept.shutdown(wait=False)
            print(f"bench/teaching.py: {e}", file=sys.stderr)
            raise SystemExit(2 if isinstance(e, ConfigError) else 1) from None
        for config, curve in zip(configs, got):
            results_curves[cell_key(config)] = curve
        timed[student] = [time.perf_counter() - t0, len(configs)]
        print(f"{student}: {len(configs)} runs in {timed[student][0]:.0f}s", file=sys.stderr,
              flush=True)
    kept.shutdown()
    curves: dict[tuple, dict[str, dict[int, Curve]]] = {}
    for (profile, student, level, policy), configs in cells:
        curves.setdefault((profile, student, level), {})[policy] = {
            c.seed: results_curves[cell_key(c)] for c in configs}
    results: dict[str, dict] = {}
    for (profile, student, level), by_policy in curves.items():
        budget, iterations, threshold = protocol(profile)
        x_max = budget * (args.iterations or iterations)
        if student != "sim" and args.quick:
            x_max = budget * 2
        if threshold is None:  # no ground truth: reach what uniform (else the best) ends at
            finals = by_policy.get("uniform") or max(by_policy.values(), key=lambda c: sum(
                v[-1][1] for v in c.values()))
            threshold = round(sum(c[-1][1] for c in finals.values()) / len(finals), 4)
        entry = results.setdefault(profile, {"threshold": threshold, "students": {}})
        per = entry["students"].setdefault(student, {"levels": {}})
        per["levels"][level] = {"policies": summarise(by_policy, threshold, x_max)}
        if level == args.levels[0]:
            per["level"], per["policies"] = level, per["levels"][level]["policies"]
    report_html(results, curves, args.html)
    for student in args.students:
        for level in args.levels:
            print(f"\n{student}, {level}: examples to threshold / uniform's\n"
                  + table(results, student, level), file=sys.stderr)
    wall = time.perf_counter() - start
    print(json.dumps({"out": str(args.out), "html": str(args.html), "wall_seconds": round(wall, 1),
                      "load_average": [round(x, 2) for x in os.getloadavg()],
                      "seconds_per_run": {s: round(t / max(n, 1), 3) for s, (t, n) in timed.items()},
                      "runs": {s: n for s, (_, n) in timed.items()},
                      "profiles": results}, indent=1))


if __name__ == "__main__":
    main()
