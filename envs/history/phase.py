"""The live phase of a run, written in the background: only the newest value matters to a
watcher, so writes coalesce and come at most every ``DETAIL_S`` seconds."""

from __future__ import annotations

import threading
import time
from typing import Any

from students.errors import CurriculabError

DETAIL_S = 0.5  # the live phase and progress within it are written at most this often


class PhaseWriter:
    """Writes the newest posted phase on a background thread that lives while there is
    something to write. Watchers need only the newest value, so one not yet written when
    another is posted is replaced, and writes are at least ``every_s`` apart (a fast run
    changes phase hundreds of times a second; a write costs a transaction) unless a
    ``flush`` waits. A failed write is raised by the next ``flush``."""

    def __init__(self, write, every_s: float = DETAIL_S) -> None:
        self._write, self._every = write, every_s
        self._cond = threading.Condition()
        self._latest: list[Any] | None = None
        self._busy = False
        self._flushing = 0
        self._error: CurriculabError | None = None
        self._thread: threading.Thread | None = None

    def post(self, values: list[Any]) -> None:
        with self._cond:
            self._latest = values
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="phase-writer", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def flush(self) -> None:
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._latest is not None or self._busy:
                    self._cond.wait()
            finally:
                self._flushing -= 1
            error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._latest is None:  # nothing left: the thread ends (post starts another)
                    self._thread = None
                    return
                values, self._latest, self._busy = self._latest, None, True
            began = time.monotonic()
            try:
                self._write(values)
            except CurriculabError as e:
                with self._cond:
                    self._error = e
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
                    left = self._every - (time.monotonic() - began)
                    if left > 0:  # the next write waits its turn, or a flush
                        self._cond.wait_for(lambda: self._flushing, timeout=left)
