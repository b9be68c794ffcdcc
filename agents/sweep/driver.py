"""The sweep driver: record the cells, hand the unfinished ones to an executor, merge each
outcome into the history as it arrives, and show one progress bar.

Resumable by construction: a cell is ``completed`` in the same transaction that merges its
rows, so a rerun of the same spec skips exactly the merged cells; a cell whose worker was
killed resumes in its shard from its last completed iteration; a failed cell runs again
from where it failed, and its error stays recorded until it succeeds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tqdm.auto import tqdm

from agents.config import RunConfig
from agents.sweep import store
from agents.sweep.executors import Executor, LocalExecutor
from agents.sweep.spec import SweepSpec, from_configs
from agents.sweep.worker import CellOutcome, CellTask
from envs.history import History
from students.plugins import load_plugins


@dataclass(frozen=True, slots=True)
class CellResult:
    cell: str
    seq: int
    run_id: str
    axes: dict
    status: str  # completed | failed | pending (not run: the sweep was interrupted)
    attempts: int
    error: str | None


@dataclass(frozen=True, slots=True)
class SweepResult:
    sweep_id: str
    status: str  # completed | incomplete
    cells: tuple[CellResult, ...]
    seconds: float
    skipped: int  # cells already completed by an earlier invocation

    @property
    def run_ids(self) -> list[str]:
        return [c.run_id for c in self.cells]

    @property
    def failed(self) -> list[CellResult]:
        return [c for c in self.cells if c.status != "completed"]


def run_sweep(spec: SweepSpec, history: History, executor: Executor | None = None, *,
              shards: str | None = None, progress: bool = True) -> SweepResult:
    """Run every cell of ``spec`` not yet completed in ``history``; see the module doc."""
    import json

    executor = executor or LocalExecutor()
    t0 = time.perf_counter()
    cells = spec.cells()
    for cell in cells:  # plug-ins first, in the driver too: a bad one fails here, once
        load_plugins(cell.config.plugins)
    history.ensure()
    sweep_id = spec.sweep_id
    rows = store.register(history, spec, cells, executor.name)
    todo = rows[rows.status != "completed"]
    default_dir = RunConfig().checkpoint_dir
    tasks = [CellTask(sweep_id, r.cell, r.run_id, json.loads(r.config), shards,
                      own_checkpoints=json.loads(r.config)["checkpoint_dir"] == default_dir)
             for r in todo.itertuples()]
    by_cell = {t.cell: t for t in tasks}
    skipped = len(rows) - len(tasks)
    bar = _Bar(len(rows), skipped, executor.slots, progress)
    try:
        if tasks:
            store.mark_dispatched(history, sweep_id, [t.cell for t in tasks])
        for outcome in executor.run(tasks):
            _record(history, sweep_id, outcome)
            if outcome.status == "completed":
                executor.discard(by_cell[outcome.cell], outcome)
            bar.update(outcome)
    except BaseException:  # Ctrl-C: running cells end now; a rerun resumes them
        bar.close()
        executor.close(wait=False)
        raise
    bar.close()
    executor.close()
    status = store.finish(history, sweep_id)
    final = store.cells_of(history, sweep_id)
    return SweepResult(sweep_id, status, tuple(
        CellResult(r.cell, int(r.seq), r.run_id, json.loads(r.axes), r.status, int(r.attempts),
                   None if r.error is None or r.error != r.error else r.error)
        for r in final.itertuples()), time.perf_counter() - t0, skipped)


def run_configs(configs: Sequence[RunConfig], history: History,
                executor: Executor | None = None, *, name: str = "",
                shards: str | None = None, progress: bool = False) -> SweepResult:
    """Run ``configs`` as one sweep (a config given twice is one run); the result's
    ``run_ids`` follow the order of the distinct configs. Rerunning resumes it."""
    return run_sweep(from_configs(configs, name), history, executor, shards=shards,
                     progress=progress)


def _record(history: History, sweep_id: str, outcome: CellOutcome) -> None:
    values = dict(resumed_after=outcome.resumed_after, seconds=outcome.seconds,
                  worker=outcome.worker)
    error = outcome.error or (None if outcome.status == "completed"
                              else f"the run ended {outcome.status}")
    if error is not None:
        values["error"] = error  # a later success keeps the last error on record
    status = "completed" if outcome.status == "completed" else "failed"
    if outcome.tables:
        store.merge(history, sweep_id, outcome.cell, outcome.run_id, outcome.tables, status,
                    **values)
    else:
        store.mark(history, sweep_id, outcome.cell, status, **values)


class _Bar:
    """One bar over the sweep's cells: done / running / failed and tqdm's ETA."""

    def __init__(self, total: int, done: int, slots: int, enabled: bool) -> None:
        self.done, self.failed, self.left, self.slots = done, 0, total - done, slots
        self.bar = tqdm(total=total, initial=done, desc="cells", unit="cell", file=sys.stderr,
                        disable=not enabled, dynamic_ncols=True)
        self._show()

    def update(self, outcome: CellOutcome) -> None:
        self.left -= 1
        if outcome.status == "completed":
            self.done += 1
        else:
            self.failed += 1
            self.bar.write(f"cell {outcome.run_id} {outcome.status}: {outcome.error}")
        self.bar.update(1)
        self._show()

    def _show(self) -> None:
        self.bar.set_postfix_str(f"done {self.done}, running {min(self.slots, self.left)},"
                                 f" failed {self.failed}", refresh=True)

    def close(self) -> None:
        self.bar.close()
