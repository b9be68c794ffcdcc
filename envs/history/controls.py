"""Stop requests across processes, through the history's ``controls`` table.

The app cannot set a ``threading.Event`` inside a headless ``curriculab run``; it writes a
request row instead, and the run's process polls for it with a ``StopWatcher`` that sets the
event the run loop checks between iterations.
"""

from __future__ import annotations

import threading
from datetime import datetime

from envs.history import History
from envs.history.clock import utcnow

POLL_S = 2.0


def request_stop(history: History, run_id: str, by: str = "app") -> None:
    """Ask the process running ``run_id`` to stop before its next iteration."""
    with history.transaction() as con:
        con.execute("INSERT INTO controls (run_id, action, requested_at, requested_by)"
                    " VALUES (?, 'stop', ?, ?)", [run_id, utcnow(), by])


def stop_requested(history: History, run_id: str, since: datetime) -> bool:
    """True when a stop for ``run_id`` was asked at or after ``since`` and not yet handled."""
    return bool(history.scalar(
        "SELECT count(*) FROM controls WHERE run_id = ? AND action = 'stop'"
        " AND requested_at >= ? AND handled_at IS NULL", [run_id, since]))


def mark_handled(history: History, run_id: str) -> None:
    with history.transaction() as con:
        con.execute("UPDATE controls SET handled_at = ? WHERE run_id = ? AND handled_at IS NULL",
                    [utcnow(), run_id])


class StopWatcher:
    """A daemon thread that sets ``event`` once someone requests a stop of ``run_id``.

    Requests older than the watcher are ignored, so a stale request cannot stop a resumed run::

        with StopWatcher(history, run_id) as stop:
            start_run(config, history, stop=stop, run_id=run_id)
    """

    def __init__(self, history: History, run_id: str, *, event: threading.Event | None = None,
                 every_s: float = POLL_S) -> None:
        self.history, self.run_id, self.every_s = history, run_id, every_s
        self.event = event or threading.Event()
        self._since = utcnow()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, name=f"stop-watch-{run_id}", daemon=True)

    def __enter__(self) -> threading.Event:
        self._thread.start()
        return self.event

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        if self.event.is_set():
            mark_handled(self.history, self.run_id)

    def _poll(self) -> None:
        while not self._done.wait(self.every_s):
            try:
                if stop_requested(self.history, self.run_id, self._since):
                    self.event.set()
                    return
            except Exception:  # noqa: BLE001 - a failed poll must never kill the run; try again
                continue
