"""Benchmark: the whole loop with an LLM teacher against the scripted chat server, as numbers.

    python bench/llm_loop.py                 # all three scenarios
    python bench/llm_loop.py --only faults   # or: levels, kill

Three scenarios, each a real ``curriculab run --teacher llm`` on a small arith-v0 set-up:

- ``levels``: every environment level for 2 iterations; the status and the plans' reasoning
  as recorded in the history;
- ``faults``: 3 iterations with 30% of the calls faulted (429, 500, timeouts, malformed JSON,
  truncated output, schema violations, empty content) and a teacher that writes 20% wrong
  answers and 10% junk prompts; faults seen by the server against errors in the history, and
  the rejected examples by reason;
- ``kill``: a run in a child process killed with SIGKILL in the middle of generation, then
  resumed; completed calls before the kill, calls replayed from the cache, and calls with the
  same cache key completed twice (should be 0).

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scripted server lives in tests/fakes

from envs.environment import LEVELS  # noqa: E402
from envs.history import History  # noqa: E402
from envs.task import make  # noqa: E402
from students.errors import HistoryError  # noqa: E402
from tests.fakes.chat_server import FAULTS, Faults, ScriptedServer  # noqa: E402
from tests.fakes.teacher import ScriptedTeacher  # noqa: E402
from ui.cli import main  # noqa: E402

CONFIG = """
checkpoint_dir = "{dir}/ck"
[task]
id = "arith-v0"
options = {{ eval_size = 8, skills = ["add", "sub", "mul", "cmp"], seed_counts = {{ add = 40 }} }}
[student]
id = "tiny-gpt"
options = {{ d_model = 32, layers = 1, heads = 2, epochs = 1, max_new_tokens = 6 }}
[teacher]
budget = 64
engine_options = {{ batch_size = 4 }}
[llm]
model = "scripted"
backoff = 0.01
"""


def _config(where: Path) -> Path:
    path = where / "run.toml"
    path.write_text(CONFIG.format(dir=where))
    return path


def _run(where: Path, server: ScriptedServer, *flags: str) -> History:
    db = where / "h.duckdb"
    with contextlib.redirect_stdout(sys.stderr):
        code = main(["run", "--config", str(_config(where)), "--teacher", "llm", "--base-url",
                     server.url, "--quiet", "--db", str(db), *flags])
    if code != 0:
        raise SystemExit(f"curriculab run exited with {code}")
    return History(db)


def levels(where: Path) -> dict:
    task = make("arith-v0", eval_size=8, skills=["add", "sub", "mul", "cmp"])
    out = {}
    for level in LEVELS.ids():
        (where / level).mkdir()
        with ScriptedServer(ScriptedTeacher(task)) as server:
            history = _run(where / level, server, "--level", level, "--iterations", "2")
        out[level] = {
            "status": history.scalar("SELECT status FROM runs"),
            "iterations": history.scalar("SELECT max(iteration) FROM iterations"),
            "reasoning": [r[0] for r in history.rows("SELECT reasoning FROM plans ORDER BY iteration")],
            "llm_examples_kept": history.scalar(
                "SELECT count(*) FROM examples WHERE kept AND engine = 'llm'"),
            "calls_by_role": dict(history.rows(
                "SELECT role, count(*) FROM llm_calls GROUP BY 1 ORDER BY 1")),
        }
    return out


def faults(where: Path) -> dict:
    task = make("arith-v0", eval_size=8, skills=["add", "sub", "mul", "cmp"])
    teacher = ScriptedTeacher(task, wrong_rate=0.2, junk_rate=0.1)
    with ScriptedServer(teacher, faults=Faults(rate=0.3, kinds=FAULTS, seed=7),
                        timeout_delay=1.0) as server:
        history = _run(where, server, "--iterations", "3", "--llm-opt", "timeout=0.5")
        seen = collections.Counter(server.outcomes())
    calls = sum(seen.values())
    return {
        "status": history.scalar("SELECT status FROM runs"),
        "iterations": history.scalar("SELECT max(iteration) FROM iterations"),
        "server_requests": calls,
        "server_faults": {k: n for k, n in sorted(seen.items()) if k != "ok"},
        "fault_rate": round(sum(n for k, n in seen.items() if k != "ok") / calls, 3),
        "history_errors": dict(history.rows(
            "SELECT error_kind, count(*) FROM llm_calls WHERE status = 'error' GROUP BY 1 ORDER BY 1")),
        "history_calls_sent": history.scalar("SELECT count(*) FROM llm_calls WHERE NOT cache_hit"),
        "errors_without_message": history.scalar(
            "SELECT count(*) FROM llm_calls WHERE status = 'error' AND coalesce(error, '') = ''"),
        "llm_rejects_by_reason": dict(history.rows(
            "SELECT split_part(reason, ':', 1), count(*) FROM llm_rejects GROUP BY 1 ORDER BY 2 DESC")),
        "teacher_wrong_answers": history.scalar("SELECT sum(wrong) FROM teacher_checks"),
        "examples_rejected_by_reason": dict(history.rows(
            "SELECT split_part(reason, ':', 1), count(*) FROM examples WHERE NOT kept"
            " GROUP BY 1 ORDER BY 2 DESC")),
        "examples_kept": history.scalar("SELECT count(*) FROM examples WHERE kept"),
    }


def _landed(history: History) -> int:
    if not history.path.exists():
        return 0
    try:
        return history.scalar("SELECT count(*) FROM llm_calls WHERE status = 'ok' AND role = 'engine'")
    except HistoryError:  # the child has not created the tables yet
        return 0


def kill(where: Path) -> dict:
    task = make("arith-v0", eval_size=8, skills=["add", "sub", "mul", "cmp"])
    db = where / "h.duckdb"
    with ScriptedServer(ScriptedTeacher(task), latency=0.25) as server:
        cmd = [sys.executable, "-m", "ui.cli", "run", "--config", str(_config(where)),
               "--teacher", "llm", "--base-url", server.url, "--quiet", "--db", str(db),
               "--iterations", "2", "--llm-opt", "concurrency=1"]
        child = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        history = History(db)
        try:
            while _landed(history) < 5 and child.poll() is None:
                time.sleep(0.05)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        run_id = history.scalar("SELECT run_id FROM runs")
        before = history.scalar("SELECT count(*) FROM llm_calls WHERE status = 'ok'")
        engine_before = _landed(history)
        finished = history.scalar("SELECT count(*) FROM iterations")
        with contextlib.redirect_stdout(sys.stderr):
            code = main(["run", "--resume", run_id, "--quiet", "--db", str(db)])
        wanted = history.scalar("SELECT count(DISTINCT cache_key) FROM llm_calls"
                                " WHERE role = 'engine' AND iteration = 1")
    return {
        "resume_exit_code": code,
        "status": history.scalar("SELECT status FROM runs"),
        "iteration_rows_before_kill": finished,  # iteration 0 (the first evaluation) only
        "engine_calls_of_iteration_1": wanted,
        "engine_calls_done_before_kill": engine_before,
        "ok_calls_before_kill": before,
        "replayed_from_cache": history.scalar("SELECT count(*) FROM llm_calls WHERE cache_hit"),
        "calls_completed_twice": len(history.rows(
            "SELECT cache_key FROM llm_calls WHERE status = 'ok' AND NOT cache_hit"
            " GROUP BY 1 HAVING count(*) > 1")),
        "server_requests": len(server.outcomes()),
    }


SCENARIOS = {"levels": levels, "faults": faults, "kill": kill}


def main_(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SCENARIOS), nargs="*", default=list(SCENARIOS))
    args = parser.parse_args(argv)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only:
            (Path(tmp) / name).mkdir()
            started = time.perf_counter()
            out[name] = SCENARIOS[name](Path(tmp) / name)
            out[name]["wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main_()
