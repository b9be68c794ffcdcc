"""``sim``: a simulated student whose competence per skill follows a learning curve.

A world (``World``) gives each *unit* (a skill, or a level of one) a law (``Law``): its
competence is ``cap * (1 - exp(-m / scale))``, where ``m`` is its effective practice. Training
on ``n`` examples of a unit adds ``n * gate`` to ``m``; the gate is 1 without a prerequisite and
``floor + (1 - floor) * c_pre ** 2`` with one (``c_pre`` the prerequisite's competence before
the step), so a level learns slowly until the one below it is learnt. Examples of a unit's
rivals (``interferes``) shrink its ``m`` by ``exp(-n / forget)`` before its own examples count:
keeping it needs rehearsal while they are taught. ``start`` is the competence after the seed set.

The student answers a prompt it was trained on from memory (so a unit with ``cap`` 0 is
memorised but never generalises); any other prompt right with probability equal to its
unit's competence: a prompt's fixed uniform (a hash of seed and prompt) shifted by one per
training state (a hash of seed and training call), modulo 1, so predictions are reproducible
and each evaluation's right answers are drawn afresh. Its wrong answers are real wrong strings
(the right one, altered). It knows no task: the world's ``key`` tells it a prompt's unit and
right answer, and the environment's side fills the world in (``bind``). Thousands of iterations a second: no model, no tensors.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from students import STUDENTS
from students.base import Pair, TrainReport
from students.checkpoint import write_atomically
from students.errors import StudentError
from students.options import Checked, at_least, build, within

STATE = "sim.json"
Key = Callable[[str], "tuple[str, str] | None"]  # prompt -> (unit, right answer), or None


@dataclass(frozen=True, slots=True)
class Law(Checked):
    """How one unit learns (see the module docstring)."""

    start: float = field(default=0.0, metadata=within(0, 1))  # competence after the seed set
    scale: float = field(default=200.0, metadata=at_least(1))  # examples per e-fold of the gap
    cap: float = field(default=1.0, metadata=within(0, 1))  # 0: memorised, never generalised
    prerequisite: str | None = None  # the unit whose competence gates this one's learning
    floor: float = field(default=0.05, metadata=within(0, 1))  # the gate with nothing learnt below
    interferes: tuple[str, ...] = ()  # units whose examples erode this one
    forget: float = field(default=300.0, metadata=at_least(1))  # their examples per e-fold of m

    WHERE = "sim law"


@dataclass(frozen=True, slots=True)
class World:
    """The units' laws and the key that reads a prompt's unit and right answer."""

    laws: Mapping[str, Law]
    key: Key


@runtime_checkable
class Simulated(Protocol):
    """A student that needs its world filled in before it learns (``SimStudent``)."""

    def bind(self, world: World) -> None: ...


@dataclass(frozen=True, slots=True)
class SimOptions(Checked):
    seed: int = 0  # the stream of right/wrong draws

    WHERE = "student.options"


def _practice(law: Law) -> float:
    """The practice ``m`` at which the law's competence is its ``start``."""
    if law.cap <= 0 or law.start <= 0:
        return 0.0
    gap = 1 - min(law.start / law.cap, 0.999999)
    return -law.scale * math.log(gap)


def _uniform(*parts: object) -> float:
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def wrong(answer: str) -> str:
    """A real wrong answer: the right one with its last character changed (or one added)."""
    if not answer:
        return "0"
    last = answer[-1]
    swap = {"0": "1", "1": "0"}.get(last, "0" if last.isdigit() else "a" if last != "a" else "b")
    return answer[:-1] + swap


@STUDENTS.register("sim")
class SimStudent:
    """A ``Student`` whose competence is simulated (see the module docstring)."""

    def __init__(self, **options: Any) -> None:
        self.options = build(SimOptions, options, "student.options")
        self.world = World({}, lambda prompt: None)
        self._keys: dict[str, tuple[str, str] | None] = {}
        self._draws: dict[str, float] = {}  # a fixed uniform per prompt
        self.reinit()

    def bind(self, world: World) -> None:
        """Take the task's world: its laws and its key. The student starts afresh."""
        unknown = sorted({law.prerequisite for law in world.laws.values()} - {None} - set(world.laws))
        if unknown:
            raise StudentError(f"sim: prerequisites name no unit of the world: {unknown}")
        self.world, self._keys = world, {}
        self.reinit()

    def competence(self, unit: str) -> float:
        """The unit's competence now (0 for a unit the world does not name)."""
        law = self.world.laws.get(unit)
        return 0.0 if law is None else law.cap * (1 - math.exp(-self._m.get(unit, 0.0) / law.scale))

    def train(self, pairs: Sequence[Pair], *, seed: int, progress: bool = False) -> TrainReport:
        """Practice from the examples' units; every example is remembered verbatim."""
        t0 = time.perf_counter()
        counts: Counter[str] = Counter()
        for pair in pairs:
            self._memory[pair.prompt] = pair.answer
            found = self._key(pair.prompt)
            if found is not None:
                counts[found[0]] += 1
        before = {unit: self.competence(unit) for unit in self.world.laws}
        for unit, law in self.world.laws.items():
            rivals = sum(counts[u] for u in law.interferes)
            m = self._m.get(unit, 0.0) * math.exp(-rivals / law.forget)
            pre = law.prerequisite
            gate = 1.0 if pre is None else law.floor + (1 - law.floor) * before[pre] ** 2
            self._m[unit] = m + counts[unit] * gate
        self._calls += 1
        return TrainReport(len(pairs), 1 if pairs else 0, 0, time.perf_counter() - t0, None, None)

    def predict(self, prompts: Sequence[str], *, progress: bool = False) -> list[str]:
        """From memory, else right with probability equal to the unit's competence."""
        answers = []
        competence = {unit: self.competence(unit) for unit in self.world.laws}
        offset = _uniform(self.options.seed, self._calls)  # this training state's draw
        for prompt in prompts:
            if prompt in self._memory:
                answers.append(self._memory[prompt])
                continue
            found = self._key(prompt)
            if found is None:
                answers.append("?")
                continue
            unit, right = found
            draw = (self._draws.get(prompt) or self._draw(prompt)) + offset
            answers.append(right if draw % 1.0 < competence.get(unit, 0.0) else wrong(right))
        return answers

    def reinit(self) -> None:
        """Back to the competence after the seed set, with nothing memorised."""
        self._m = {unit: _practice(law) for unit, law in self.world.laws.items()}
        self._memory: dict[str, str] = {}
        self._calls = 0

    def save(self, directory: Path) -> None:
        state = {"m": self._m, "memory": self._memory, "calls": self._calls}
        write_atomically(Path(directory), lambda tmp: (tmp / STATE).write_text(json.dumps(state)),
                         what="the sim student")

    def load(self, directory: Path) -> None:
        path = Path(directory) / STATE
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise StudentError(f"sim: cannot read checkpoint {path}: {e}") from e
        self._m, self._memory, self._calls = dict(state["m"]), dict(state["memory"]), int(state["calls"])

    def _draw(self, prompt: str) -> float:
        self._draws[prompt] = _uniform(self.options.seed, prompt)
        return self._draws[prompt]

    def _key(self, prompt: str) -> tuple[str, str] | None:
        if prompt not in self._keys:
            self._keys[prompt] = self.world.key(prompt)
        return self._keys[prompt]
