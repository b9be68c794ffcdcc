"""The child side of the sandbox: run as a script by ``envs.sandbox.process``, never imported by a run.

It isolates itself in layers before it executes the untrusted program:

1. kernel: a new user + network namespace (only a downed loopback exists), and Landlock
   rules that allow writes only beneath the working directory and signals only inside the
   sandbox (each layer is used where the kernel offers it);
2. resource limits: address space, CPU seconds, file size, no core files;
3. a Python audit hook that refuses sockets, writes outside the working directory, new
   processes and signals to other processes, and reports each refusal at once, so that a
   program which catches the refusal still fails.

Reports are JSON lines on a pipe the parent passed as a file descriptor. Standard library
only: this file runs under ``python -I`` where the project may not be importable.
"""

from __future__ import annotations

import builtins
import ctypes
import errno
import json
import os
import resource
import sys
import traceback

CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
PR_SET_NO_NEW_PRIVS = 38
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
FS_WRITE_FILE, FS_REMOVE_DIR, FS_REMOVE_FILE = 1 << 1, 1 << 4, 1 << 5
FS_MAKE_ALL = sum(1 << bit for bit in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
FS_REFER, FS_TRUNCATE = 1 << 13, 1 << 14
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
PATH_EVENTS = {
    "os.remove", "os.rmdir", "os.rename", "os.mkdir", "os.symlink", "os.link", "os.chmod",
    "os.chown", "os.truncate", "os.utime", "os.setxattr", "os.removexattr", "os.chflags",
    "shutil.rmtree", "shutil.move", "shutil.copytree", "shutil.chown",
}
PROCESS_EVENTS = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "subprocess.Popen", "pty.spawn",
}

_libc = ctypes.CDLL(None, use_errno=True)


class Refused(PermissionError):
    """Raised by the audit hook; ``reason`` is what the parent reports."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"sandbox: {detail}")
        self.reason = reason


def unshare_network() -> bool:
    """A new user namespace (needs no privilege) holding a new, empty network namespace."""
    return _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0


def landlock(workdir: str) -> list[str]:
    """Allow writes only beneath ``workdir``; deny TCP and outside signals where supported."""
    abi = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, 1)
    if abi < 1:
        return []
    fs = FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_ALL
    fs |= FS_REFER if abi >= 2 else 0
    fs |= FS_TRUNCATE if abi >= 3 else 0
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    fields = [fs] + ([net] if abi >= 4 else []) + ([scoped] if abi >= 6 else [])
    attr = (ctypes.c_uint64 * len(fields))(*fields)
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.sizeof(attr), 0)
    if ruleset < 0:
        return []
    file_rights = FS_WRITE_FILE | (FS_TRUNCATE if abi >= 3 else 0)
    for path, rights in ((workdir, fs), (os.devnull, file_rights)):
        _allow_beneath(ruleset, path, rights)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return []
    if _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0) != 0:
        return []
    os.close(ruleset)
    return ["landlock-fs"] + (["landlock-tcp"] if net else []) + (["landlock-signal"] if scoped else [])


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _allow_beneath(ruleset: int, path: str, rights: int) -> None:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = _PathBeneath(rights, fd)
        _libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0)
    finally:
        os.close(fd)


def set_limits(config: dict) -> None:
    seconds = int(config["time_limit"]) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    file_bytes = config["file_mb"] << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    memory = config["memory_mb"] << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def audit_hook(workdir: str, report, strict: bool):
    """The Python layer: refuse and report at once; ``strict`` also refuses ctypes."""
    inside = os.path.realpath(workdir)
    allowed = {os.path.realpath(os.devnull)}
    busy = []

    def outside(path) -> bool:
        if isinstance(path, int) or path is None:
            return False
        real = os.path.realpath(os.fsdecode(path))
        return real not in allowed and os.path.commonpath([real, inside]) != inside

    def refuse(reason: str, detail: str):
        report({"refused": reason, "detail": detail})
        raise Refused(reason, detail)

    def hook(event: str, args: tuple) -> None:
        if busy:  # realpath below may raise events of its own
            return
        busy.append(1)
        try:
            check(event, args)
        finally:
            busy.pop()

    def check(event: str, args: tuple) -> None:
        if event.startswith("socket."):
            refuse("network refused", f"{event} is not allowed")
        if event == "open" and _writes(args) and outside(args[0]):
            refuse("write refused", f"writing {args[0]!r} outside the working directory")
        if event in PATH_EVENTS and any(outside(a) for a in args if isinstance(a, (str, bytes))):
            refuse("write refused", f"{event} outside the working directory")
        if event in PROCESS_EVENTS:
            refuse("error", f"{event}: starting processes is not allowed")
        if event in ("os.kill", "os.killpg") and args[0] != os.getpid():
            refuse("error", f"{event}: signals to other processes are not allowed")
        if strict and event.startswith("ctypes."):
            refuse("error", f"{event}: ctypes is not allowed without kernel isolation")

    return hook


def _writes(args: tuple) -> bool:
    mode, flags = args[1], args[2]
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and flags != -1 and bool(flags & WRITE_FLAGS)


def run(config: dict, report) -> None:
    """Isolate, limit, guard, then execute the program and report how it ended."""
    workdir = os.getcwd()
    layers = ["netns"] if config["isolate"] and unshare_network() else []
    layers += landlock(workdir) if config["isolate"] else []
    with open(config["program"], encoding="utf-8") as f:
        source = f.read()
    if config["python_guard"]:
        kernel_ok = "netns" in layers and "landlock-fs" in layers
        sys.addaudithook(audit_hook(workdir, report, strict=not kernel_ok))
        layers.append("audit-hook")
    report({"layers": layers})
    set_limits(config)
    try:
        exec(compile(source, "program.py", "exec"), {"__name__": "__main__", "__builtins__": builtins})
    except AssertionError as e:
        report({"end": "wrong", "detail": _last_line(e)})
    except MemoryError as e:
        report({"end": "memory", "detail": _last_line(e) or "MemoryError"})
    except Refused as e:
        report({"end": e.reason, "detail": str(e)})
    except OSError as e:
        too_big = e.errno == errno.EFBIG
        report({"end": "write refused" if too_big else "error", "detail": _last_line(e)})
    except SystemExit as e:
        report({"end": "error", "detail": f"the program exited early (exit code {e.code})"})
    except BaseException as e:  # anything else the program raised is its failure
        report({"end": "error", "detail": _last_line(e)})
    else:
        report({"end": "ok", "detail": ""})


def _last_line(error: BaseException) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return lines[-1].strip() if lines else type(error).__name__


def main() -> None:
    config = json.loads(sys.argv[1])
    pipe = os.fdopen(config["fd"], "w", buffering=1)

    def report(message: dict) -> None:
        pipe.write(json.dumps(message) + "\n")
        pipe.flush()

    run(config, report)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the program may have closed or filled it
            pass
    pipe.close()
    os._exit(0)  # skip interpreter shutdown: atexit handlers the program registered never run


if __name__ == "__main__":
    main()
