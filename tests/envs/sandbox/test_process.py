"""The sandbox stops or refuses what a program must not do, reports it as a failure, and the
caller goes on. Each case runs a real child process."""

from __future__ import annotations

import os
import socket
import threading
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
