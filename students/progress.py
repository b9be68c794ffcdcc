"""Progress inside a long call, for whoever listens: a student's training loop reports its
steps and loss, its decoding loop the items answered.

A listener is set for the current thread (a context variable), so the run that trains the
student hears it and nothing else does; with no listener a report costs one lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Listener = Callable[[str, int, int, "float | None"], None]  # unit, done, total, loss
_LISTENER: ContextVar[Listener | None] = ContextVar("curriculab_progress", default=None)


def report(unit: str, done: int, total: int, loss: float | None = None) -> None:
    """``done`` of ``total`` ``unit`` (``"steps"``, ``"items"``) so far, and the latest loss."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(unit, done, total, loss)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send this thread's reports to ``listener`` inside the ``with`` block."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)
