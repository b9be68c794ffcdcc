"""``file``: a task made from a data file (JSONL, CSV or Parquet) of prompts and answers.

    make("file", path="problems.jsonl")          # columns prompt, answer [, skill] [, split]

Answers are checked by normalised exact match. When every answer in the file is a number,
the data says its answers are numeric, and they are also compared by value ("1,000" =
"1000.0", "3/4" = "0.75"); a comma counts only as a thousands separator in a well-formed
number, so the list answer "0,1,2,5,7" is never the number 1257. Without a ``split`` column each prompt is assigned to
seed / val / test by a hash of its text, so duplicates never straddle val and test. Without a
``skill`` column every item is in one skill until skill discovery labels them
(``with_skills``); a task without an oracle is checked by answer agreement in the LLM engine.
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from envs.tasks.filedata import Columns, Row, read_rows
from envs.quality.checks import normalise
from envs.records import Item, Skill
from envs.tasks.task import SPLIT_NAMES, TASKS
from students.errors import DataError
from students.options import Checked, at_least, build

UNLABELLED = "all"
SPLIT_ALIASES = {"seed": "seed", "train": "seed", "val": "val", "validation": "val",
                 "dev": "val", "test": "test"}
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$")  # "1,000", "-12,345.5"


def same_answer(reference: str, prediction: str, *, numeric: bool = False) -> bool:
    """Normalised exact match (case, spaces, a final period); with ``numeric``, also equal
    values when both sides are well-formed numbers."""
    a, b = _norm(reference), _norm(prediction)
    if a == b:
        return True
    if not numeric:
        return False
    x, y = _number(a), _number(b)
    return x is not None and y is not None and math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)


def is_number(text: str) -> bool:
    """Is ``text`` one well-formed number (commas only as thousands separators)?"""
    return _number(_norm(text)) is not None


def _norm(text: str) -> str:
    return normalise(text).rstrip(".").strip()


def _number(text: str) -> float | None:
    text = text.replace("$", "").strip()
    if "," in text:
        if not _GROUPED.match(text):
            return None
        text = text.replace(",", "")
    if text.count("/") == 1:
        num, den = (p.strip() for p in text.split("/"))
        if _NUMBER.match(num) and _NUMBER.match(den) and float(den) != 0:
            return float(Fraction(num) / Fraction(den))
        return None
    return float(text) if _NUMBER.match(text) else None


class FileTask:
    """The rows of one file as a Task: ``split``, ``score``, and no oracle."""

    def __init__(self, path: str | Path, *, columns: Columns = Columns(),
                 fractions: Sequence[float] = (0.2, 0.4, 0.4), seed: int = 0) -> None:
        self.path = Path(path)
        rows, self.labelled = read_rows(self.path, columns)
        self.fingerprint = hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]
        self.id = f"file:{self.path.name}"
        self._items = _items(rows, columns, self.labelled, _fractions(fractions), seed, self.path)
        self.numeric = all(is_number(i.answer) for i in self.items())
        self._finish()

    def _finish(self) -> None:
        names = list(dict.fromkeys(i.skill for items in self._items.values() for i in items))
        counts = {n: sum(i.skill == n for items in self._items.values() for i in items)
                  for n in names}
        self.skills = tuple(Skill(n, f"{counts[n]} items from {self.path.name}") for n in names)
        self.description = (f"Questions from {self.path.name}; the answer is the short final "
                             "answer only. Answers are compared after normalising case and "
                             "spaces" + (", and numbers by value." if self.numeric else "."))
        for name in ("val", "test"):
            if not self._items[name]:
                raise DataError(f"{self.path}: too few rows to fill the {name} split "
                                "(add rows or a 'split' column)")

    @property
    def needs_skills(self) -> bool:
        """True when the file has no skill labels (skill discovery can supply them)."""
        return not self.labelled

    def split(self, name: str) -> tuple[Item, ...]:
        if name not in SPLIT_NAMES:
            raise DataError(f"unknown split {name!r} (known: {', '.join(SPLIT_NAMES)})")
        return self._items[name]

    def items(self) -> tuple[Item, ...]:
        return tuple(i for name in SPLIT_NAMES for i in self._items[name])

    def score(self, reference: str, prediction: str) -> bool:
        return same_answer(reference, prediction, numeric=self.numeric)

    def oracle(self, skill: str, prompt: str) -> str | None:
        return None  # a file holds answers to its own rows only

    def with_skills(self, labels: Mapping[str, str]) -> FileTask:
        """A copy whose items take their skill from ``labels`` (item id -> skill)."""
        missing = [i.id for i in self.items() if i.id not in labels]
        if missing:
            raise DataError(f"{self.path}: skill labels miss {len(missing)} item(s), "
                            f"e.g. {missing[:3]}")
        task = copy.copy(self)
        task.labelled = True
        task._items = {name: tuple(replace(i, skill=labels[i.id]) for i in items)
                       for name, items in self._items.items()}
        task._finish()
        return task


def _fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not sum(fractions) > 0:
        raise DataError(f"fractions must be three non-negative numbers (seed, val, test), "
                        f"got {list(fractions)}")
    total = float(sum(fractions))
    return tuple(f / total for f in fractions)  # type: ignore[return-value]


def _items(rows: list[Row], columns: Columns, labelled: bool, fractions: tuple[float, float, float],
           seed: int, path: Path) -> dict[str, tuple[Item, ...]]:
    out: dict[str, list[Item]] = {name: [] for name in SPLIT_NAMES}
    for row in rows:
        prompt = row.values[columns.prompt].strip()  # type: ignore[union-attr]
        answer = row.values[columns.answer].strip()  # type: ignore[union-attr]
        skill = row.values[columns.skill].strip() if labelled else UNLABELLED  # type: ignore[union-attr,index]
        name = _split_of(row, columns, prompt, fractions, seed, path)
        out[name].append(Item(row.key, skill, prompt, answer))
    return {name: tuple(items) for name, items in out.items()}


def _split_of(row: Row, columns: Columns, prompt: str, fractions: tuple[float, float, float],
              seed: int, path: Path) -> str:
    given = row.values.get(columns.split) if columns.split else None
    if given:
        name = SPLIT_ALIASES.get(given.strip().lower())
        if name is None:
            raise DataError(f"{path} {row.where}, column {columns.split!r}: unknown split "
                            f"{given!r} (known: {', '.join(SPLIT_ALIASES)})")
        return name
    digest = hashlib.sha256(f"{seed}/{normalise(prompt)}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    return "seed" if u < fractions[0] else "val" if u < fractions[0] + fractions[1] else "test"


@dataclass(frozen=True, slots=True)
class FileOptions(Checked):
    """The options of ``make("file", path=...)``: the file, its column names, and how rows
    without a split column are dealt to seed / val / test."""

    path: str | None = None  # a JSONL, CSV or Parquet file
    prompt: str = "prompt"
    answer: str = "answer"
    skill: str = "skill"  # used when present; "" = the file has no skill column
    split: str = "split"  # used when present; "" = the file has no split column
    fractions: tuple[float, float, float] = field(default=(0.2, 0.4, 0.4), metadata=at_least(0))
    seed: int = 0  # of the hash that deals rows to splits

    WHERE = "task.options"


@TASKS.register("file")
def make_file_task(**options: Any) -> FileTask:
    """``make("file", path=...)``; the options are ``FileOptions``'s fields."""
    o = build(FileOptions, options, "task.options")
    if o.path is None:
        raise DataError("task 'file' needs a data file: make('file', path=...), "
                        "or `curriculab run --data FILE`")
    return FileTask(o.path, columns=Columns(o.prompt, o.answer, o.skill or None, o.split or None),
                    fractions=o.fractions, seed=o.seed)
