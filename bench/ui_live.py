"""Live view against a headless run in another process: no lock errors, and every completed
iteration shows up within 5 seconds.

The app is served here; ``curriculab run`` runs in a child process writing the same history.
The app's Live endpoint is polled every second through ``gradio_client`` (as the page's timer
does). After ``--seconds`` the run is stopped from the app (a stop request the child polls for).
Prints one JSON object: iterations seen, latency from each iteration's end to its first
appearance (max and p95), polls and poll errors, the child's exit code and any lock errors.

    python bench/ui_live.py                 # 3 minutes
    python bench/ui_live.py --seconds 30    # a quick look
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from envs.history.clock import utcnow  # noqa: E402
from envs.history.database import History  # noqa: E402
from ui.app import build_app  # noqa: E402
from ui.launcher import Launcher  # noqa: E402

LIMIT_S = 5.0
# A run of many short iterations: a small student on few eval items, one CPU thread.
CONFIG = {
    "task": {"id": "arith-v0", "options": {"eval_size": 8, "seed_counts": {
        "max": 16, "rev": 16, "par": 16, "len": 16}}},
    "student": {"id": "tiny-gpt", "options": {"d_model": 32, "layers": 1, "heads": 2, "epochs": 1,
                                              "threads": 1}},
    "teacher": {"budget": 40}, "iterations": 1000,
}
_RUN = re.compile(r"^`([^`]+)` · ", re.M)
_DONE = re.compile(r"\*\*Completed iterations:\*\* (\d+|none yet) of")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def watch(folder: Path, *, seconds: float, config: dict | None = None, poll_s: float = 1.0,
          max_iterations: int | None = None) -> dict:
    """Run the experiment in ``folder``; stop the child ``seconds`` after its run appears (or
    once it has completed ``max_iterations``). Returns the measurements."""
    from gradio_client import Client

    config = dict(config or CONFIG)
    db, config_path = folder / "history.duckdb", folder / "run.json"
    config_path.write_text(json.dumps(config))
    history = History(db)
    history.ensure()
    app = build_app(history, Launcher(history, checkpoint_dir=folder / "app-ck"), poll_s=poll_s)
    app.launch(server_port=_free_port(), prevent_thread_lock=True, quiet=True)
    client = Client(app.local_url, verbose=False)
    # the child's output goes to files: a pipe nobody reads until the end fills and blocks it
    out_path, err_path = folder / "run.out", folder / "run.err"
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        child = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "run", "--db", str(db), "--config", str(config_path),
             "--checkpoints", str(folder / "ck"), "--quiet"],
            stdout=out_file, stderr=err_file, text=True, cwd=Path(__file__).resolve().parents[1])
        try:
            seen, polls, errors, run_id, stop_at = _poll(client, child, seconds, poll_s,
                                                         max_iterations)
            child.wait(timeout=300)
        finally:
            if child.poll() is None:
                child.kill()
            app.close()
    out, err = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    return _measure(history, run_id, seen, polls, errors, child.returncode, out, err, stop_at)


def _poll(client, child, seconds: float, poll_s: float, max_iterations: int | None):
    seen: dict[int, datetime] = {}
    polls: list[float] = []
    errors: list[str] = []
    run_id, stop_at, start = None, None, None
    while True:
        running = child.poll() is None
        t0 = time.monotonic()
        try:
            text, *_charts = client.predict(run_id, True, api_name="/poll_live")
            polls.append(time.monotonic() - t0)
            run_id, done = _parse(text, run_id, seen)
        except Exception as e:  # noqa: BLE001 - every failed poll is counted and reported
            errors.append(f"{type(e).__name__}: {e}")
            done = -1
        if not running:
            return seen, polls, errors, run_id, stop_at
        start = start or (time.monotonic() if run_id else None)  # the clock starts with the run
        over = start and (time.monotonic() - start > seconds
                          or (max_iterations is not None and done >= max_iterations))
        if run_id and stop_at is None and over:
            client.predict(run_id, api_name="/stop_run")
            stop_at = utcnow()
        time.sleep(max(0.0, poll_s - (time.monotonic() - t0)))


def _parse(text: str, run_id: str | None, seen: dict[int, datetime]) -> tuple[str | None, int]:
    """The run id the view shows (under the run's name) and its completed iterations."""
    found = _RUN.search(text)
    shown = found.group(1) if found else None
    if not shown or (run_id and shown != run_id):
        return run_id, -1
    done = _DONE.search(text)
    n = -1 if not done or done.group(1) == "none yet" else int(done.group(1))
    now = utcnow()
    for k in range(n + 1):
        seen.setdefault(k, now)
    return shown, n


def _measure(history: History, run_id, seen, polls, errors, rc, out, err, stop_at) -> dict:
    ended = dict(history.rows("SELECT iteration, ended_at FROM iterations WHERE run_id = ?"
                              " ORDER BY iteration", [run_id])) if run_id else {}
    late = {k: (seen[k] - ended[k]).total_seconds() if k in seen else None for k in ended}
    delays = sorted(v for v in late.values() if v is not None)
    status = history.scalar("SELECT status FROM runs WHERE run_id = ?", [run_id]) if run_id else None
    lock_lines = [line for line in (err or "").splitlines() if "lock" in line.lower()
                  or "HistoryError" in line]
    return {
        "run_id": run_id, "status": status, "child_exit_code": rc,
        "iterations_completed": len(ended), "iterations_seen": sum(v is not None for v in late.values()),
        "never_seen": [k for k, v in late.items() if v is None],
        "seen_after_s": {"max": round(delays[-1], 3) if delays else None,
                         "p95": round(delays[int(0.95 * (len(delays) - 1))], 3) if delays else None,
                         "median": round(statistics.median(delays), 3) if delays else None},
        "limit_s": LIMIT_S,
        "polls": len(polls), "poll_ms_p95": round(1000 * sorted(polls)[int(0.95 * (len(polls) - 1))], 1)
        if polls else None,
        "app_errors": errors[:5], "app_error_count": len(errors),
        "run_lock_errors": lock_lines[:5], "run_stderr_tail": (err or "").strip().splitlines()[-3:],
        "stop_requested_at": stop_at.isoformat() if stop_at else None,
        "ok": bool(run_id and rc == 0 and not errors and not lock_lines and delays
                   and len(delays) == len(ended) and delays[-1] <= LIMIT_S),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--poll", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = watch(Path(folder), seconds=args.seconds, poll_s=args.poll)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
