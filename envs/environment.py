"""The Skill-List environment: the student, its evaluation and its training.

Two verbs, as in Gymnasium: ``reset(seed=...)`` warms the student up on the task's seed set
and evaluates it; ``step(examples)`` checks, trains, re-evaluates and returns a StepResult.
The teacher only ever sees the Observation; the test profile is for reporting.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from envs.evaluation import evaluate
from envs.quality import DEFAULT_CHECKS, QualityChecker, normalise
from envs.records import Example, Observation, SkillProfile, StepResult
from envs.task import Task
from students.base import Student, TrainReport
from students.errors import ConfigError
from students.registry import Registry
from students.seeding import derive_seed

REGIMES = ("continue", "retrain")


@dataclass(frozen=True, slots=True)
class EnvConfig:
    """How the environment trains and what the teacher is shown."""

    regime: str = "continue"  # continue from current weights | retrain from initial on all data
    errors_shown: int = 20
    checks: tuple[str, ...] = DEFAULT_CHECKS
    warmup: bool = True

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise ConfigError(f"unknown training regime {self.regime!r} (known: {', '.join(REGIMES)})")


LEVELS: Registry = Registry("environment level")


@LEVELS.register("skill-list")
class SkillListEnv:
    """State = per-skill val scores and sampled errors; action = generated examples."""

    level = "skill-list"

    def __init__(self, task: Task, student: Student, config: EnvConfig = EnvConfig(),
                 *, progress: bool = False) -> None:
        self.task, self.student, self.config, self.progress = task, student, config, progress
        self.checker = QualityChecker(task, config.checks)
        self.val_items, self.test_items = task.split("val"), task.split("test")
        self._seed: int | None = None
        self.iteration = 0
        self.val: SkillProfile | None = None
        self.test: SkillProfile | None = None  # reporting only
        self.accumulated: list[Example] = []
        self.past: list[Mapping[str, float]] = []
        self.timings: dict[str, float] = {}
        self.on_phase: Callable[[str], None] = lambda phase: None  # live progress for watchers

    # -- the two verbs -------------------------------------------------------------------
    def reset(self, *, seed: int) -> Observation:
        """Warm the student up on the seed set, then evaluate it (iteration 0)."""
        self._seed, self.iteration = seed, 0
        self.accumulated, self.past = [], []
        t0 = time.perf_counter()
        seed_items = self.task.split("seed")
        if self.config.warmup and seed_items:
            self.student.train(seed_items, seed=derive_seed(seed, "warmup"), progress=self.progress)
        t1 = time.perf_counter()
        self.val, self.test = self._evaluate()
        self.timings = {"train": t1 - t0, "evaluate": time.perf_counter() - t1, "check": 0.0}
        return self.observation()

    def step(self, examples: Sequence[Example]) -> StepResult:
        """Check the examples, train on the kept ones, re-evaluate."""
        if self.val is None or self._seed is None:
            raise ConfigError("call reset() before step()")
        self.iteration += 1
        t0 = time.perf_counter()
        self.on_phase("check")
        verdicts = tuple(self.checker(list(examples)))
        kept = [v.example for v in verdicts if v.kept]
        self.accumulated.extend(kept)
        t1 = time.perf_counter()
        self.on_phase("train")
        report = self._train(kept)
        t2 = time.perf_counter()
        self.on_phase("evaluate")
        before = self.val
        self.past.append({s.skill: s.accuracy for s in before.scores})
        self.val, self.test = self._evaluate()
        self.timings = {"check": t1 - t0, "train": t2 - t1, "evaluate": time.perf_counter() - t2}
        changes = {s.skill: s.change or 0.0 for s in self.val.scores}
        return StepResult(self.observation(), self.val.mean_accuracy - before.mean_accuracy,
                          changes, verdicts, report, self.test, dict(self.timings))

    # -- resume --------------------------------------------------------------------------
    def restore(self, *, seed: int, iteration: int, val: SkillProfile, test: SkillProfile,
                accumulated: Sequence[Example], past: Sequence[Mapping[str, float]]) -> Observation:
        """Continue from recorded state (the student's weights are loaded by the caller)."""
        self._seed, self.iteration, self.val, self.test = seed, iteration, val, test
        self.accumulated, self.past = list(accumulated), list(past)
        self.checker.context.seen.update(normalise(ex.prompt) for ex in accumulated)
        return self.observation()

    # -- internals -----------------------------------------------------------------------
    def observation(self) -> Observation:
        assert self.val is not None and self._seed is not None
        errors = self.val.errors()
        random.Random(derive_seed(self._seed, "errors", self.iteration)).shuffle(errors)
        return Observation(self.iteration, self.val, tuple(errors[: self.config.errors_shown]),
                           tuple(self.past), len(self.accumulated))

    def _train(self, kept: list[Example]) -> TrainReport:
        seed = derive_seed(self._seed, "train", self.iteration)
        if self.config.regime == "retrain":
            self.student.reinit()
            seed_items = list(self.task.split("seed")) if self.config.warmup else []
            return self.student.train(seed_items + self.accumulated, seed=seed, progress=self.progress)
        if not kept:
            return TrainReport(0, 0, 0, 0.0, None, None)
        return self.student.train(kept, seed=seed, progress=self.progress)

    def _evaluate(self) -> tuple[SkillProfile, SkillProfile]:
        val = evaluate(self.student, self.task, "val", self.val_items, previous=self.val,
                       progress=self.progress)
        test = evaluate(self.student, self.task, "test", self.test_items, previous=self.test,
                        progress=self.progress)
        return val, test
