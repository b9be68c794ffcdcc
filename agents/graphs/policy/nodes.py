"""Nodes of the policy graph: plain functions ``(state, runtime) -> partial update``."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agents.graphs.policy.context import PolicyContext
from agents.graphs.policy.fit import fit_skills, fit_tree, weakest_first
from agents.graphs.policy.prompts import SYSTEM, TREE_SYSTEM, PlanOut, TreePlanOut, render
from agents.graphs.policy.state import PolicyState
from agents.llm.request import chat
from agents.llm.errors import LLMError
from envs.level import Level
from students.seeding import derive_seed

ASKS = 3  # asks for a plan that names a known skill before giving up


def observe(state: PolicyState, runtime: Runtime[PolicyContext]) -> dict:
    """Render what this environment level lets the teacher see."""
    ctx = runtime.context
    return {"prompt": render(ctx.level, ctx.task, ctx.observation, ctx.budget, ctx.memory,
                             errors_shown=ctx.errors_shown, history_shown=ctx.history_shown)}


def propose(state: PolicyState, runtime: Runtime[PolicyContext]) -> dict:
    """Ask the LLM for a plan and fit it to the budget. A plan that names no known skill is
    asked for again (``ASKS`` times in all, each with its own seed). When no usable plan
    comes, the run fails, unless the policy's ``fallback`` option names a policy to plan
    instead (the plan is then marked as a fallback)."""
    ctx = runtime.context
    tree = ctx.level == Level.SKILL_TREE
    iteration = ctx.observation.iteration + 1
    skills = ctx.observation.skills
    why = ""
    for ask in range(ASKS):
        seed = derive_seed(ctx.seed, "llm-policy", iteration)
        request = chat(TREE_SYSTEM if tree else SYSTEM, state["prompt"],
                       TreePlanOut if tree else PlanOut, role="policy", label=ctx.level.value,
                       iteration=iteration, seed=seed if ask == 0 else derive_seed(seed, ask),
                       choices={"skill": tuple(skills)})
        try:
            reply = ctx.llm.complete(request)
        except LLMError as e:
            why = str(e)
            break
        proposal = (fit_tree(reply.parsed, skills, ctx.budget, _forest(ctx))
                    if tree else fit_skills(reply.parsed, skills, ctx.budget))
        proposal["values"]["call_id"] = reply.call_id
        if not proposal["values"].get("unusable"):
            return {"proposal": proposal, "error": None}
        why = f"call {reply.call_id}: {proposal['values']['unusable']}"
    if ctx.fallback == "none":
        raise LLMError(f"iteration {iteration}: the LLM gave no usable plan ({why}); set"
                       " teacher.policy_options.fallback = \"weakest\" to plan weakest-first"
                       " instead")
    return {"proposal": weakest_first(ctx.observation, ctx.budget, why), "error": why}


def _forest(ctx: PolicyContext) -> dict[str, dict[str, dict]]:
    """Current subskill allocations: the environment's forest if it shows one (the Skill-Tree
    level does), else the policy's own."""
    nodes = ctx.observation.forest
    if not nodes:
        return ctx.memory.get("forest", {})
    forest: dict[str, dict[str, dict]] = {}
    for n in nodes:
        forest.setdefault(n.skill, {})[n.name] = {"allocation": n.allocation}
    return forest
