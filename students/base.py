"""The Student protocol: a model that learns from (prompt, answer) pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class Pair(Protocol):
    """Anything with a prompt and an answer (an envs ``Example`` or ``Item`` is one)."""

    @property
    def prompt(self) -> str: ...

    @property
    def answer(self) -> str: ...


@dataclass(frozen=True, slots=True)
class TrainReport:
    """What one ``Student.train`` call did."""

    examples: int
    steps: int
    tokens: int
    seconds: float
    loss_first: float | None
    loss_last: float | None


@runtime_checkable
class Student(Protocol):
    """A trainable model. Knows nothing of teachers, tasks or databases.

    ``train`` continues from the current weights; ``reinit`` goes back to the initial weights
    (the environment uses it for the retrain-on-everything regime). Given the same seed and
    data, training and prediction are deterministic on CPU.
    """

    def train(self, pairs: Sequence[Pair], *, seed: int, progress: bool = False) -> TrainReport: ...

    def predict(self, prompts: Sequence[str], *, progress: bool = False) -> list[str]: ...

    def reinit(self) -> None: ...

    def save(self, directory: Path) -> None: ...

    def load(self, directory: Path) -> None: ...


@runtime_checkable
class Bounded(Protocol):
    """A student with fixed limits on what it reads and writes (tiny-gpt's context and answer
    lengths). A run asks it about the task's items before anything is recorded."""

    def check_fits(self, pairs: Sequence[Pair], *, source: str) -> None:
        """StudentError, naming the limits and the options that would fit, when some of
        ``pairs`` (from ``source``, e.g. "task file:data.csv") exceed them."""
        ...
