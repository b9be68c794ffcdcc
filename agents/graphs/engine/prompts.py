"""Prompts and output schemas of the engine graph."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from envs.records import Answer, Item, Observation, Plan
from envs.tasks.task import Task

WRITE_SYSTEM = (
    "You write training data for a small student model that is being taught skill by skill. "
    "Every example must follow the task's prompt format exactly, have one correct answer, be "
    "new (never a copy of an example you are shown) and differ from the other examples.")

ANSWER_SYSTEM = (
    "You solve problems exactly. Give only the final answer to each problem, in the task's "
    "answer format, with no working.")


class ExampleOut(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)
    prompt: str
    answer: str


class ExamplesOut(BaseModel):
    examples: list[ExampleOut]


class AnswerOut(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)
    index: int
    answer: str


class AnswersOut(BaseModel):
    answers: list[AnswerOut]


def write_prompt(task: Task, plan: Plan, observation: Observation, skill: str,
                 subskill: str | None, n: int, *, batch: int, round: int,
                 errors_shown: int, examples_shown: int) -> str:
    """Ask for ``n`` examples of one skill (or subskill), showing its format and its errors."""
    lines = [f"Task: {task.id}", "Prompt format:", task.description.strip(), "",
             f"Skill: {skill} - {_describe(task, skill)}"]
    if subskill:
        described = (plan.values.get("subskill_descriptions") or {}).get(skill, {})
        lines.append(f"Subskill: {subskill} - {described.get(subskill, '')}".rstrip(" -"))
    focus = (plan.values.get("focus") or {}).get(skill)
    if focus:
        lines.append(f"Focus: {focus}")
    shown = _format_examples(task, skill, examples_shown)
    if shown:
        lines += ["", "Examples of the format (do not copy them):", *shown]
    errors = [a for a in observation.errors if a.item.skill == skill][:errors_shown]
    if errors:
        lines += ["", "The student got these wrong (do not copy them; teach what they need):",
                  *(_error_line(a) for a in errors)]
    lines += ["", f"Write {n} new examples of this skill (batch {batch + 1}, round {round + 1}).",
              'Return {"examples": [{"prompt": ..., "answer": ...}, ...]}.']
    return "\n".join(lines)


def answer_prompt(task: Task, skill: str, prompts: Sequence[str]) -> str:
    """Ask for answers to already written prompts (an independent sample for agreement)."""
    lines = [f"Task: {task.id}", "Prompt format:", task.description.strip(), "",
             f"Skill: {skill} - {_describe(task, skill)}", "", "Problems:"]
    lines += [f"{i}. {p}" for i, p in enumerate(prompts)]
    lines += ["", f"Answer all {len(prompts)} problems. "
              'Return {"answers": [{"index": ..., "answer": ...}, ...]}.']
    return "\n".join(lines)


def _describe(task: Task, skill: str) -> str:
    return next((s.description for s in task.skills if s.name == skill), "")


def _format_examples(task: Task, skill: str, k: int) -> list[str]:
    return _seed_lines(task, skill, k)


@functools.lru_cache(maxsize=256)
def _seed_lines(task: Task, skill: str, k: int) -> list[str]:
    # every batch of a skill shows the same examples: found once, not once per call
    items: list[Item] = [i for i in task.split("seed") if i.skill == skill][:k]
    return [f"- prompt: {i.prompt!r} answer: {i.answer!r}" for i in items]


def _error_line(answer: Answer) -> str:
    return (f"- prompt: {answer.item.prompt!r} right answer: {answer.item.answer!r}"
            f" student said: {answer.prediction!r}")
