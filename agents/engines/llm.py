"""``llm``: an LLM writes the examples, in batches, in the task's prompt format.

Each batch asks for a little more than it needs (``spare``), because some examples are always
rejected and a top-up round costs a whole round trip. Where the task computes answers itself (the built-in tasks), the example's answer is the
task's and the teacher's own answer is only compared, its error rate recorded; otherwise
further samples answer each prompt and the majority decides. Shortfalls (failed calls,
rejected examples) are topped up for a few rounds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from agents.engine import ENGINES
from agents.graphs.engine.context import EngineContext
from agents.graphs.engine.graph import engine_graph
from agents.graphs.engine.record import generation_rows
from agents.graphs.engine.state import EngineState, Target
from agents.llm.client import LLMClient
from envs.quality.checks import normalise
from envs.records import Example, Observation, Plan
from envs.tasks.task import Task
from students.errors import ConfigError
from students.options import Checked, at_least, build, within


def has_oracle(task: Task, probe: int = 20) -> bool:
    """True when the task answers its own val prompts (so it can answer generated ones)."""
    return any(task.oracle(i.skill, i.prompt) is not None for i in task.split("val")[:probe])


def targets_of(plan: Plan) -> list[Target]:
    """One target per skill, or per subskill where the plan splits a skill (Skill-Tree)."""
    targets: list[Target] = []
    for skill, count in plan.allocations.items():
        subs = plan.subskills.get(skill) or {None: count}
        targets += [Target(skill=skill, subskill=sub, want=int(n)) for sub, n in subs.items() if n > 0]
    return targets


@dataclass(frozen=True, slots=True)
class LLMEngineOptions(Checked):
    batch_size: int = field(default=8, metadata=at_least(1))  # examples asked for per call
    spare: float = field(default=0.1, metadata=within(0, 1))  # asked for beyond the need
    max_rounds: int = field(default=3, metadata=at_least(1))  # top-up rounds for shortfalls
    samples: int = field(default=2, metadata=at_least(1))  # answers per prompt without an oracle
    errors_shown: int = field(default=3, metadata=at_least(0))
    examples_shown: int = field(default=3, metadata=at_least(0))

    WHERE = "teacher.engine_options"


@ENGINES.register("llm")
class LLMEngine:
    name = "llm"

    def __init__(self, *, task: Task, llm: LLMClient | None = None, seed: int = 0,
                 **options: Any) -> None:
        checked = build(LLMEngineOptions, options, "teacher.engine_options")
        if llm is None:
            raise ConfigError("engine 'llm' needs an LLM endpoint: set llm.base_url and "
                              "llm.model in the config (or --base-url/--model)")
        self.task, self.llm, self.seed = task, llm, seed
        self.options = asdict(checked)  # the engine graph's context takes them as keywords
        self.oracle = has_oracle(task)
        self.heldout = frozenset(normalise(i.prompt) for split in ("val", "test")
                                 for i in task.split(split))
        self.last: EngineState | None = None  # the last run's full state, for inspection
        engine_graph()  # compiled now, once per process, not inside the first generation

    def generate(self, plan: Plan, observation: Observation, *, iteration: int,
                 seed: int) -> list[Example]:
        context = EngineContext(self.llm, self.task, plan, observation, iteration, seed,
                                self.oracle, self.heldout, **self.options)
        start: EngineState = {"targets": targets_of(plan), "round": 0, "kept": [],
                              "rejected": [], "calls": {}, "checked": {}, "candidates": []}
        state = engine_graph().invoke(
            start, context=context,
            config={"recursion_limit": 4 * self.options["max_rounds"] + 10})
        self.last = state
        if self.llm.store.run_id is not None:  # lands with the call log, in the background
            self.llm.defer(generation_rows(self.llm.store.run_id, iteration, state,
                                           oracle=self.oracle))
        return [Example(c["prompt"], c["answer"], c["skill"], c["subskill"], self.name,
                        iteration, c.get("call_id")) for c in state["kept"]]
