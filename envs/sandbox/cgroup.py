"""A ``pids`` cgroup for one sandboxed program: a cap on its processes and threads, and a way
to kill every one of them.

The caller creates it (``PidsCgroup.create``) in the ``pids`` hierarchy it may write to: cgroup
v2 where the ``pids`` controller is delegated to this process's cgroup, else the cgroup v1
``pids`` hierarchy (usually only root may write either). The sandbox's first process joins
it, so everything the program starts is counted and capped. Where no hierarchy is writable
``create`` returns None and the sandbox relies on its other layers.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

PREFIX = "curriculab-sandbox-"


class PidsCgroup:
    """One cgroup directory with a ``pids.max``; ``remove`` kills what is left, then deletes it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, name: str, tasks: int) -> PidsCgroup | None:
        """A new cgroup ``PREFIX + name`` allowing ``tasks`` tasks; None where none can be made."""
        for base in _writable_bases():
            path = base / f"{PREFIX}{name}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(f"{tasks}\n")
                return cls(path)
            except OSError:  # the pids controller is not enabled for this subtree
                _rmdir(path)
        return None

    def tasks(self) -> list[int]:
        try:
            return [int(line) for line in (self.path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    def kill(self) -> None:
        """SIGKILL every process in the cgroup (cgroup v2's ``cgroup.kill`` where it exists)."""
        kill_file = self.path / "cgroup.kill"
        if kill_file.exists():
            try:
                kill_file.write_text("1\n")
                return
            except OSError:
                pass
        for _ in range(100):  # v1: a process may fork between the read and the kill
            pids = self.tasks()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.005)

    def remove(self, wait_s: float = 2.0) -> None:
        """Kill anything left inside, then delete the cgroup (retrying while tasks exit)."""
        deadline = time.monotonic() + wait_s
        while True:
            if self.tasks():
                self.kill()
            if _rmdir(self.path) or time.monotonic() > deadline:
                return
            time.sleep(0.01)


def _rmdir(path: Path) -> bool:
    try:
        path.rmdir()
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _writable_bases() -> list[Path]:
    """This process's cgroup in each mounted hierarchy that has the pids controller (v2 first)."""
    try:
        memberships = Path("/proc/self/cgroup").read_text().splitlines()
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    v1 = v2 = None
    for line in memberships:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            v2 = path
        elif "pids" in controllers.split(","):
            v1 = path
    bases = []
    for mount in mounts:
        fields, _, tail = mount.partition(" - ")
        root, point = fields.split()[3:5]
        fstype, _, options = (tail.split() + ["", "", ""])[:3]
        if fstype == "cgroup2" and v2 is not None:
            bases.insert(0, _inside(point, root, v2))
        elif fstype == "cgroup" and "pids" in options.split(",") and v1 is not None:
            bases.append(_inside(point, root, v1))
    return [b for b in bases if b is not None and os.access(b, os.W_OK)]


def _inside(point: str, root: str, path: str) -> Path | None:
    relative = os.path.relpath(path, root)
    if relative.startswith(".."):
        return None
    return Path(point.replace("\\040", " ")) / relative
