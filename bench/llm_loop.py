"""Benchmark: the whole loop with an LLM teacher against the scripted chat server, as numbers.

    python bench/llm_loop.py                 # all three scenarios
    python bench/llm_loop.py --only faults   # or: levels, kill

Three scenarios, each a real ``curriculab run --teacher llm`` on the small arith-v0 set-up
of the loop tests (``tests/fakes/llm_run.py``):

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
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scripted server lives in tests/fakes

from envs.environment import LEVELS
from envs.history import History
from envs.tasks.task import make
from tests.fakes.chat_server import FAULTS, Faults, ScriptedServer
from tests.fakes.llm_run import (
    SKILLS,
    engine_calls_landed,
    kill_when_landed,
    spawn_run,
    write_config,
)
from tests.fakes.teacher import ScriptedTeacher
from ui.cli import main


def _run(where: Path, server: ScriptedServer, *flags: str, budget: int = 28) -> History:
    db = where / "h.duckdb"
    config = write_config(where, "engine_options = { batch_size = 4 }", budget)
    with contextlib.redirect_stdout(sys.stderr):
        code = main(["run", "--config", str(config), "--teacher", "llm", "--base-url",
                     server.url, "--quiet", "--db", str(db), *flags])
    if code != 0:
        raise SystemExit(f"curriculab run exited with {code}")
    return History(db)


def levels(where: Path) -> dict:
    task = make("arith-v0", eval_size=4, skills=SKILLS)
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
    task = make("arith-v0", eval_size=4, skills=SKILLS)
    teacher = ScriptedTeacher(task, wrong_rate=0.2, junk_rate=0.1)
    with ScriptedServer(teacher, faults=Faults(rate=0.3, kinds=FAULTS, seed=7),
                        timeout_delay=1.0) as server:
        history = _run(where, server, "--iterations", "3", "--llm-opt", "timeout=0.5", budget=96)
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


def kill(where: Path) -> dict:
    task = make("arith-v0", eval_size=4, skills=SKILLS)
    db = where / "h.duckdb"
    with ScriptedServer(ScriptedTeacher(task), latency=0.25) as server:
        child = spawn_run(where, server.url, db)
        history = History(db)
        kill_when_landed(child, history, 5)
        run_id = history.scalar("SELECT run_id FROM runs")
        before = history.scalar("SELECT count(*) FROM llm_calls WHERE status = 'ok'")
        engine_before = engine_calls_landed(history)
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
