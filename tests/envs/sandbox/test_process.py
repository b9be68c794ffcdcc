"""The sandbox stops or refuses what a program must not do, reports it as a failure, and the
caller goes on. Each case runs a real child process."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from envs.sandbox.process import Limits, SandboxResult, isolation, run_code
from students.errors import ConfigError

FAST = Limits(time_limit=2.0)


def test_a_program_that_runs_to_its_end_passes_and_its_output_is_kept():
    result = run_code("assert sum(range(4)) == 6\nprint('done')", FAST)
    assert isinstance(result, SandboxResult)
    assert (result.passed, result.reason) == (True, "ok")
    assert result.output.strip() == "done"


def test_a_failed_assertion_is_a_wrong_answer():
    result = run_code("assert 1 + 1 == 3", FAST)
    assert (result.passed, result.reason) == (False, "wrong")


def test_an_endless_loop_is_stopped_at_the_time_limit():
    result = run_code("while True:\n    pass", Limits(time_limit=1.0))
    assert (result.passed, result.reason) == (False, "timeout")
    assert result.seconds < 5


def test_allocating_4_gib_is_stopped_by_the_memory_limit():
    result = run_code("block = bytearray(4 * 2**30)\nblock[-1] = 1", Limits(memory_mb=512))
    assert (result.passed, result.reason) == (False, "memory")


def test_opening_a_socket_is_refused_even_when_the_program_catches_the_error():
    program = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "except OSError:\n"
        "    pass\n"
    )
    result = run_code(program, FAST)
    assert (result.passed, result.reason) == (False, "network refused")


def test_writing_outside_the_working_directory_is_refused(tmp_path: Path):
    target = tmp_path / "escaped.txt"
    result = run_code(f"open({str(target)!r}, 'w').write('x')", FAST)
    assert (result.passed, result.reason) == (False, "write refused")
    assert not target.exists()


def test_removing_a_file_outside_is_refused(tmp_path: Path):
    victim = tmp_path / "keep.txt"
    victim.write_text("precious")
    result = run_code(f"import os\nos.remove({str(victim)!r})", FAST)
    assert result.reason == "write refused"
    assert victim.read_text() == "precious"


def test_the_working_directory_is_writable_and_thrown_away():
    program = (
        "import os\n"
        "open('notes.txt', 'w').write('x')\n"
        "assert open('notes.txt').read() == 'x'\n"
        "print(os.getcwd())\n"
    )
    result = run_code(program, FAST)
    assert result.passed, result.detail
    assert not Path(result.output.strip()).exists()


def test_starting_a_process_and_exiting_early_fail(tmp_path: Path):
    marker = tmp_path / "spawned"
    spawned = run_code(f"import os\nos.system('touch {marker}')", FAST)
    assert (spawned.passed, spawned.reason) == (False, "error")
    assert not marker.exists()
    for early_exit in ("import sys\nsys.exit(0)", "import os\nos._exit(0)"):
        assert run_code(early_exit, FAST).reason == "error"


def test_a_syntax_error_and_a_huge_file_fail():
    assert run_code("def broken(:\n    pass", FAST).reason == "error"
    huge = run_code("open('big', 'wb').write(b'x' * (8 << 20))", Limits(file_mb=1))
    assert (huge.passed, huge.reason) == (False, "write refused")


def test_the_kernel_layers_hold_without_the_python_guard(tmp_path: Path):
    """Network namespace and Landlock alone: a listening loopback server is unreachable and a
    write outside fails, though nothing in Python refuses them."""
    layers = isolation()
    if "netns" not in layers or "landlock-fs" not in layers:
        pytest.skip(f"this kernel offers only {layers}")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[object] = []
    server.settimeout(3)
    thread = threading.Thread(target=lambda: _accept(server, accepted))
    thread.start()
    target = tmp_path / "escaped.txt"
    program = (
        "import socket\n"
        f"socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
    )
    kernel_only = Limits(time_limit=2.0, python_guard=False)
    network = run_code(program, kernel_only)
    write = run_code(f"open({str(target)!r}, 'w').write('x')", kernel_only)
    thread.join()
    server.close()
    assert not network.passed and "audit-hook" not in network.layers
    assert accepted == []
    assert not write.passed and not target.exists()


def _accept(server: socket.socket, accepted: list[object]) -> None:
    try:
        accepted.append(server.accept())
    except OSError:
        pass


def test_the_caller_process_is_untouched():
    before = (os.getcwd(), os.getpid())
    run_code("import os\nos.chdir('/')\nraise SystemExit(3)", FAST)
    assert (os.getcwd(), os.getpid()) == before


def test_limits_out_of_range_are_config_errors():
    with pytest.raises(ConfigError):
        Limits(time_limit=0)


def _named(token: str) -> list[int]:
    """Processes whose name (comm) is ``token``."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and Path(f"/proc/{entry}/comm").read_text().strip() == token:
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _escaping_program(token: str) -> str:
    """Forks (through libc, past the audit hook) a child that leaves the session, drops the
    sandbox's pipe, names itself ``token`` and spins; the parent spins too."""
    return (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None)\n"
        "if libc.fork() == 0:\n"
        "    os.setsid()\n"
        "    os.closerange(3, 1024)\n"
        f"    libc.prctl(15, {token.encode()!r}, 0, 0, 0)\n"
        "while True:\n"
        "    pass\n"
    )


def test_a_forked_child_that_leaves_the_session_does_not_outlive_the_time_limit():
    token = f"esc{uuid.uuid4().hex[:10]}"
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() and not seen:
            seen.extend(_named(token))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        result = run_code(_escaping_program(token), Limits(time_limit=1.0))
        elapsed = time.monotonic() - started
        done.set()
        watcher.join()
        time.sleep(1.0)
        left = _named(token)
        assert seen, "the program's child never ran: the test proves nothing"
        assert result.reason == "timeout"
        assert elapsed < 1.0 + 2.5
        assert left == [], f"processes left 1 s after the time limit: {left}"
    finally:
        done.set()
        for pid in _named(token):  # the sandbox failed: do not leave a spinning process behind
            os.kill(pid, signal.SIGKILL)


def test_a_program_cannot_start_more_processes_than_its_cap():
    """With a kernel cap (pids cgroup or RLIMIT_NPROC) forks past it fail; without one the
    Python guard refuses ctypes, so the program cannot fork at all."""
    program = (
        "import ctypes, os, time\n"
        "libc = ctypes.CDLL(None)\n"
        "made = 0\n"
        "for _ in range(20):\n"
        "    pid = libc.fork()\n"
        "    if pid == 0:\n"
        "        os.closerange(3, 1024)\n"
        "        time.sleep(3)\n"
        "        os._exit(0)\n"
        "    if pid < 0:\n"
        "        break\n"
        "    made += 1\n"
        "print(made)\n"
    )
    result = run_code(program, Limits(time_limit=2.0, processes=4))
    if {"pids-cgroup", "nproc"} & set(result.layers):
        assert result.passed, result.detail
        assert int(result.output.split()[-1]) == 3  # the program itself and 3 children
    else:
        assert (result.reason, "ctypes" in result.detail) == ("error", True)


def test_without_namespaces_the_descendants_are_killed_all_the_same():
    """The fallback where the kernel gives no PID namespace: the sandbox reaps and kills
    every descendant itself."""
    token = f"esc{uuid.uuid4().hex[:10]}"
    program = _escaping_program(token)
    try:
        result = run_code(program, Limits(time_limit=1.0, isolate=False, python_guard=False))
        assert result.reason == "timeout"
        assert "pidns" not in result.layers and "reaper" in result.layers
        assert _named(token) == []
    finally:
        for pid in _named(token):
            os.kill(pid, signal.SIGKILL)
