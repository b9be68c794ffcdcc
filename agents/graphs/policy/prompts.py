"""What the planning LLM reads (one view per environment level) and the plan it returns.

- Open-Ended: the student's errors, nothing aggregated.
- Skill-List: the per-skill table with its history and the past plans.
- Skill-Tree: the skill forest: per skill its accuracy and reward, per subskill its last
  allocation and the data generated so far; the action is explore / exploit per skill.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from envs.level import Level
from envs.records import Observation
from envs.tasks.task import Task

SYSTEM = (
    "You are the teacher of a small student model. Each iteration you see how the student is "
    "doing and decide how many new training examples each skill gets; another model then "
    "writes them. Spend the budget where data helps most: skills the student has not learnt "
    "yet but can learn, not skills already mastered. Explain your reasoning briefly.")

TREE_SYSTEM = SYSTEM + (
    " Skills are split into subskills. For each skill choose an action: 'explore' proposes "
    "new subskills (not already listed) with an allocation each, 'exploit' re-allocates "
    "among the listed subskills (0 drops one), 'keep' leaves the allocation as it was.")


class SkillAllocation(BaseModel):
    skill: str
    count: int = Field(ge=0)
    focus: str = Field("", description="what the examples for this skill should target")


class PlanOut(BaseModel):
    reasoning: str
    allocations: list[SkillAllocation]


class SubskillOut(BaseModel):
    name: str
    count: int = Field(ge=0)
    description: str = ""


class SkillAction(BaseModel):
    skill: str
    action: Literal["explore", "exploit", "keep"] = "exploit"
    subskills: list[SubskillOut] = Field(default_factory=list)


class TreePlanOut(BaseModel):
    reasoning: str
    skills: list[SkillAction]


def render(level: Level, task: Task, obs: Observation, budget: int, memory: Mapping[str, Any],
           *, errors_shown: int, history_shown: int) -> str:
    """The user message for ``level``."""
    head = [f"Task: {task.id}", task.description.strip(), "",
            f"Iteration {obs.iteration + 1}; the student has trained on {obs.examples_used}"
            " generated examples so far.", "Skills:",
            *(f"- {s.name}: {s.description}" for s in task.skills if s.parent is None)]
    if level == Level.OPEN_ENDED:
        body = _errors(obs, errors_shown)
        ask = ('Return {"reasoning": ..., "allocations": [{"skill": ..., "count": ..., '
               '"focus": ...}]}.')
    elif level == Level.SKILL_TREE:
        body = _forest(obs, memory)
        ask = ('Return {"reasoning": ..., "skills": [{"skill": ..., "action": "explore" | '
               '"exploit" | "keep", "subskills": [{"name": ..., "count": ..., '
               '"description": ...}]}]}.')
    else:
        body = _table(obs, history_shown) + _past_plans(memory, history_shown)
        ask = ('Return {"reasoning": ..., "allocations": [{"skill": ..., "count": ..., '
               '"focus": ...}]}.')
    tail = ["", f"Budget: {budget} examples for the next iteration; the counts should add up"
            " to it.", ask]
    return "\n".join(head + [""] + body + tail)


def _errors(obs: Observation, k: int) -> list[str]:
    rate = obs.error_rate  # the Open-Ended level's one aggregate; None at the others
    lines = ["Errors the student made on the validation set (a sample"
             + ("" if rate is None else f"; {rate:.0%} of val items are answered wrong") + "):"]
    lines += [f"- [{a.item.skill}] prompt {a.item.prompt!r}: right answer {a.item.answer!r},"
              f" student said {a.prediction!r}" for a in obs.errors[:k]]
    return lines if len(lines) > 1 else ["The student made no errors on the validation set."]


def _table(obs: Observation, k: int) -> list[str]:
    past = list(obs.past)[-k:]
    lines = ["Validation accuracy per skill (history: earlier iterations, oldest first):",
             "skill | n | accuracy | change | history"]
    for s in obs.val.scores:
        change = "-" if s.change is None else f"{s.change:+.0%}"
        hist = " ".join(f"{p[s.skill]:.0%}" for p in past if s.skill in p) or "-"
        lines.append(f"{s.skill} | {s.n} | {s.accuracy:.0%} | {change} | {hist}")
    return lines


def _past_plans(memory: Mapping[str, Any], k: int) -> list[str]:
    plans: Sequence[Mapping[str, Any]] = memory.get("plans", [])[-k:]
    if not plans:
        return []
    lines = ["", "Your past plans (examples per skill):"]
    for p in plans:
        counts = ", ".join(f"{s} {n}" for s, n in p["allocations"].items() if n)
        lines.append(f"- iteration {p['iteration']}: {counts or 'nothing'}")
    return lines


def _forest(obs: Observation, memory: Mapping[str, Any]) -> list[str]:
    """The environment's forest when it keeps one (Skill-Tree level), else the policy's own."""
    lines = ["Skill forest: per skill the validation accuracy and its reward (change after the "
             "last data); per subskill its allocation, examples generated (and kept) so far and"
             " the student's accuracy on fresh examples of it before training."]
    scores = obs.val.by_skill()
    for skill in obs.skills:
        s = scores.get(skill)
        reward = "-" if s is None or s.change is None else f"{s.change:+.0%}"
        accuracy = "-" if s is None else f"{s.accuracy:.0%}"
        lines.append(f"- {skill}: accuracy {accuracy}, reward {reward}")
        subs = _subskills(obs, memory, skill)
        lines += subs or ["  (no subskills yet: explore to add some)"]
        offered = [f"{o.name} ({o.description})" if o.description else o.name
                   for o in obs.offered_for(skill)]
        if offered:
            lines.append("  can explore: " + "; ".join(offered))
    return lines


def _subskills(obs: Observation, memory: Mapping[str, Any], skill: str) -> list[str]:
    nodes = obs.subskills(skill)  # empty unless the level keeps a forest (Skill-Tree)
    if nodes:
        return [f"  - {n.name}: allocation {n.allocation}, data {n.generated} (kept {n.kept})"
                + ("" if n.accuracy is None else f", fresh accuracy {n.accuracy:.0%}")
                + (f" ({n.description})" if n.description else "") for n in nodes]
    own: Mapping[str, Mapping[str, Any]] = memory.get("forest", {}).get(skill, {})
    return [f"  - {name}: allocation {v['allocation']}, data {v['generated']}"
            + (f" ({v['description']})" if v.get("description") else "")
            for name, v in own.items()]
