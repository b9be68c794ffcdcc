"""The environment levels: the student, its evaluation and its training.

Two verbs, as in Gymnasium: ``reset(seed=...)`` warms the student up on the task's seed set
and evaluates it; ``step(examples)`` checks, trains, re-evaluates and returns a StepResult.
The teacher only ever sees the Observation; the test profile is for reporting.

Three levels (DataEnvGym's), registered in ``LEVELS`` by id:

- ``open-ended`` (envs/open_ended.py): the state is a sample of raw errors; the action is
  free-form examples.
- ``skill-list`` (here): the state is per-skill val scores; the action is per-skill counts.
- ``skill-tree`` (envs/skill_tree.py): the state is a forest skill -> subskills; the action is
  explore (add subskills) / exploit (re-allocate, zero prunes).

``Environment`` holds what they share; a level overrides ``observation`` and the two hooks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from envs.alerts import forgetting_alerts
from envs.evaluation import evaluate
from envs.level import Level
from envs.quality.checks import DEFAULT_CHECKS, QualityChecker
from envs.records import Example, Observation, Plan, SkillProfile, StepResult, Subskill, Verdict
from envs.tasks.task import Task
from students.base import Student, TrainReport
from students.errors import ConfigError, CurriculabError
from students.options import Checked, at_least, within
from students.registry import Registry
from students.seeding import derive_seed

# continue: train the current weights on the new examples; retrain: from the initial weights
# on everything accumulated (DataEnvGym's)
Regime = Literal["continue", "retrain"]
REGIMES: tuple[str, ...] = get_args(Regime)


@dataclass(frozen=True, slots=True)
class EnvConfig(Checked):
    """How the environment checks and trains, and what the teacher is shown (a run config's
    ``env`` section)."""

    regime: Regime = "continue"
    errors_shown: int = field(default=20, metadata=at_least(0))  # in Skill-List / Skill-Tree
    raw_errors: int = field(default=100, metadata=at_least(0))  # Open-Ended: its whole state
    checks: tuple[str, ...] = DEFAULT_CHECKS  # quality checks, by name (envs.quality.checks)
    # the "known" check keeps this fraction of the examples the student already answers right
    known_keep: float = field(default=0.0, metadata=within(0, 1))
    # a forgetting alert when a skill's val accuracy falls this far below its best
    alert_drop: float = field(default=0.10, metadata=within(0, 1, low_open=True))
    warmup: bool = True  # train on the task's seed set before the first evaluation

    WHERE = "env"


# The other levels subclass Environment, so they register themselves from their own modules,
# imported on first use of the registry (importing them here would be an import circle).
LEVELS: Registry[Environment] = Registry(
    "environment level", builtins=("envs.open_ended", "envs.skill_tree"), group="curriculab.levels")


class Environment:
    """What every level shares: reset, step, restore; a level shapes the observation."""

    level: Level  # each level's class names itself
    judges = False  # ask the student about every generated example, even without "known"

    def __init__(self, task: Task, student: Student, config: EnvConfig = EnvConfig(),
                 *, progress: bool = False) -> None:
        self.task, self.student, self.config, self.progress = task, student, config, progress
        self.checker = QualityChecker(task, config.checks, known_keep=config.known_keep)
        self.val_items, self.test_items = task.split("val"), task.split("test")
        self.skill_names = tuple(s.name for s in task.skills if s.parent is None)
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
        self.checker = QualityChecker(self.task, self.config.checks,
                                      known_keep=self.config.known_keep, seed=seed)
        self._reset_state()
        t0 = time.perf_counter()
        seed_items = self.task.split("seed")
        if self.config.warmup and seed_items:
            self.on_phase("train")
            self.student.train(seed_items, seed=derive_seed(seed, "warmup"), progress=self.progress)
        t1 = time.perf_counter()
        self.on_phase("evaluate")
        self.val, self.test = self._evaluate()
        self.timings = {"train": t1 - t0, "evaluate": time.perf_counter() - t1, "check": 0.0}
        return self.observation()

    def step(self, examples: Sequence[Example], *, plan: Plan | None = None) -> StepResult:
        """Check the examples (asking the student about them first when a check needs it),
        train on the kept ones, re-evaluate. ``plan`` is the action the examples were made
        for; the Skill-Tree level reads its subskill allocations."""
        if self.val is None or self._seed is None:
            raise ConfigError("call reset() before step()")
        self.iteration += 1
        t0 = time.perf_counter()
        self.on_phase("check")
        examples = self._prepare(examples)
        judge = self._judge if self.judges or "known" in self.config.checks else None
        verdicts = tuple(self.checker(examples, judge=judge, iteration=self.iteration))
        kept = [v.example for v in verdicts if v.kept]
        self.accumulated.extend(kept)
        self._after_checks(verdicts, plan)
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
        alerts = forgetting_alerts(self.iteration, self.past, self.val, self.config.alert_drop)
        return StepResult(self.observation(), self.val.mean_accuracy - before.mean_accuracy,
                          changes, verdicts, report, self.test, dict(self.timings), alerts)

    # -- resume --------------------------------------------------------------------------
    def restore(self, *, seed: int, iteration: int, val: SkillProfile, test: SkillProfile,
                accumulated: Sequence[Example], past: Sequence[Mapping[str, float]],
                forest: Sequence[Subskill] = ()) -> Observation:
        """Continue from recorded state (the student's weights are loaded by the caller).
        ``forest`` is the Skill-Tree state at ``iteration``; other levels ignore it."""
        self._seed, self.iteration, self.val, self.test = seed, iteration, val, test
        self.accumulated, self.past = list(accumulated), list(past)
        self.checker = QualityChecker(self.task, self.config.checks,
                                      known_keep=self.config.known_keep, seed=seed)
        self.checker.remember(self.accumulated)
        self._reset_state(forest)
        return self.observation()

    # -- what a level shapes -------------------------------------------------------------
    def observation(self) -> Observation:
        assert self.val is not None
        return Observation(self.iteration, self.val, self._errors(self.config.errors_shown),
                           tuple(self.past), len(self.accumulated), self.level, self.skill_names)

    def _reset_state(self, forest: Sequence[Subskill] = ()) -> None:
        """Level state beyond the shared one (the Skill-Tree forest)."""

    def _prepare(self, examples: Sequence[Example]) -> list[Example]:
        """The examples as the checks see them (Open-Ended labels free-form ones)."""
        return list(examples)

    def _after_checks(self, verdicts: Sequence[Verdict], plan: Plan | None) -> None:
        """Level bookkeeping once the examples are checked, before training."""

    # -- internals -----------------------------------------------------------------------
    def _errors(self, limit: int) -> tuple:
        assert self.val is not None and self._seed is not None
        errors = self.val.errors()
        random.Random(derive_seed(self._seed, "errors", self.iteration)).shuffle(errors)
        return tuple(errors[:limit])

    def _judge(self, examples: Sequence[Example]) -> list[bool | None]:
        """Does the student already answer each example right? (one batched predict)"""
        try:
            answers = self.student.predict([ex.prompt for ex in examples], progress=False)
        except CurriculabError:  # a prompt the student cannot read: ask one by one
            return [self._judge_one(ex) for ex in examples]
        return [self.task.score(ex.answer, a) for ex, a in zip(examples, answers)]

    def _judge_one(self, example: Example) -> bool | None:
        try:
            return self.task.score(example.answer, self.student.predict([example.prompt])[0])
        except CurriculabError:
            return None

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


@LEVELS.register(Level.SKILL_LIST.value)  # registry ids are plain text, as configs hold them
class SkillListEnv(Environment):
    """State = per-skill val scores and sampled errors; action = per-skill counts."""

    level = Level.SKILL_LIST
