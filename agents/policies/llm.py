"""``llm``: an LLM reads the observation of the environment level and returns a plan with
reasoning. Its memory (past plans, the skill forest of Skill-Tree) is JSON state, so a
resumed run renders exactly the prompt the uninterrupted run would have, and replays the
cached call instead of paying for it again. A person's edits reach it through ``adopt``."""

from __future__ import annotations

from collections.abc import Mapping
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from agents.graphs.policy.context import PolicyContext
from agents.graphs.policy.graph import policy_graph
from agents.graphs.policy.state import plan_from_dict
from agents.llm.client import LLMClient
from agents.policy import POLICIES
from envs.level import Level
from envs.records import Observation, Plan
from envs.tasks.task import Task
from students.errors import ConfigError
from students.options import Checked, at_least, build


@dataclass(frozen=True, slots=True)
class LLMPolicyOptions(Checked):
    errors_shown: int = field(default=12, metadata=at_least(0))  # student errors in the prompt
    history_shown: int = field(default=5, metadata=at_least(0))  # past plans in the prompt
    # when the LLM gives no usable plan: "none" fails the run; "weakest" plans weakest-first
    # for that iteration (marked as a fallback in the plan, on the terminal, in show and the app)
    fallback: Literal["none", "weakest"] = "none"

    WHERE = "teacher.policy_options"


@POLICIES.register("llm")
class LLMPolicy:
    """A ``RemembersPlans`` policy: its past plans are part of its next prompt."""

    def __init__(self, *, llm: LLMClient | None = None, task: Task | None = None,
                 level: str = Level.SKILL_LIST, seed: int = 0, **options: Any) -> None:
        self.options = build(LLMPolicyOptions, options, "teacher.policy_options")
        if llm is None or task is None:
            raise ConfigError("policy 'llm' needs an LLM endpoint: set llm.base_url and "
                              "llm.model in the config (or --base-url/--model)")
        self.llm, self.task, self.level, self.seed = llm, task, Level.parse(level), seed
        self.errors_shown = self.options.errors_shown
        self.history_shown = self.options.history_shown
        self.memory: dict[str, Any] = {"plans": [], "forest": {}}
        self.graph = policy_graph()
        self.last_error: str | None = None
        # the last plan's iteration and the memory before it: adopt() replaces that plan
        self._proposed: tuple[int, Mapping[str, Any]] | None = None

    def plan(self, observation: Observation, budget: int) -> Plan:
        """Run the graph and remember the plan it proposes (``adopt`` replaces it)."""
        context = PolicyContext(self.llm, self.task, observation, budget, self.level, self.seed,
                                self.memory, self.errors_shown, self.history_shown,
                                self.options.fallback)
        out = self.graph.invoke({}, context=context)
        self.last_error = out.get("error")
        if self.last_error:
            print(f"curriculab: iteration {observation.iteration + 1}: no usable LLM plan"
                  f" ({self.last_error[:160]}); planned weakest-first instead"
                  " (teacher.policy_options.fallback)", file=sys.stderr)
        plan = plan_from_dict(out["proposal"])
        self._proposed = (observation.iteration + 1, self.state())
        self._remember(observation.iteration + 1, plan)
        return plan

    def adopt(self, plan: Plan) -> None:
        """Remember ``plan`` (a person's edit of the last proposal, say) instead of the proposal."""
        if self._proposed is None:
            raise RuntimeError("call plan() before adopt()")
        iteration, before = self._proposed
        self.load_state(before)
        self._remember(iteration, plan)

    def state(self) -> Mapping[str, Any]:
        return {"plans": [dict(p) for p in self.memory["plans"]],
                "forest": {s: {n: dict(v) for n, v in subs.items()}
                           for s, subs in self.memory["forest"].items()}}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.memory = {"plans": [dict(p) for p in state.get("plans", [])],
                       "forest": {s: {n: dict(v) for n, v in subs.items()}
                                  for s, subs in state.get("forest", {}).items()}}

    def _remember(self, iteration: int, plan: Plan) -> None:
        self.memory["plans"] = [*self.memory["plans"],
                                {"iteration": iteration, "allocations": dict(plan.allocations)}]
        self.memory["plans"] = self.memory["plans"][-max(self.history_shown, 1):]
        described = plan.values.get("subskill_descriptions") or {}
        forest = self.memory["forest"]
        for skill, subs in plan.subskills.items():
            known = forest.setdefault(skill, {})
            for name in known:  # a subskill the plan leaves out gets nothing this time
                known[name]["allocation"] = 0
            for name, n in subs.items():
                entry = known.setdefault(name, {"allocation": 0, "generated": 0,
                                                "description": ""})
                entry["allocation"] = int(n)
                entry["generated"] += int(n)
                entry["description"] = (described.get(skill) or {}).get(name) or entry["description"]
