"""Prompts and output schemas of the three discovery stages."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

LABEL_SYSTEM = (
    "You are an expert teacher analysing what a question tests. For each question name the "
    "one fine-grained skill it needs most, as a short snake_case name (e.g. "
    "'two_digit_addition_with_carry'), with a one-sentence reason.")

GROUP_SYSTEM = (
    "You organise skills into a curriculum. Group the fine-grained skills into broader "
    "categories that are mutually exclusive and together cover every skill. Category names are "
    "short snake_case names.")

ASSIGN_SYSTEM = (
    "You sort questions into skill categories. For each question pick the one category from "
    "the list that fits it best; use the names exactly as listed.")


class LabelOut(BaseModel):
    index: int
    skill: str
    reason: str = ""


class LabelsOut(BaseModel):
    labels: list[LabelOut]


class CategoryOut(BaseModel):
    name: str
    description: str = ""
    skills: list[str] = Field(default_factory=list)


class CategoriesOut(BaseModel):
    categories: list[CategoryOut]


class AssignmentOut(BaseModel):
    index: int
    category: str


class AssignmentsOut(BaseModel):
    assignments: list[AssignmentOut]


def snake(name: str) -> str:
    """``"Two-digit Addition!"`` -> ``"two_digit_addition"``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60]


def label_prompt(description: str, prompts: Sequence[str]) -> str:
    lines = [description, "", "Questions:", *(f"{i}. {p}" for i, p in enumerate(prompts)), "",
             f"Label all {len(prompts)} questions. "
             'Return {"labels": [{"index": ..., "skill": ..., "reason": ...}]}.']
    return "\n".join(lines)


def group_prompt(description: str, counts: Mapping[str, int], max_categories: int) -> str:
    lines = [description, "", "Fine-grained skills (with how many questions need each):",
             *(f"- {label} ({n})" for label, n in counts.items()), "",
             f"Group them into at most {max_categories} categories; every skill above goes into "
             'exactly one. Return {"categories": [{"name": ..., "description": ..., '
             '"skills": [...]}]}.']
    return "\n".join(lines)


def assign_prompt(description: str, categories: Mapping[str, str], prompts: Sequence[str]) -> str:
    lines = [description, "", "Categories:", *(f"- {n}: {d}" for n, d in categories.items()),
             "", "Questions:", *(f"{i}. {p}" for i, p in enumerate(prompts)), "",
             f"Assign all {len(prompts)} questions. "
             'Return {"assignments": [{"index": ..., "category": ...}]}.']
    return "\n".join(lines)
