"""The child side of the sandbox: run as a script by ``envs.sandbox.process``, never imported by a run.

Three processes: this one, the *warden*, enforces the wall-clock limit; it starts an *init*
process, which starts the *program* process and reaps whatever the program leaves behind.
Isolation comes in layers before the untrusted program runs:

1. processes: the warden joins the ``pids`` cgroup the parent made (a cap on processes and
   threads) and enters new user, network and PID namespaces, so init is PID 1 of its own
   namespace. When init ends, the kernel kills every process left in that namespace, however
   it detached itself (``setsid``, double fork); at the time limit the warden kills init, and
   it waits until the namespace is empty. Without a cgroup, the process cap is
   ``RLIMIT_NPROC`` (counted per user namespace, so it works for a user other than root).
   The warden is also a child subreaper: where no PID namespace can be made, it kills every
   descendant that is left;
2. kernel: the network namespace holds only a downed loopback, and Landlock rules allow
   writes only beneath the working directory and signals only inside the sandbox (each layer
   is used where the kernel offers it);
3. resource limits: address space, CPU seconds, file size, no core files;
4. a Python audit hook that refuses sockets, writes outside the working directory, new
   processes and signals to other processes, and reports each refusal at once, so that a
   program which catches the refusal still fails. Without the kernel layers and a process
   cap it also refuses ctypes.

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
import select
import signal
import sys
import time
import traceback

CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWPID = 0x10000000, 0x40000000, 0x20000000
NAMESPACES = (  # tried in turn: a root without user namespaces can still make the others
    (CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID, ("userns", "netns", "pidns")),
    (CLONE_NEWNET | CLONE_NEWPID, ("netns", "pidns")),
    (CLONE_NEWUSER | CLONE_NEWNET, ("userns", "netns")),
)
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36
GRACE_S = 0.25  # wall-clock time the program process gets for its own set-up
SUPERVISORS = 2  # the warden and init count against the process cap
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


def enter_namespaces() -> list[str]:
    """New user (needs no privilege), network (empty) and PID namespaces, as many as allowed.
    A new PID namespace applies to the children made after this call."""
    for flags, names in NAMESPACES:
        if _libc.unshare(flags) == 0:
            return list(names)
    return []


def join_cgroup(path: str | None) -> list[str]:
    """Move this process (and so everything it starts) into the pids cgroup at ``path``."""
    if not path:
        return []
    try:
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        return ["pids-cgroup"]
    except OSError:
        return []


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


def set_limits(config: dict, layers: list[str]) -> None:
    if "nproc" in layers:
        cap = config["processes"] + SUPERVISORS
        resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
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


def warden(config: dict, report) -> None:
    """Start init (and through it the program) in the process layers; at the time limit kill
    init, and with it the PID namespace; then kill whatever else is left."""
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    layers = ["reaper"]
    if config["isolate"]:
        layers += join_cgroup(config.get("cgroup"))
        namespaces = enter_namespaces()
        layers += [n for n in namespaces if n != "userns"]
        if "pids-cgroup" not in layers and "userns" in namespaces and os.geteuid() != 0:
            layers.append("nproc")  # counted per user namespace; root is exempt from it
    deadline = time.monotonic() + config["time_limit"] + GRACE_S
    init = os.fork()
    if init == 0:
        _only_child(lambda: init_process(config, report, layers))
    if not _waited(init, deadline):
        os.kill(init, signal.SIGKILL)
        os.waitpid(init, 0)  # init of a PID namespace ends only when all of it has ended
        report({"timeout": True})
    if "pidns" not in layers:  # else nothing of the program can be left
        sweep()


def init_process(config: dict, report, layers: list[str]) -> None:
    """Start the program, reap every process that ends, and report how the program ended.
    Dies with the warden."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    program = os.fork()
    if program == 0:
        _only_child(lambda: run(config, report, layers))
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == program:
            break
    report({"exit": os.waitstatus_to_exitcode(status)})


def _only_child(body) -> None:
    """Run ``body`` in a forked process that never returns into its parent's code."""
    code = 70
    try:
        body()
        code = 0
    finally:
        os._exit(code)


def _waited(pid: int, deadline: float) -> bool:
    """Wait for child ``pid`` until ``deadline``; True if it ended in time."""
    try:
        handle = os.pidfd_open(pid)  # readable the moment it ends
    except (AttributeError, OSError):  # before Linux 5.3: poll
        handle = None
    try:
        pause = 0.001
        while (left := deadline - time.monotonic()) > 0:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
            if handle is None:
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.02)
            else:
                select.select([handle], [], [], left)
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    finally:
        if handle is not None:
            os.close(handle)


def sweep() -> None:
    """Kill and reap every descendant left (they are the warden's children or grandchildren,
    since it is a subreaper), until none is left."""
    me = os.getpid()
    for _ in range(1000):
        left = _descendants(me)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap()
        time.sleep(0.002)
    _reap()


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(b")") + 2:].split()
            if fields[0] != b"Z":  # a zombie is already dead: reaping it is enough
                parents[int(entry)] = int(fields[1])
    found, frontier = [], {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found += frontier
    return found


def run(config: dict, report, layers: list[str]) -> None:
    """Isolate, limit, guard, then execute the program and report how it ended."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    workdir = os.getcwd()
    layers = layers + (landlock(workdir) if config["isolate"] else [])
    with open(config["program"], encoding="utf-8") as f:
        source = f.read()
    if config["python_guard"]:
        capped = "pids-cgroup" in layers or "nproc" in layers
        kernel_ok = "netns" in layers and "landlock-fs" in layers and capped
        sys.addaudithook(audit_hook(workdir, report, strict=not kernel_ok))
        layers.append("audit-hook")
    report({"layers": layers})
    set_limits(config, layers)
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
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the program may have closed or filled it
            pass
    os._exit(0)  # skip interpreter shutdown: atexit handlers the program registered never run


def _last_line(error: BaseException) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return lines[-1].strip() if lines else type(error).__name__


def main() -> None:
    config = json.loads(sys.argv[1])
    pipe = os.fdopen(config["fd"], "w", buffering=1)

    def report(message: dict) -> None:
        pipe.write(json.dumps(message) + "\n")
        pipe.flush()

    warden(config, report)
    pipe.close()


if __name__ == "__main__":
    main()
