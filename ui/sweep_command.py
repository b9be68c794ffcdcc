"""``curriculab sweep SPEC``: many runs from one spec, on local workers or a Ray cluster."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from students.errors import ConfigError


def add_parser(sub: argparse._SubParsersAction, db: dict, positive) -> None:
    sweep = sub.add_parser("sweep", help="run a sweep spec: axes crossed, each cell a run")
    sweep.add_argument("spec", help="a .toml or .yaml spec: base, axes, runs")
    sweep.add_argument("--workers", type=positive,
                       help="cells at once: local worker processes (default 2), or the CPUs"
                            " of a local Ray (default: every core)")
    sweep.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                       help="run cells on Ray: a local one, or the cluster at ADDRESS"
                            " (auto, HOST:PORT); needs the ray extra")
    sweep.add_argument("--shards", metavar="DIR",
                       help="where each worker keeps its cells' shards (default: beside the"
                            " history locally, the temp dir on Ray nodes)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument("--db", **db)
    sweep.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from agents.sweep import LocalExecutor, RayExecutor, load_spec, run_sweep
    from envs.history import History
    from ui.tables import pct, table

    spec = load_spec(args.spec)  # a bad spec fails here, before anything is recorded
    history = History(args.db)
    if args.ray:
        if args.workers is not None:
            raise ConfigError("--workers applies to local workers or a local Ray; a cluster"
                              " at --ray ADDRESS runs as many cells as it has CPUs")
        executor, shards = RayExecutor(args.ray), args.shards
    elif args.ray is not None:
        executor, shards = RayExecutor(workers=args.workers), args.shards
    else:
        executor = LocalExecutor(args.workers or 2)
        shards = args.shards or str(Path(args.db).resolve().with_suffix(".shards"))
    result = run_sweep(spec, history, executor, shards=shards, progress=not args.quiet)
    finals = dict(history.rows(
        "SELECT run_id, test_mean FROM iterations i WHERE list_contains(?, run_id)"
        " QUALIFY iteration = max(iteration) OVER (PARTITION BY run_id)", [result.run_ids]))
    axes = list(dict.fromkeys(k for c in result.cells for k in c.axes))
    rows = [[c.run_id, *(json.dumps(c.axes.get(k)) if not isinstance(c.axes.get(k), str)
                         else c.axes.get(k) for k in axes),
             c.status, c.attempts, pct(finals.get(c.run_id)), c.error or ""]
            for c in result.cells]
    print(table(["run", *axes, "status", "attempts", "final test", "last error"], rows))
    again = f", {result.skipped} done before" if result.skipped else ""
    print(f"sweep {result.sweep_id}: {result.status}, {len(result.cells)} cells{again},"
          f" {result.seconds:.1f}s on {executor.name}")
    if result.failed:
        print(f"{len(result.failed)} cell(s) not completed: run the same command again to"
              " retry them (each resumes from its last completed iteration)")
    print(f"compare: curriculab compare {result.sweep_id} --db {args.db}")
    return 0 if result.status == "completed" else 1
