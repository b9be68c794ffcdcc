"""``llm``: an LLM reads the observation of the environment level and returns a plan with
reasoning. Its memory (past plans, the skill forest of Skill-Tree) is JSON state, so a
resumed run renders exactly the prompt the uninterrupted run would have, and replays the
cached call instead of paying for it again."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from langgraph.types import Command

from agents.graphs.policy.context import LEVELS, PolicyContext
from agents.graphs.policy.graph import policy_graph
from agents.graphs.policy.state import plan_from_dict, plan_to_dict
from agents.llm.client import LLMClient
from agents.policy import POLICIES
from envs.records import Observation, Plan
from envs.tasks.task import Task
from students.errors import ConfigError

Steer = Callable[[Plan, Observation], Plan]


@POLICIES.register("llm")
class LLMPolicy:
    takes_steer = True  # the runner hands its steering hook to plan(), the graph interrupts

    def __init__(self, *, llm: LLMClient | None = None, task: Task | None = None,
                 level: str = "skill-list", seed: int = 0, errors_shown: int = 12,
                 history_shown: int = 5) -> None:
        if llm is None or task is None:
            raise ConfigError("policy 'llm' needs an LLM endpoint: set llm.base_url and "
                              "llm.model in the config (or --base-url/--model)")
        if level not in LEVELS:
            raise ConfigError(f"policy 'llm' knows levels {', '.join(LEVELS)}, not {level!r}")
        self.llm, self.task, self.level, self.seed = llm, task, level, seed
        self.errors_shown, self.history_shown = errors_shown, history_shown
        self.memory: dict[str, Any] = {"plans": [], "forest": {}}
        self.graph = policy_graph()
        self._threads = itertools.count()
        self.last_error: str | None = None

    def plan(self, observation: Observation, budget: int, *, steer: Steer | None = None) -> Plan:
        """Run the graph; with ``steer``, the interrupt hands the proposal to it and the
        graph resumes with the person's plan."""
        context = PolicyContext(self.llm, self.task, observation, budget, self.level, self.seed,
                                self.memory, steer is not None, self.errors_shown,
                                self.history_shown)
        config = {"configurable": {"thread_id": f"plan-{observation.iteration}-{next(self._threads)}"}}
        out = self.graph.invoke({}, config, context=context)
        if "__interrupt__" in out:
            proposal = plan_from_dict(out["__interrupt__"][0].value["plan"])
            edited = steer(proposal, observation)  # type: ignore[misc]
            out = self.graph.invoke(Command(resume=plan_to_dict(edited)), config, context=context)
        self.last_error = out.get("error")
        plan = plan_from_dict(out["plan"])
        self._remember(observation.iteration + 1, plan)
        return plan

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
