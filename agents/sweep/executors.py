"""Where cells run: local worker processes, or a Ray cluster (the ``ray`` extra).

An executor takes cell tasks and yields their outcomes as they finish; the driver merges
each into the user's history. Both run ``worker.run_cell`` unchanged, so a sweep gives the
same numbers whichever runs it. Local workers die with the driver (a SIGKILLed driver
leaves no orphan writing a shard); Ray cancels a dead driver's tasks itself.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Protocol

from agents.sweep.worker import CellOutcome, CellTask, remove_shard, run_cell
from students.errors import ConfigError
from students.registry import one_line


class Executor(Protocol):
    name: str  # as recorded with the sweep: "local:2", "ray:auto"
    slots: int  # cells that can run at once

    def run(self, tasks: Sequence[CellTask]) -> Iterator[CellOutcome]: ...

    def discard(self, task: CellTask, outcome: CellOutcome) -> None:
        """Remove the cell's shard where it lives, once merged."""

    def close(self, wait: bool = True) -> None:
        """Release the workers; ``wait=False`` (an interrupted driver) ends running cells now."""


def _die_with_parent() -> None:
    """Worker initializer: the kernel kills this process when its parent dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class LocalExecutor:
    """``workers`` fresh interpreters (spawned, not forked: no torch state is copied)."""

    def __init__(self, workers: int = 2) -> None:
        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        self.slots, self.name = workers, f"local:{workers}"
        self._pool: ProcessPoolExecutor | None = None

    def run(self, tasks: Sequence[CellTask]) -> Iterator[CellOutcome]:
        if not tasks:
            return
        if self._pool is None:  # else the workers of an earlier run, not closed: reused
            self._pool = ProcessPoolExecutor(
                max_workers=min(self.slots, len(tasks)), initializer=_die_with_parent,
                mp_context=multiprocessing.get_context("spawn"))
        pending: dict[Future, CellTask] = {self._pool.submit(run_cell, t): t for t in tasks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                try:
                    yield future.result()
                except Exception as e:  # the worker process itself died
                    yield CellOutcome(task.cell, task.run_id, "failed",
                                      f"worker lost: {one_line(e)}")

    def discard(self, task: CellTask, outcome: CellOutcome) -> None:
        remove_shard(task)

    def close(self, wait: bool = True) -> None:
        if self._pool is None:
            return
        if not wait:  # their shards keep every completed iteration: a rerun resumes them
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.kill()
        self._pool.shutdown(wait=wait, cancel_futures=True)
        self._pool = None


class RayExecutor:
    """Cells as Ray tasks (one CPU each) on a local Ray (``address`` None) or the cluster at
    ``address`` (``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``)."""

    def __init__(self, address: str | None = None, *, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError as e:
            raise ConfigError("--ray needs the ray package: pip install 'curriculab[ray]'") from e
        self._ray = ray
        self._owned = not ray.is_initialized()
        if self._owned:
            options = dict(include_dashboard=False, log_to_driver=False,
                           configure_logging=False)
            try:
                if address:
                    ray.init(address=address, **options)
                else:
                    ray.init(num_cpus=workers, **options)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise ConfigError(f"--ray {address or ''}: cannot join a Ray cluster:"
                                  f" {one_line(e)}".replace("  ", " ")) from e
        self.slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.name = f"ray:{address or 'local'}"
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_ray_cell)
        self._pending: dict = {}

    def run(self, tasks: Sequence[CellTask]) -> Iterator[CellOutcome]:
        ray = self._ray
        pending = self._pending = {self._remote.remote(t): t for t in tasks}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                task = pending.pop(ref)
                try:
                    yield ray.get(ref)
                except Exception as e:  # the task's worker or node died
                    yield CellOutcome(task.cell, task.run_id, "failed",
                                      f"ray task lost: {one_line(e)}")

    def discard(self, task: CellTask, outcome: CellOutcome) -> None:
        """Remove the shard on the node that wrote it (a no-op anywhere else)."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        if outcome.node is None:
            return
        remote = self._ray.remote(num_cpus=0)(remove_shard).options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(outcome.node, soft=True))
        self._ray.get(remote.remote(task))

    def close(self, wait: bool = True) -> None:
        if not wait:
            for ref in list(self._pending):
                self._ray.cancel(ref, force=True)
        self._pending = {}
        if self._owned and self._ray.is_initialized():
            self._ray.shutdown()


def _ray_cell(task: CellTask) -> CellOutcome:
    import dataclasses

    import ray

    outcome = run_cell(task)
    return dataclasses.replace(outcome, node=ray.get_runtime_context().get_node_id())
