"""The heartbeat a running run's process beats into the history (``envs/history/liveness.py``
reads it)."""

from __future__ import annotations

import threading

from envs.history.liveness import BEAT_S
from students.errors import CurriculabError


class Heartbeat:
    """A daemon thread that writes the run's heartbeat every ``BEAT_S`` seconds, so that a
    long phase (a big student's training) never reads as a dead process; it ends with
    ``stop``, once the run is no longer recorded as running, or with the process."""

    def __init__(self, beat) -> None:
        self._beat = beat
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._done.set()

    def _run(self) -> None:
        while not self._done.wait(BEAT_S):
            try:
                if not self._beat():
                    return
            except CurriculabError:  # the file is busy or gone: the next beat tries again
                continue
