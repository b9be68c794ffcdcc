"""A small LLM-teacher run for the scripted chat server: its config file and how far it got.

Shared by the loop tests and ``bench/llm_loop.py``: arith-v0 on four skills, a tiny student,
a budget of 28 examples per iteration unless told; ``extra`` lines go into the ``[teacher]`` section.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from envs.history import History
from envs.history import HistoryError

ROOT = Path(__file__).resolve().parents[2]
SKILLS = ["add", "sub", "mul", "cmp"]
CONFIG = """
checkpoint_dir = "{dir}/ck"
[task]
id = "arith-v0"
options = {{ eval_size = 4, skills = {skills}, seed_counts = {{ add = 20 }} }}
[student]
id = "tiny-gpt"
options = {{ d_model = 16, layers = 1, heads = 1, epochs = 1, max_new_tokens = 4 }}
[teacher]
budget = {budget}
{extra}
[llm]
model = "scripted"
backoff = 0.01
"""


def write_config(where: Path, extra: str = "", budget: int = 28) -> Path:
    """``where/run.toml``, checkpoints under ``where/ck``."""
    path = Path(where) / "run.toml"
    path.write_text(CONFIG.format(dir=where, extra=extra, budget=budget, skills=json.dumps(SKILLS)))
    return path


def engine_calls_landed(history: History) -> int:
    """Completed engine calls in the history so far (0 before the run has created it)."""
    if not history.path.exists():
        return 0
    try:
        return history.scalar("SELECT count(*) FROM llm_calls WHERE status = 'ok' AND role = 'engine'")
    except HistoryError:  # the run has not created the tables yet
        return 0


def spawn_run(where: Path, url: str, db: Path) -> subprocess.Popen:
    """``curriculab run --teacher llm`` in a child process, 2 iterations, one call at a time in
    batches of 2 examples (a generation of many calls, to kill in the middle of)."""
    config = write_config(where, "engine_options = { batch_size = 2 }")
    cmd = [sys.executable, "-m", "ui.cli", "run", "--config", str(config), "--teacher", "llm",
           "--base-url", url, "--quiet", "--db", str(db), "--iterations", "2",
           "--llm-opt", "concurrency=1"]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill_when_landed(child: subprocess.Popen, history: History, calls: int,
                     timeout: float = 240) -> None:
    """SIGKILL ``child`` once ``calls`` engine calls are in its history; an error (with the
    child's stderr) if it ends first or never gets there."""
    deadline = time.monotonic() + timeout
    try:
        while engine_calls_landed(history) < calls:
            if child.poll() is not None:
                raise RuntimeError(f"the run ended first: {child.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("the run never reached generation")
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
