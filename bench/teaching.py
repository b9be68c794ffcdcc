"""Teaching benchmark: every policy x environment level x task, over several seeds.

Prints JSON per (task, level, policy): mean and std of the final mean test accuracy and
``examples_to_match_uniform_ratio`` — the fraction of the uniform policy's examples (same task,
level and seed) this policy needed to first reach uniform's final mean test accuracy, linear
between iterations (null when some seed never reached it; uniform itself gets 1.0 or less, less
when its own curve passed its final value earlier). Writes an HTML report with plotly: mean test
accuracy against examples used, one line per policy with a band over seeds, one chart per task
and level. Runs are real runs (``agents.runner.start_run``), each in its own history file, run
by ``--workers`` processes at once; with ``--out DIR`` completed runs are kept and reused.

    python bench/teaching.py                      # the full grid, 3 seeds, 2 workers
    python bench/teaching.py --quick              # a smoke test: tiny student and budget, 1 seed
    python bench/teaching.py --tasks arith-v0 --levels skill-list --policies uniform alp
    python bench/teaching.py --quick --plugin my_tasks --tasks lists-v0   # a task of your own
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.config import RunConfig, StudentConfig, TaskConfig, TeacherConfig  # noqa: E402
from students.errors import CurriculabError  # noqa: E402
from students.plugins import load_plugins  # noqa: E402
from envs.level import Level  # noqa: E402

TASKS = ("arith-v0", "strings-v0")
LEVELS = tuple(level.value for level in Level)  # as text: run configs hold the level as text
POLICIES = ("uniform", "weakest", "alp", "sec", "frontier", "explore-exploit")
QUICK_STUDENT = {"d_model": 32, "layers": 1, "heads": 2, "epochs": 1}
# Levels whose runs are the same run for a policy that reads nothing the level changes:
# uniform ignores the observation, weakest reads only per-skill accuracy (which Skill-Tree
# shows as Skill-List does) and names no subskills. Their run is made once and reported at
# each of these levels; ``--no-share`` runs them all.
SAME_RUN = {"uniform": {Level.OPEN_ENDED: Level.SKILL_LIST.value,
                        Level.SKILL_TREE: Level.SKILL_LIST.value},
            "weakest": {Level.SKILL_TREE: Level.SKILL_LIST.value}}
Curve = list[tuple[int, float]]


def run_curve(config: RunConfig, db: Path) -> Curve:
    """One real run recorded in ``db``; its (examples used, mean test accuracy) per iteration.
    A run already completed in ``db`` is read back instead of run again."""
    from agents.runner import start_run
    from envs.history import History
    from envs.history.queries import iterations
    from envs.history.summaries import runs

    history = History(db)
    done = runs(history) if db.exists() else None
    if done is not None and not done.empty and done.status.iloc[0] == "completed":
        run_id = done.run_id.iloc[0]
    else:
        with contextlib.redirect_stdout(sys.stderr):  # the run's lines; stdout carries the JSON
            run_id = start_run(config, history, progress=False).run_id
    its = iterations(history, run_id)
    return [(int(r.examples_used), float(r.test_mean)) for r in its.itertuples()]


def examples_to_reach(curve: Curve, target: float) -> float | None:
    """Examples used when the curve first reaches ``target`` (linear between iterations)."""
    for (x0, y0), (x1, y1) in zip(curve, curve[1:]):
        if y0 >= target:
            return float(x0)
        if y1 >= target:
            return x0 + (x1 - x0) * (target - y0) / (y1 - y0)
    return float(curve[0][0]) if curve and curve[0][1] >= target else None


def summarise(curves: dict[str, dict[int, Curve]], baseline: str = "uniform") -> dict[str, dict]:
    """Per policy: final accuracy mean/std and the examples ratio against the baseline."""
    out = {}
    for policy, by_seed in curves.items():
        by_seed = dict(sorted(by_seed.items()))
        finals = [c[-1][1] for c in by_seed.values()]
        ratios = []
        for seed, curve in by_seed.items():
            base = curves.get(baseline, {}).get(seed)
            if base is None:
                continue
            if policy == baseline:  # by definition, whatever the curve did on the way
                ratios.append(1.0)
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


def grid(args: argparse.Namespace) -> list[tuple[str, str, str, int, RunConfig]]:
    """Every (task, level, policy, seed) with its config; seeds outermost, so that a partial
    benchmark already compares every policy."""
    student = {"threads": 1, **(QUICK_STUDENT if args.quick else {}), **args.student_opt}
    runs = []
    for seed in args.seeds:
        for task in args.tasks:
            for level in args.levels:
                for policy in args.policies:
                    config = RunConfig(task=TaskConfig(id=task), seed=seed, plugins=args.plugin,
                                       student=StudentConfig(options=student),
                                       checkpoint_dir=str(args.out / "ckpt"))
                    teacher = TeacherConfig(policy=policy, level=level,
                                            **({"budget": args.budget} if args.budget else {}))
                    config = replace(config, teacher=teacher,
                                     **({"iterations": args.iterations} if args.iterations else {}))
                    runs.append((task, level, policy, seed, config))
    return runs


def run_grid(args: argparse.Namespace) -> dict[tuple[str, str], dict[str, dict[int, Curve]]]:
    """All runs, ``args.workers`` at a time; curves by (task, level), policy and seed."""
    curves: dict[tuple[str, str], dict[str, dict[int, Curve]]] = {}
    shared: dict[tuple, list[tuple[str, str, str, int]]] = {}
    configs = {}
    for task, level, policy, seed, cfg in grid(args):
        run_level = level if args.no_share else SAME_RUN.get(policy, {}).get(level, level)
        key = (task, run_level, policy, seed)
        shared.setdefault(key, []).append((task, level, policy, seed))
        configs[key] = replace(cfg, teacher=replace(cfg.teacher, level=run_level))
    (args.out / "runs").mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # a fresh interpreter per worker, no forked torch
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=context) as pool:
        futures = {pool.submit(run_curve, cfg, args.out / "runs" / "{}.{}.{}.{}.duckdb".format(*key)):
                   key for key, cfg in configs.items()}
        for k, future in enumerate(as_completed(futures), 1):
            task, run_level, policy, seed = futures[future]
            curve = future.result()
            for _, level, _, _ in shared[futures[future]]:
                curves.setdefault((task, level), {}).setdefault(policy, {})[seed] = curve
            print(f"[{k}/{len(configs)} {time.perf_counter() - start:.0f}s] {task} {run_level}"
                  f" {policy} seed {seed}: test {curve[0][1]:.3f} -> {curve[-1][1]:.3f} with"
                  f" {curve[-1][0]} examples", file=sys.stderr, flush=True)
    return curves


def report_html(results: list[dict], path: Path) -> None:
    """Mean test accuracy against examples used, a band of one std over seeds, per task and
    level; one self-contained HTML file (plotly.js embedded once, so it opens offline)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    parts, first = [], True
    for task, level in dict.fromkeys((r["task"], r["level"]) for r in results):
        fig = go.Figure()
        rows = [r for r in results if r["task"] == task and r["level"] == level]
        for k, r in enumerate(rows):
            xs, ys, sd = _mean_curve(list(r["curves"].values()))
            color = _COLORS[k % len(_COLORS)]
            fig.add_trace(go.Scatter(x=xs + xs[::-1], y=[y + s for y, s in zip(ys, sd)] +
                                     [y - s for y, s in zip(ys, sd)][::-1], fill="toself",
                                     fillcolor=color, opacity=0.15, line={"width": 0},
                                     hoverinfo="skip", showlegend=False))
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=r["policy"],
                                     line={"color": color}))
        fig.update_layout(title=f"{task} — {level}: mean test accuracy (band: ±1 std over seeds)",
                          xaxis_title="examples used", yaxis_title="mean test accuracy",
                          template="plotly_white", height=420)
        parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=first))
        first = False
    tables = "".join(f"<h3>{task}</h3>{_html_table(results, task)}"
                     for task in dict.fromkeys(r["task"] for r in results))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<html><head><meta charset='utf-8'><title>Curriculab teaching benchmark"
                    "</title></head><body><h1>Teaching benchmark</h1>" + tables
                    + "".join(parts) + "</body></html>")


_COLORS = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692"]


def _mean_curve(curves: list[Curve]) -> tuple[list[float], list[float], list[float]]:
    """Per iteration: mean examples used, mean and std of test accuracy over seeds."""
    n = min(len(c) for c in curves)
    xs = [statistics.mean(c[i][0] for c in curves) for i in range(n)]
    ys = [statistics.mean(c[i][1] for c in curves) for i in range(n)]
    sd = [statistics.pstdev([c[i][1] for c in curves]) for i in range(n)]
    return xs, ys, sd


def tables(results: list[dict]) -> str:
    """Per task, final mean test accuracy (mean ± std over seeds), policies x levels, and the
    examples ratio against uniform, as Markdown."""
    out = []
    for task in dict.fromkeys(r["task"] for r in results):
        rows = [r for r in results if r["task"] == task]
        levels = list(dict.fromkeys(r["level"] for r in rows))
        cell = {(r["policy"], r["level"]): r for r in rows}
        head = "| policy | " + " | ".join(levels) + " |"
        lines = [f"**{task}**: final mean test accuracy, mean ± std over seeds "
                 "(examples to reach uniform's final, as a fraction of uniform's)", "", head,
                 "|" + "---|" * (len(levels) + 1)]
        for policy in dict.fromkeys(r["policy"] for r in rows):
            cells = []
            for level in levels:
                r = cell.get((policy, level))
                ratio = "" if r is None else r["examples_to_match_uniform_ratio"]
                cells.append("-" if r is None else f"{r['final_test_mean']:.3f} ± "
                             f"{r['final_test_std']:.3f} ({'never' if ratio is None else f'{ratio:.2f}'})")
            lines.append(f"| {policy} | " + " | ".join(cells) + " |")
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _html_table(results: list[dict], task: str) -> str:
    md = tables([r for r in results if r["task"] == task]).splitlines()
    rows = [line.strip("|").split("|") for line in md[2:] if not line.startswith("|---")]
    html = "".join("<tr>" + "".join(f"<td>{c.strip()}</td>" for c in row) + "</tr>" for row in rows)
    return f"<p>{md[0]}</p><table border='1' cellpadding='4'>{html}</table>"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--levels", nargs="+", default=list(LEVELS))
    parser.add_argument("--policies", nargs="+", default=list(POLICIES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--iterations", type=int)
    parser.add_argument("--budget", type=int)
    parser.add_argument("--workers", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--student-opt", action="append", default=[], metavar="KEY=VALUE",
                        help="a tiny-gpt option for every run, repeatable")
    parser.add_argument("--no-share", action="store_true",
                        help="run uniform and weakest at every level even where the run is the same")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 1 seed, 2 iterations, budget 60, a tiny student")
    parser.add_argument("--out", help="folder for the runs' histories and checkpoints; "
                                      "completed runs found there are reused (default: temporary)")
    parser.add_argument("--html", help="HTML report (default: OUT/teaching.html)")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="a module or .py file registering your tasks or policies, repeatable "
                             "(installed entry points load by themselves)")
    args = parser.parse_args(argv)
    try:  # here first, to fail in one line before any worker starts; each run loads them too
        args.plugin = load_plugins(args.plugin)
    except CurriculabError as e:
        parser.error(str(e))
    if args.quick:
        args.seeds, args.iterations = args.seeds[:1], args.iterations or 2
        args.budget = args.budget or 60
    args.out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="teaching-"))
    args.html = Path(args.html) if args.html else args.out / "teaching.html"
    args.student_opt = dict(_option(o) for o in args.student_opt)
    return args


def _option(pair: str) -> tuple[str, object]:
    key, _, value = pair.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = []
    for (task, level), by_policy in sorted(run_grid(args).items(), key=lambda kv: (
            args.tasks.index(kv[0][0]), args.levels.index(kv[0][1]))):
        ordered = {p: by_policy[p] for p in args.policies if p in by_policy}
        for policy, stats in summarise(ordered).items():
            results.append({"task": task, "level": level, "policy": policy, **stats})
    report_html(results, args.html)
    print(tables(results), file=sys.stderr)
    print(json.dumps({"history": str(args.out / "runs"), "html": str(args.html),
                      "results": results}, indent=2))


if __name__ == "__main__":
    main()
