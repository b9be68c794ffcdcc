"""The runner service behind the app: runs in background threads of the app's process.

A run started here goes through ``agents.runner.start_run`` / ``resume_run`` in a thread and
writes through the same ``History`` as a headless run. Stopping sets the run's
``threading.Event`` (or, for a run in another process, writes a stop request the run polls
for). With steering on, the run pauses at each plan until a person approves it, possibly
edited; the approved plan is recorded with ``edited_by = "person"``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from agents.config import RunConfig
from agents.runner import resume_run, start_run
from envs.history import History
from envs.history.controls import StopWatcher, request_stop
from envs.history.liveness import ensure_idle
from envs.history.queries import is_recorded, run_row
from envs.history.runlog import RunLog, new_run_id
from envs.records import Observation, Plan
from students.errors import ConfigError, CurriculabError


class StopRequested(KeyboardInterrupt):
    """Raised inside a run waiting for approval when a person stops it: the runner treats it
    like Ctrl-C, so the half-planned iteration is dropped and the run stays resumable."""


@dataclass
class PendingPlan:
    """A teacher's plan waiting for a person; ``approved`` is filled in by ``Launcher.approve``."""

    run_id: str
    iteration: int
    plan: Plan
    observation: Observation
    approved: Plan | None = None
    ready: threading.Event = field(default_factory=threading.Event)


@dataclass
class _Job:
    thread: threading.Thread
    stop: threading.Event
    steer: bool
    error: str | None = None


class Launcher:
    """Starts, stops, resumes and steers runs in threads of this process."""

    def __init__(self, history: History, *, checkpoint_dir: str | Path | None = None,
                 plugins: Sequence[str] = (), poll_s: float = 2.0) -> None:
        self.history = history
        self.checkpoint_dir = None if checkpoint_dir is None else str(checkpoint_dir)
        self.plugins = tuple(plugins)  # the app's plug-ins, recorded with each run it starts
        self.poll_s = poll_s
        self._jobs: dict[str, _Job] = {}
        self._pending: dict[str, PendingPlan] = {}
        self._lock = threading.Lock()

    # -- start, resume, stop -------------------------------------------------------------
    def start(self, config: RunConfig, *, steer: bool = False, wait_s: float = 60.0) -> str:
        """Start a run in the background; returns its id once it is recorded.

        Errors raised before the run is recorded (a bad student option, say) are raised here."""
        if self.checkpoint_dir is not None:
            config = replace(config, checkpoint_dir=self.checkpoint_dir)
        if self.plugins:  # so that resuming it, here or from the command line, finds them
            config = replace(config, plugins=tuple(dict.fromkeys((*self.plugins, *config.plugins))))
        run_id = new_run_id()
        self._launch(run_id, steer, lambda stop, cb: start_run(
            config, self.history, progress=False, steer=cb, stop=stop, run_id=run_id))
        self._await_record(run_id, wait_s)
        return run_id

    def resume(self, run_id: str, *, steer: bool = False) -> str:
        """Continue a stopped, failed or killed run from its last completed iteration."""
        if self.is_running_here(run_id):
            raise ConfigError(f"run {run_id} is already running in this app")
        row = run_row(self.history, run_id)
        if row["status"] == "completed":
            raise ConfigError(f"run {run_id} is already completed; nothing to resume")
        ensure_idle(self.history, run_id, row)
        self._launch(run_id, steer, lambda stop, cb: resume_run(
            run_id, self.history, progress=False, steer=cb, stop=stop))
        return run_id

    def stop(self, run_id: str) -> str:
        """Stop a run before its next iteration; returns what was done, in words."""
        with self._lock:
            job = self._jobs.get(run_id)
        if job is not None and job.thread.is_alive():
            job.stop.set()
            return f"stopping {run_id}: it ends after the current iteration"
        row = run_row(self.history, run_id)
        if row["status"] != "running":
            raise ConfigError(f"run {run_id} is not running (status: {row['status']})")
        request_stop(self.history, run_id)
        return f"asked the process running {run_id} to stop after its current iteration"

    # -- steering ------------------------------------------------------------------------
    def pending(self) -> dict[str, PendingPlan]:
        """Plans waiting for approval, by run id."""
        with self._lock:
            return dict(self._pending)

    def approve(self, run_id: str, plan: Plan) -> None:
        """Let the waiting run continue with ``plan`` (recorded as the person's edit)."""
        with self._lock:
            slot = self._pending.pop(run_id, None)
        if slot is None:
            raise ConfigError(f"run {run_id} has no plan waiting for approval")
        slot.approved = plan
        slot.ready.set()

    def _steer_for(self, run_id: str, stop: threading.Event) -> Callable[[Plan, Observation], Plan]:
        def steer(plan: Plan, observation: Observation) -> Plan:
            slot = PendingPlan(run_id, observation.iteration + 1, plan, observation)
            with self._lock:
                self._pending[run_id] = slot
            RunLog(self.history, run_id).set_phase("steer", slot.iteration, wait=True)
            while not slot.ready.wait(0.2):
                if stop.is_set():
                    with self._lock:
                        self._pending.pop(run_id, None)
                    raise StopRequested
            assert slot.approved is not None
            return slot.approved
        return steer

    # -- state ---------------------------------------------------------------------------
    def is_running_here(self, run_id: str) -> bool:
        with self._lock:
            job = self._jobs.get(run_id)
        return job is not None and job.thread.is_alive()

    def started_here(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._jobs

    def error(self, run_id: str) -> str | None:
        """The message of the exception that ended a run started here, if any."""
        with self._lock:
            job = self._jobs.get(run_id)
        return None if job is None else job.error

    def wait(self, run_id: str, timeout: float | None = None) -> bool:
        """Block until the run's thread ends; False on timeout."""
        with self._lock:
            job = self._jobs.get(run_id)
        if job is not None:
            job.thread.join(timeout)
            return not job.thread.is_alive()
        return True

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop every run started here and wait for them (each ends after its iteration)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop.set()
        deadline = time.monotonic() + timeout
        for job in jobs:
            job.thread.join(max(0.0, deadline - time.monotonic()))

    # -- internals -----------------------------------------------------------------------
    def _launch(self, run_id: str, steer: bool, body: Callable) -> None:
        stop = threading.Event()
        job = _Job(threading.Thread(target=self._body, args=(run_id, steer, stop, body),
                                    name=f"run-{run_id}", daemon=True), stop, steer)
        with self._lock:
            self._jobs[run_id] = job
        job.thread.start()

    def _body(self, run_id: str, steer: bool, stop: threading.Event, body: Callable) -> None:
        job = self._jobs[run_id]
        try:
            with StopWatcher(self.history, run_id, event=stop, every_s=self.poll_s):
                body(stop, self._steer_for(run_id, stop) if steer else None)
        except StopRequested:
            RunLog(self.history, run_id).set_status("stopped", "stopped while its plan awaited approval")
        except CurriculabError as e:
            job.error = str(e)
        except Exception as e:  # noqa: BLE001 - a thread has no caller: keep the message for the app
            job.error = f"{type(e).__name__}: {e}"

    def _await_record(self, run_id: str, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        job = self._jobs[run_id]
        while time.monotonic() < deadline:
            if is_recorded(self.history, run_id):
                return
            if not job.thread.is_alive():
                raise ConfigError(job.error or f"run {run_id} ended before it was recorded")
            time.sleep(0.05)
        raise ConfigError(f"run {run_id} was not recorded within {wait_s:.0f} s")
