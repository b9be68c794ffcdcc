"""What flows through the policy graph, as JSON-able dicts (the policy's memory and the
history hold plans as JSON too)."""

from __future__ import annotations

from typing import Any, TypedDict

from envs.records import Plan


class PolicyState(TypedDict, total=False):
    prompt: str  # the rendered observation
    proposal: dict[str, Any]  # the LLM's plan, fitted to the budget (or the fallback)
    error: str | None  # why the LLM plan was replaced by the fallback


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {"allocations": dict(plan.allocations), "reasoning": plan.reasoning,
            "values": dict(plan.values),
            "subskills": {k: dict(v) for k, v in plan.subskills.items()},
            "edited_by": plan.edited_by}


def plan_from_dict(data: dict[str, Any]) -> Plan:
    return Plan({k: int(v) for k, v in data["allocations"].items()}, data["reasoning"],
                data.get("values") or {},
                {k: {s: int(n) for s, n in v.items()} for k, v in (data.get("subskills") or {}).items()},
                data.get("edited_by"))
