"""Benchmark: one 12-cell sweep (3 policies x 4 seeds, tiny student) run every way, side by side.

Parts (``--parts``, default all, in this order):

- ``serial``: the 12 runs one after another with ``curriculab run`` (one process each);
- ``sweep1``: the same spec with ``curriculab sweep --workers 1`` (the same one worker);
- ``local``: ``curriculab sweep --workers W``;
- ``ray``: ``curriculab sweep --ray --workers W`` (a local Ray the command starts);
- ``cluster``: a two-node Ray cluster on this machine (``ray start --head`` and a second
  ``ray start --address`` with its own temp dir, W/2 CPUs each), ``curriculab sweep --ray
  ADDRESS``, then ``ray stop``;
- ``kill``: ``curriculab sweep --workers W`` SIGKILLed once ``--kill-after`` cells are merged
  and the rest have started, then the same command again.

Prints JSON: wall seconds of each part, the sweep's overhead against ``serial`` (equal
workers: one), whether every way gives the same per-run numbers (every iteration's val and
test mean, examples used and per-skill scores, by cell), row counts per table against
``local``, and, for ``kill``, each cell's attempts and the iteration its second attempt
resumed after against the last iteration its shard held when the driver died. Load averages
are printed before and after each part (the machine is shared).

    nice -n 10 python bench/sweep.py --out /tmp/sweep-bench
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEC = """
name = "bench"
[base]
iterations = 3
[base.task]
id = "arith-v0"
options = {{ skills = ["add", "max", "len"], eval_size = 20 }}
[base.teacher]
budget = 120
[base.student]
options = {{ d_model = 32, layers = 1, heads = 2, epochs = 1, threads = 1 }}
[axes]
"teacher.policy" = ["uniform", "weakest", "alp"]
seed = [0, 1, 2, 3]
"""
TABLES = ("runs", "iterations", "skill_scores", "plans", "allocations", "examples", "answers",
          "yields")


def curriculab() -> str:
    return str(Path(sys.executable).with_name("curriculab"))


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0


def numbers(db: Path) -> dict[str, object]:
    """Per cell (its axis values): every iteration's numbers and per-skill scores."""
    from envs.history import History

    h = History(db)
    rows = h.rows("""
        SELECT r.policy, r.seed, i.iteration, i.examples_used, i.val_mean, i.test_mean
        FROM iterations i JOIN runs r USING (run_id) ORDER BY r.policy, r.seed, i.iteration""")
    skills = h.rows("""
        SELECT r.policy, r.seed, s.iteration, s.split, s.skill, s.correct
        FROM skill_scores s JOIN runs r USING (run_id)
        ORDER BY r.policy, r.seed, s.iteration, s.split, s.skill""")
    return {"iterations": [list(r) for r in rows], "skills": [list(r) for r in skills]}


def counts(db: Path) -> dict[str, int]:
    from envs.history import History

    h = History(db)
    return {t: h.scalar(f"SELECT count(*) FROM {t}") for t in TABLES}


def serial(out: Path, spec: Path) -> tuple[float, Path]:
    """The 12 cells' configs, each run by its own `curriculab run --config`."""
    from agents.sweep import load_spec

    db = out / "serial.duckdb"
    configs = out / "configs"
    configs.mkdir(exist_ok=True)
    wall = 0.0
    for cell in load_spec(spec).cells():
        path = configs / f"{cell.seq:02d}.toml"
        path.write_text(cell.config.to_toml())
        wall += timed([curriculab(), "run", "--config", str(path), "--quiet", "--db", str(db),
                       "--checkpoints", str(out / "serial-ckpt")])
    return wall, db


def sweep(out: Path, spec: Path, name: str, *flags: str) -> tuple[float, Path]:
    db = out / f"{name}.duckdb"
    return timed([curriculab(), "sweep", str(spec), "--quiet", "--db", str(db), *flags]), db


def cluster(out: Path, spec: Path, workers: int, port: int) -> tuple[float, Path, dict]:
    ray = str(Path(sys.executable).with_name("ray"))
    head_tmp, node_tmp = out / "ray-head", out / "ray-node"
    half = max(1, workers // 2)
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    subprocess.run([ray, "start", "--head", f"--port={port}", f"--num-cpus={half}",
                    f"--temp-dir={head_tmp}", "--include-dashboard=false"], check=True,
                   env=env, stdout=subprocess.DEVNULL)
    try:
        subprocess.run([ray, "start", f"--address=127.0.0.1:{port}", f"--num-cpus={half}",
                        f"--temp-dir={node_tmp}"], check=True, env=env, stdout=subprocess.DEVNULL)
        import ray as ray_module

        ray_module.init(address=f"127.0.0.1:{port}", log_to_driver=False)
        nodes = [n["NodeID"] for n in ray_module.nodes() if n["Alive"]]
        ray_module.shutdown()
        wall, db = 0.0, out / "cluster.duckdb"
        t0 = time.perf_counter()
        subprocess.run([curriculab(), "sweep", str(spec), "--quiet", "--db", str(db), "--ray",
                        f"127.0.0.1:{port}"], check=True, env=env, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        from envs.history import History

        workers_seen = sorted({w for (w,) in History(db).rows(
            "SELECT DISTINCT worker FROM sweep_cells")})
        return wall, db, {"nodes": len(nodes), "worker_processes": len(workers_seen)}
    finally:
        subprocess.run([ray, "stop"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill(out: Path, spec: Path, workers: int, after: int) -> tuple[float, Path, dict]:
    """SIGKILL the driver once ``after`` cells are merged, then rerun the same command."""
    import pandas as pd

    from agents.sweep import load_spec
    from envs.history import History

    db = out / "kill.duckdb"
    shards = out / "kill.shards"
    sweep_id = load_spec(spec).sweep_id
    cmd = [curriculab(), "sweep", str(spec), "--quiet", "--db", str(db), "--workers",
           str(workers), "--shards", str(shards)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    h = History(db)
    while proc.poll() is None:
        time.sleep(0.5)
        if not db.exists():
            continue
        try:
            done = h.scalar("SELECT count(*) FROM sweep_cells WHERE status = 'completed'")
        except Exception:  # the file is being created
            continue
        # wait until at least one unmerged shard has a completed iteration past warm-up
        started = [p for p in (shards / sweep_id).glob("*.duckdb")]
        if done >= after and any(_last(p) not in (None, 0) for p in started
                                 if not _merged(h, p.stem)):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    killed_at = time.perf_counter() - t0
    time.sleep(1.0)  # the workers die with the driver (PR_SET_PDEATHSIG)
    before = {p.stem: _last(p) for p in (shards / sweep_id).glob("*.duckdb")}
    merged_before = h.scalar("SELECT count(*) FROM sweep_cells WHERE status = 'completed'")
    wall2 = timed(cmd)
    cells = h.frame("SELECT run_id, status, attempts, resumed_after FROM sweep_cells"
                    " ORDER BY seq")
    resumed = []
    for r in cells.itertuples():
        if r.run_id in before:
            resumed.append({"run_id": r.run_id, "shard_last_iteration_at_kill": before[r.run_id],
                            "resumed_after": None if pd.isna(r.resumed_after)
                            else int(r.resumed_after), "attempts": int(r.attempts)})
    ok = all(x["resumed_after"] == x["shard_last_iteration_at_kill"] for x in resumed)
    return killed_at + wall2, db, {
        "killed_after_s": round(killed_at, 1), "merged_before_kill": int(merged_before),
        "cells_resumed": resumed, "each_resumed_exactly_after_its_last_iteration": ok,
        "completed": int((cells.status == "completed").sum())}


def _last(shard: Path) -> int | None:
    import duckdb

    try:
        con = duckdb.connect(str(shard), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("SELECT max(iteration) FROM iterations").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def _merged(h, run_id: str) -> bool:
    return bool(h.scalar("SELECT count(*) FROM sweep_cells WHERE run_id = ? AND status ="
                         " 'completed'", [run_id]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True, help="a fresh folder for the histories")
    p.add_argument("--parts", nargs="+", default=["serial", "sweep1", "local", "ray", "cluster",
                                                  "kill"])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--kill-after", type=int, default=3)
    p.add_argument("--port", type=int, default=6391)
    args = p.parse_args(argv)
    out = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    spec = out / "spec.toml"
    spec.write_text(SPEC.format())
    result: dict[str, object] = {"workers": args.workers, "cpus": os.cpu_count(), "parts": {}}
    dbs: dict[str, Path] = {}
    for part in args.parts:
        before = load()
        extra: dict = {}
        if part == "serial":
            wall, db = serial(out, spec)
        elif part == "sweep1":
            wall, db = sweep(out, spec, part, "--workers", "1")
        elif part == "local":
            wall, db = sweep(out, spec, part, "--workers", str(args.workers))
        elif part == "ray":
            wall, db = sweep(out, spec, part, "--ray", "--workers", str(args.workers))
        elif part == "cluster":
            wall, db, extra = cluster(out, spec, args.workers, args.port)
        elif part == "kill":
            wall, db, extra = kill(out, spec, args.workers, args.kill_after)
        else:
            raise SystemExit(f"unknown part {part!r}")
        dbs[part] = db
        result["parts"][part] = {"wall_s": round(wall, 1), "load_before": before,
                                 "load_after": load(), **extra}
        print(json.dumps({part: result["parts"][part]}), file=sys.stderr, flush=True)
    reference = next(iter(dbs))
    ref_numbers, ref_counts = numbers(dbs[reference]), counts(dbs[reference])
    result["same_numbers_as"] = reference
    result["same_numbers"] = {k: numbers(db) == ref_numbers for k, db in dbs.items()}
    result["row_counts"] = {k: counts(db) for k, db in dbs.items()}
    result["same_row_counts"] = {k: counts(db) == ref_counts for k, db in dbs.items()}
    parts = result["parts"]
    if "serial" in parts and "sweep1" in parts:
        s, w = parts["serial"]["wall_s"], parts["sweep1"]["wall_s"]
        result["sweep_overhead_vs_serial_one_worker"] = round((w - s) / s, 3)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
