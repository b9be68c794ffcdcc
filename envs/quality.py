"""Quality checks on generated examples, applied in order; rejected examples keep a reason.

Each check takes the examples still kept and returns, per example, ``None`` (keep) or the
reason for rejecting it. Checks are named so a run config can switch them on and off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from envs.records import Example, Verdict
from envs.task import Task
from students.errors import ConfigError

Check = Callable[[Sequence[Example], "CheckContext"], list[str | None]]
CHECKS: dict[str, Check] = {}
DEFAULT_CHECKS = ("verify", "decontaminate")


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()


@dataclass
class CheckContext:
    """What checks may consult: the task, the held-out prompts, what the run already kept."""

    task: Task
    heldout: frozenset[str]
    seen: set[str] = field(default_factory=set)


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return register


@check("verify")
def _verify(examples: Sequence[Example], ctx: CheckContext) -> list[str | None]:
    reasons: list[str | None] = []
    for ex in examples:
        if not ex.prompt.strip() or not ex.answer.strip():
            reasons.append("empty prompt or answer")
            continue
        try:
            expected = ctx.task.oracle(ex.skill, ex.prompt)
        except Exception as e:  # noqa: BLE001 - a prompt the task cannot read is a reject
            reasons.append(f"prompt not in the task's format: {e}")
            continue
        ok = expected is None or ctx.task.score(expected, ex.answer)
        reasons.append(None if ok else f"wrong answer: verifier expects {expected!r}")
    return reasons


@check("decontaminate")
def _decontaminate(examples: Sequence[Example], ctx: CheckContext) -> list[str | None]:
    return [
        "copies a val/test item" if normalise(ex.prompt) in ctx.heldout else None
        for ex in examples
    ]


class QualityChecker:
    """Runs the named checks in order over a batch of generated examples."""

    def __init__(self, task: Task, checks: Sequence[str] = DEFAULT_CHECKS) -> None:
        unknown = [c for c in checks if c not in CHECKS]
        if unknown:
            raise ConfigError(f"unknown quality check(s) {unknown} (known: {sorted(CHECKS)})")
        self.checks = tuple(checks)
        heldout = {normalise(i.prompt) for split in ("val", "test") for i in task.split(split)}
        self.context = CheckContext(task, frozenset(heldout))

    def __call__(self, examples: Sequence[Example]) -> list[Verdict]:
        reasons: dict[int, str] = {}
        for name in self.checks:
            alive = [i for i in range(len(examples)) if i not in reasons]
            found = CHECKS[name]([examples[i] for i in alive], self.context)
            reasons.update({i: r for i, r in zip(alive, found) if r is not None})
        verdicts = [Verdict(ex, i not in reasons, reasons.get(i, "")) for i, ex in enumerate(examples)]
        self.context.seen.update(normalise(v.example.prompt) for v in verdicts if v.kept)
        return verdicts
