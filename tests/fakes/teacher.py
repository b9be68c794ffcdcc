"""A scripted LLM teacher for ``ScriptedServer``: it reads Curriculab's teacher prompts and
answers as a competent LLM would, using the task's own generators and oracle.

- a plan request: budget spread over the listed skills, weakest first, with reasoning that
  names the iteration (tests look for it in the history);
- a Skill-Tree request: explore two subskills per skill;
- a write request: ``n`` examples of the skill from the task's generator, seeded by the
  request's ``seed``, with a fraction ``wrong_rate`` of the teacher's answers wrong and a
  fraction ``junk_rate`` of prompts out of the skill's format (the engine rejects those);
- an answer request (agreement check): the oracle's (or ``answers``') answer to each problem;
- the endpoint check's short probes: "ok", or ``{"ok": true}`` when JSON is asked for.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from typing import Any

from envs.tasks.task import Task

_SKILL = re.compile(r"^Skill: (\S+)", re.M)
_WRITE = re.compile(r"Write (\d+) new examples")
_ITER = re.compile(r"^Iteration (\d+);", re.M)
_BUDGET = re.compile(r"Budget: (\d+) examples")
_ROW = re.compile(r"^(\w[\w-]*) \| \d+ \| (\d+)% \|", re.M)
_PROBLEM = re.compile(r"^(\d+)\. (.*)$", re.M)


class ScriptedTeacher:
    def __init__(self, task: Task, *, wrong_rate: float = 0.0, junk_rate: float = 0.0,
                 answers: Mapping[str, str] | None = None) -> None:
        self.task, self.wrong_rate, self.answers = task, wrong_rate, dict(answers or {})
        self.junk_rate = junk_rate
        self.skills = [s.name for s in task.skills if s.parent is None]

    def __call__(self, body: dict[str, Any]) -> str:
        user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
        seed = int(body.get("seed") or 0)
        if body.get("max_tokens", 99) <= 32:  # the endpoint check's probes
            return '{"ok": true}' if "JSON" in user else "ok"
        if _WRITE.search(user):
            return self.examples(_SKILL.search(user)[1], int(_WRITE.search(user)[1]), seed)
        if "Answer all" in user:
            return self.solve(_SKILL.search(user)[1], _PROBLEM.findall(user))
        if '"action"' in user:
            return self.tree_plan(user)
        return self.plan(user)

    def plan(self, user: str) -> str:
        iteration = int(_ITER.search(user)[1])
        accuracy = {s: int(a) for s, a in _ROW.findall(user)}
        weakest = sorted(self.skills, key=lambda s: accuracy.get(s, 0))
        allocations = [{"skill": s, "count": 1 + (len(weakest) - i), "focus": f"more {s}"}
                       for i, s in enumerate(weakest)]
        why = f"Scripted plan for iteration {iteration}: weakest first, starting with {weakest[0]}."
        return json.dumps({"reasoning": why, "allocations": allocations})

    def tree_plan(self, user: str) -> str:
        iteration = int(_ITER.search(user)[1])
        skills = [{"skill": s, "action": "explore",
                   "subskills": [{"name": f"{s}-easy", "count": 2, "description": "small operands"},
                                 {"name": f"{s}-hard", "count": 1, "description": "large operands"}]}
                  for s in self.skills]
        return json.dumps({"reasoning": f"Scripted tree plan for iteration {iteration}: explore.",
                           "skills": skills})

    def examples(self, skill: str, n: int, seed: int) -> str:
        rng = random.Random(seed)
        items = self.task.generate(skill, n, seed=seed)  # type: ignore[attr-defined]
        out = [{"prompt": f"{skill} ??=" if rng.random() < self.junk_rate else i.prompt,
                "answer": i.answer + "9" if rng.random() < self.wrong_rate else i.answer}
               for i in items]
        return json.dumps({"examples": out})

    def solve(self, skill: str, problems: list[tuple[str, str]]) -> str:
        answers = []
        for index, prompt in problems:
            answer = self.answers.get(prompt) or self.task.oracle(skill, prompt) or ""
            answers.append({"index": int(index), "answer": answer})
        return json.dumps({"answers": answers})


class Forgetful(ScriptedTeacher):
    """Plans iteration 2 with a skill that does not exist (the plan becomes a fallback)."""

    def plan(self, user: str) -> str:
        if "Iteration 2;" in user:
            return json.dumps({"reasoning": "r", "allocations": [{"skill": "algebra",
                                                                 "count": 5}]})
        return super().plan(user)
