"""Quality checks on generated examples, applied in order; rejected examples keep a reason.

The pipeline, each step optional and named so a run config can switch it on and off:

1. ``verify``: the answer must pass the task's verifier (empty or unreadable prompts fail).
2. ``dedup``: exact and near duplicates of an example kept earlier in the run (or earlier in
   the same batch) are removed.
3. ``decontaminate``: exact and near copies of a val or test prompt are removed.
4. ``known``: examples the student already answers correctly before training are dropped,
   except a configurable fraction (``known_keep``) of them.

Each check takes the examples still kept and returns, per example, ``None`` (keep) or the
reason for rejecting it.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from envs.records import Example, Verdict
from envs.quality.similarity import NearIndex, normalise
from envs.tasks.task import Task
from students.errors import ConfigError
from students.seeding import derive_seed

Check = Callable[[Sequence[Example], "CheckContext"], list[str | None]]
Judge = Callable[[Sequence[Example]], list[bool | None]]  # did the student answer it right?
CHECKS: dict[str, Check] = {}
DEFAULT_CHECKS = ("verify", "dedup", "decontaminate")
ALL_CHECKS = ("verify", "dedup", "decontaminate", "known")  # the order they run in
KNOWN_REASON = "the student already knows it"

__all__ = ["CHECKS", "DEFAULT_CHECKS", "CheckContext", "QualityChecker", "normalise"]


@dataclass
class CheckContext:
    """What checks may consult: the task, the held-out prompts, what the run already kept,
    and the student's judgement of each example (set by the environment before training)."""

    task: Task
    heldout: NearIndex
    seen: NearIndex = field(default_factory=NearIndex)
    known: dict[Example, bool | None] = field(default_factory=dict)
    known_keep: float = 0.0
    seed: int = 0
    iteration: int = 0


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


@check("dedup")
def _dedup(examples: Sequence[Example], ctx: CheckContext) -> list[str | None]:
    batch = NearIndex()
    reasons: list[str | None] = []
    for ex in examples:
        found = ctx.seen.match(ex.prompt) or batch.match(ex.prompt)
        reasons.append(None if found is None else
                       "duplicate of an earlier example" if found == "exact"
                       else "near-duplicate of an earlier example")
        if found is None:
            batch.add(ex.prompt)
    return reasons


@check("decontaminate")
def _decontaminate(examples: Sequence[Example], ctx: CheckContext) -> list[str | None]:
    reasons: list[str | None] = []
    for ex in examples:
        found = ctx.heldout.match(ex.prompt)
        reasons.append(None if found is None else "copies a val/test item" if found == "exact"
                       else "near copy of a val/test item")
    return reasons


@check("known")
def _known(examples: Sequence[Example], ctx: CheckContext) -> list[str | None]:
    """Keep ``known_keep`` of the known examples per skill (a seeded choice), drop the rest."""
    by_skill: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        if ctx.known.get(ex):
            by_skill[ex.skill].append(i)
    dropped: set[int] = set()
    for skill, idx in by_skill.items():
        rng = random.Random(derive_seed(ctx.seed, "known", ctx.iteration, skill))
        order = rng.sample(idx, len(idx))
        dropped.update(order[math.floor(ctx.known_keep * len(idx) + 0.5):])
    return [KNOWN_REASON if i in dropped else None for i in range(len(examples))]


class QualityChecker:
    """Runs the named checks, in the pipeline's order, over a batch of generated examples."""

    def __init__(self, task: Task, checks: Sequence[str] = DEFAULT_CHECKS, *,
                 known_keep: float = 0.0, seed: int = 0) -> None:
        unknown = [c for c in checks if c not in CHECKS]
        if unknown:
            raise ConfigError(f"unknown quality check(s) {unknown} (known: {sorted(CHECKS)})")
        if not 0.0 <= known_keep <= 1.0:
            raise ConfigError(f"known_keep must be within [0, 1], got {known_keep}")
        self.checks = tuple(c for c in ALL_CHECKS if c in checks) + tuple(
            c for c in checks if c not in ALL_CHECKS)
        heldout = NearIndex()
        for split in ("val", "test"):
            for item in task.split(split):
                heldout.add(item.prompt)
        self.context = CheckContext(task, heldout, known_keep=known_keep, seed=seed)

    def remember(self, examples: Sequence[Example]) -> None:
        """Count ``examples`` as kept earlier in the run (a resumed run calls this)."""
        for ex in examples:
            self.context.seen.add(ex.prompt)

    def __call__(self, examples: Sequence[Example], *, judge: Judge | None = None,
                 iteration: int = 0) -> list[Verdict]:
        """Verdicts in input order. ``judge`` asks the student about every example that passed
        ``verify``; its answers fill ``Verdict.known`` and feed the ``known`` check."""
        ctx, reasons = self.context, {}
        ctx.iteration, ctx.known = iteration, {}
        for name in self.checks:
            if name == "known" or (judge and not ctx.known and name != "verify"):
                self._judge(examples, reasons, judge)
            alive = [i for i in range(len(examples)) if i not in reasons]
            found = CHECKS[name]([examples[i] for i in alive], ctx)
            reasons.update({i: r for i, r in zip(alive, found) if r is not None})
        if judge and not ctx.known:
            self._judge(examples, reasons, judge)
        verdicts = [Verdict(ex, i not in reasons, reasons.get(i, ""), ctx.known.get(ex))
                    for i, ex in enumerate(examples)]
        self.remember([v.example for v in verdicts if v.kept])
        return verdicts

    def _judge(self, examples: Sequence[Example], reasons: dict[int, str],
               judge: Judge | None) -> None:
        if judge is None or self.context.known:
            return
        asked = [ex for i, ex in enumerate(examples) if i not in reasons]
        self.context.known = dict(zip(asked, judge(asked)))
