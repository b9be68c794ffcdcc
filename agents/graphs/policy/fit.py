"""Fitting an LLM's plan to the rules: known skills only, counts adding up to the budget.

An LLM rarely adds up exactly; its counts are read as weights and scaled to the budget
(largest remainder). Unknown skills are dropped and named in the plan's values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agents.allocation import largest_remainder
from agents.graphs.policy.prompts import PlanOut, TreePlanOut
from envs.records import Observation

SEP = "\x1f"  # joins skill and subskill into one allocation key


def fit_skills(out: PlanOut, skills: Sequence[str], budget: int) -> dict[str, Any]:
    """A plan dict from a Skill-List / Open-Ended answer."""
    raw: dict[str, int] = {}
    focus: dict[str, str] = {}
    dropped = []
    for a in out.allocations:
        if a.skill not in skills:
            dropped.append(a.skill)
            continue
        raw[a.skill] = raw.get(a.skill, 0) + a.count
        if a.focus.strip():
            focus[a.skill] = a.focus.strip()
    weights = {s: float(raw.get(s, 0)) for s in skills}
    counts = largest_remainder(weights, budget)
    values: dict[str, Any] = {"llm_counts": raw, "focus": focus}
    if dropped:
        values["dropped"] = dropped
    if not any(w > 0 for w in weights.values()):  # spread evenly: not the LLM's plan
        values["unusable"] = ("the plan names no known skill with a count above 0"
                              + (f" (it named {', '.join(map(repr, dropped[:5]))})"
                                 if dropped else ""))
    return {"allocations": counts, "reasoning": out.reasoning.strip(), "values": values,
            "subskills": {}}


def fit_tree(out: TreePlanOut, skills: Sequence[str], budget: int,
             forest: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A plan dict with per-subskill counts from a Skill-Tree answer."""
    weights: dict[str, float] = {}
    descriptions: dict[str, dict[str, str]] = {}
    actions: dict[str, str] = {}
    dropped = []
    for act in out.skills:
        if act.skill not in skills:
            dropped.append(act.skill)
            continue
        actions[act.skill] = act.action
        subs = {s.name.strip()[:60]: s for s in act.subskills if s.name.strip()}
        if act.action == "keep" or not subs:
            for name, v in forest.get(act.skill, {}).items():
                weights[act.skill + SEP + name] = float(v["allocation"])
            continue
        for name, s in subs.items():
            weights[act.skill + SEP + name] = float(s.count)
            if s.description.strip():
                descriptions.setdefault(act.skill, {})[name] = s.description.strip()
    if not any(w > 0 for w in weights.values()):  # nothing usable: spread over the skills
        return {**fit_skills(PlanOut(reasoning=out.reasoning, allocations=[]), skills, budget),
                "values": {"actions": actions, "unusable": "the plan gives no subskill a count"
                           + (f" (it named {', '.join(map(repr, dropped[:5]))})"
                              if dropped else "")}}
    counts = largest_remainder(weights, budget)
    subskills: dict[str, dict[str, int]] = {}
    for key, n in counts.items():
        skill, name = key.split(SEP, 1)
        subskills.setdefault(skill, {})[name] = n
    allocations = {s: sum(subskills.get(s, {}).values()) for s in skills}
    values: dict[str, Any] = {"actions": actions, "subskill_descriptions": descriptions}
    if dropped:
        values["dropped"] = dropped
    return {"allocations": allocations, "reasoning": out.reasoning.strip(), "values": values,
            "subskills": subskills}


def weakest_first(obs: Observation, budget: int, why: str) -> dict[str, Any]:
    # (the plan of ``teacher.policy_options.fallback = "weakest"``)
    """The plan used when the LLM could not give one: budget in proportion to error (to the
    errors shown per skill where the level shows no scores, as Open-Ended)."""
    scores = obs.val.by_skill()
    if scores:
        weights = {s: max(1.0 - scores[s].accuracy, 0.05) if s in scores else 0.05
                   for s in obs.skills}
    else:
        weights = {s: 1.0 + sum(a.item.skill == s for a in obs.errors) for s in obs.skills}
    return {"allocations": largest_remainder(weights, budget),
            "reasoning": f"The LLM plan was unavailable ({why}); fell back to weakest-first:"
                         " budget in proportion to validation error.",
            "values": {"fallback": "weakest-first", "fallback_reason": why}, "subskills": {}}
