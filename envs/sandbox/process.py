"""Run untrusted Python (a student's or a teacher's code) in a separate, isolated process.

``run_code(program)`` writes the program into a throw-away directory and runs it with
``python -I -B envs/sandbox/child.py`` in a new session: a wall-clock time limit after which
no process of the program is left (a PID namespace, else a subreaper that kills every
descendant), a cap on its processes and threads (a ``pids`` cgroup, else ``RLIMIT_NPROC`` in
a user namespace), a memory limit (``RLIMIT_AS``), a file-size limit, no network and no
writes outside that directory (kernel namespaces and Landlock where the kernel offers them, a
Python audit hook always). Nothing is ever executed in the caller's process.

The isolation protects the machine from accidents and careless programs; it is not a
boundary against code written to attack this harness (use a container or VM for that).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from envs.sandbox.cgroup import PidsCgroup

CHILD = Path(__file__).with_name("child.py")
REASONS = ("ok", "wrong", "error", "timeout", "memory", "network refused", "write refused")
OUTPUT_LIMIT = 4000  # characters of the program's output kept in the result
BACKSTOP_S = 5.0  # past time_limit + this, the caller kills the sandbox itself
SUPERVISORS = 2  # the sandbox's own processes (warden and init) inside the process cap


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """How one sandboxed program ended. ``reason`` is one of ``REASONS``."""

    passed: bool
    reason: str
    detail: str
    seconds: float
    output: str = ""
    layers: tuple[str, ...] = ()  # isolation mechanisms that were in force


@dataclass(frozen=True, slots=True)
class Limits:
    """What a sandboxed program may use. ``python_guard=False`` leaves only the kernel layers."""

    time_limit: float = 5.0
    memory_mb: int = 1024
    file_mb: int = 16
    processes: int = 16  # processes and threads of the program, itself included
    isolate: bool = True
    python_guard: bool = True

    def __post_init__(self) -> None:
        if self.time_limit <= 0 or self.memory_mb < 64 or self.file_mb < 1 or self.processes < 1:
            from students.errors import ConfigError

            raise ConfigError(f"sandbox limits out of range: {self}")


def run_code(program: str, limits: Limits = Limits()) -> SandboxResult:
    """Execute ``program`` in a fresh sandboxed process; it passes if it runs to its end."""
    workdir = Path(tempfile.mkdtemp(prefix="curriculab-sandbox-"))
    read_end, write_end = os.pipe()
    name = workdir.name.removeprefix("curriculab-sandbox-")
    cgroup = PidsCgroup.create(name, limits.processes + SUPERVISORS) if limits.isolate else None
    try:
        (workdir / "program.py").write_text(program, encoding="utf-8")
        started = time.monotonic()
        with tempfile.TemporaryFile() as output:
            proc = _start(workdir, write_end, limits, output, cgroup)
            os.close(write_end)
            write_end = -1
            killed = _wait(proc, limits.time_limit, cgroup)
            seconds = time.monotonic() - started
            messages = _messages(_read_reports(read_end))
            output.seek(0)
            text = output.read(OUTPUT_LIMIT).decode("utf-8", errors="replace")
        returncode = next((m["exit"] for m in messages if isinstance(m.get("exit"), int)), proc.returncode)
        timed_out = killed or any(m.get("timeout") for m in messages)
        return _verdict(messages, returncode, timed_out, seconds, text)
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
        if cgroup is not None:
            cgroup.remove()
        shutil.rmtree(workdir, ignore_errors=True)


def _start(workdir: Path, fd: int, limits: Limits, output, cgroup: PidsCgroup | None) -> subprocess.Popen:
    config = {
        "fd": fd, "program": str(workdir / "program.py"), "time_limit": limits.time_limit,
        "memory_mb": limits.memory_mb, "file_mb": limits.file_mb, "processes": limits.processes,
        "isolate": limits.isolate, "python_guard": limits.python_guard,
        "cgroup": str(cgroup.path) if cgroup else None,
    }
    env = {"PATH": os.defpath, "HOME": str(workdir), "TMPDIR": str(workdir), "LANG": "C.UTF-8"}
    return subprocess.Popen(
        [sys.executable, "-I", "-B", str(CHILD), json.dumps(config)],
        cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
        pass_fds=(fd,), start_new_session=True,
    )


def _wait(proc: subprocess.Popen, time_limit: float, cgroup: PidsCgroup | None) -> bool:
    """Wait for the sandbox, which enforces the time limit itself; should it not end well
    after that, kill its process group and cgroup. True if it had to be killed."""
    deadline = time.monotonic() + time_limit + BACKSTOP_S
    try:
        handle = os.pidfd_open(proc.pid)  # wakes the moment it ends (Popen.wait polls)
        select.select([handle], [], [], time_limit + BACKSTOP_S)
        os.close(handle)
    except (AttributeError, OSError):  # before Linux 5.3
        pass
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
        return False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if cgroup is not None:
            cgroup.kill()
        proc.wait()
        return True


def _read_reports(fd: int, wait_s: float = 1.0) -> str:
    """What the sandbox reported on the pipe; reading stops at end of file, or ``wait_s``
    after the sandbox ended should a stray process still hold the pipe open."""
    os.set_blocking(fd, False)
    chunks, deadline = [], time.monotonic() + wait_s
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _messages(text: str) -> list[dict]:
    messages = []
    for line in text.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(message, dict):
            messages.append(message)
    return messages


def _verdict(messages: list[dict], returncode: int, timed_out: bool, seconds: float, output: str) -> SandboxResult:
    layers = next((tuple(m["layers"]) for m in messages if "layers" in m), ())
    refusal = next((m for m in messages if "refused" in m), None)
    end = next((m for m in messages if "end" in m), None)
    if timed_out or returncode == -signal.SIGXCPU and end is None:
        reason, detail = "timeout", "the program ran past its time limit"
    elif returncode == -signal.SIGKILL and end is None:
        reason, detail = "memory", "the program was killed (out of memory)"
    elif refusal is not None:  # a refused action fails the program even if it caught the error
        reason, detail = refusal["refused"], refusal["detail"]
    elif end is not None:
        reason, detail = end["end"], end["detail"]
    elif returncode == -signal.SIGXFSZ:
        reason, detail = "write refused", "the program wrote past its file-size limit"
    else:
        reason, detail = "error", f"the program ended without finishing (exit status {returncode})"
    if reason not in REASONS:
        reason = "error"
    return SandboxResult(reason == "ok", reason, detail, round(seconds, 3), output, layers)


def isolation() -> tuple[str, ...]:
    """The isolation mechanisms a sandboxed program gets on this machine."""
    return run_code("pass").layers
