"""The three discovery stages as functions of an LLM client and items.

Calls go out in batches, all at once; items a failed or incomplete answer left out are asked
again in the next round (with a fresh seed), up to ``rounds`` rounds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from agents.discovery.prompts import (
    ASSIGN_SYSTEM, GROUP_SYSTEM, LABEL_SYSTEM, AssignmentsOut, CategoriesOut, LabelsOut,
    assign_prompt, group_prompt, label_prompt, snake)
from agents.llm.client import LLMClient
from agents.llm.errors import CallFailed
from agents.llm.request import chat
from envs.records import Item
from agents.llm.errors import LLMError
from students.seeding import derive_seed

Labels = dict[str, tuple[str, str]]  # item id -> (fine-grained skill, reason)
Categories = dict[str, tuple[str, list[str]]]  # category -> (description, labels)
Assignments = dict[str, tuple[str, str]]  # item id -> (category, method)


def label_items(llm: LLMClient, description: str, items: Sequence[Item], *, batch: int,
                rounds: int) -> Labels:
    """Stage 1: one fine-grained snake_case skill (and a reason) per item."""
    out: Labels = {}
    for r in range(rounds):
        pending = [i for i in items if i.id not in out]
        groups = [pending[k:k + batch] for k in range(0, len(pending), batch)]
        requests = [chat(LABEL_SYSTEM, label_prompt(description, [i.prompt for i in g]),
                         LabelsOut, role="discovery", label="label",
                         seed=derive_seed(0, "discover-label", r, k)) for k, g in enumerate(groups)]
        for group, reply in zip(groups, llm.complete_all(requests)):
            if isinstance(reply, CallFailed):
                continue
            for lab in reply.parsed.labels:
                if 0 <= lab.index < len(group) and snake(lab.skill):
                    out.setdefault(group[lab.index].id, (snake(lab.skill), lab.reason.strip()))
    return out


def group_labels(llm: LLMClient, description: str, labels: Labels, *, max_categories: int,
                 rounds: int) -> Categories:
    """Stage 2: mutually exclusive categories over the labels (a label the answer repeats
    stays in its first category; one it forgets is assigned in stage 3)."""
    counts = dict(Counter(label for label, _ in labels.values()).most_common())
    last: Exception | None = None
    for r in range(rounds):
        reply = llm.complete_all([chat(
            GROUP_SYSTEM, group_prompt(description, counts, max_categories), CategoriesOut,
            role="discovery", label="group", seed=derive_seed(0, "discover-group", r))])[0]
        if isinstance(reply, CallFailed):
            last = reply
            continue
        categories = _exclusive(reply.parsed, counts)
        if categories:
            return categories
        last = LLMError("the grouping named no category with a known skill")
    raise LLMError(f"skill discovery could not group the labels: {last}")


def assign_items(llm: LLMClient, description: str, items: Sequence[Item], labels: Labels,
                 categories: Categories, *, batch: int, rounds: int) -> Assignments:
    """Stage 3: every item to one category: through its label, else by asking, else (after
    ``rounds`` tries) to the largest category."""
    home = {label: c for c, (_, members) in categories.items() for label in members}
    out: Assignments = {i.id: (home[labels[i.id][0]], "label") for i in items
                        if i.id in labels and labels[i.id][0] in home}
    described = {c: d for c, (d, _) in categories.items()}
    for r in range(rounds):
        pending = [i for i in items if i.id not in out]
        groups = [pending[k:k + batch] for k in range(0, len(pending), batch)]
        requests = [chat(ASSIGN_SYSTEM, assign_prompt(description, described, [i.prompt for i in g]),
                         AssignmentsOut, role="discovery", label="assign",
                         seed=derive_seed(0, "discover-assign", r, k)) for k, g in enumerate(groups)]
        for group, reply in zip(groups, llm.complete_all(requests)):
            if isinstance(reply, CallFailed):
                continue
            for a in reply.parsed.assignments:
                name = snake(a.category)
                if 0 <= a.index < len(group) and name in categories:
                    out.setdefault(group[a.index].id, (name, "llm"))
    largest = max(categories, key=lambda c: sum(v[0] == c for v in out.values()))
    return {i.id: out.get(i.id, (largest, "fallback")) for i in items}


def _exclusive(answer: CategoriesOut, counts: Mapping[str, int]) -> Categories:
    taken: set[str] = set()
    categories: Categories = {}
    for cat in answer.categories:
        name = snake(cat.name)
        members = [s for s in dict.fromkeys(snake(x) for x in cat.skills)
                   if s in counts and s not in taken]
        if not name or not members:
            continue
        taken.update(members)
        old = categories.get(name, (cat.description.strip(), []))
        categories[name] = (old[0], old[1] + members)
    return categories
