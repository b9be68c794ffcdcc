"""Skill discovery end to end: label -> group -> assign, each stage kept in the history.

    result = discover(task, llm, history)      # a FileTask without a skill column, say
    task = task.with_skills(result.skills())

A discovery is identified by the data, the endpoint, the model, its structured-output mode
and its settings, so running it again (or resuming a run that needed it) reads the finished
stages from the history and replays the finished calls of an unfinished one from the LLM
cache; after the endpoint is fixed it starts afresh. A stage that yields nothing usable (no
label at all; most items assigned by the fallback) is not saved: the discovery is marked
failed, with the reason, and a rerun asks again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from agents.discovery.stages import (
    Assignments, Categories, Labels, assign_items, group_labels, label_items)
from agents.discovery.store import DiscoveryStore, category_rows
from agents.llm.client import LLMClient
from agents.llm.config import LLMConfig
from agents.llm.errors import LLMError
from agents.llm.redact import endpoint_key
from envs.history import History
from envs.tasks.task import DataTask, Task
from students.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Discovery:
    discovery_id: str
    labels: Labels
    categories: Categories
    assignments: Assignments
    resumed: tuple[str, ...]  # stages read back from the history instead of computed

    def skills(self) -> dict[str, str]:
        """Item id -> category, for ``FileTask.with_skills``."""
        return {item_id: category for item_id, (category, _) in self.assignments.items()}

    def sizes(self) -> dict[str, int]:
        return dict(Counter(self.skills().values()).most_common())

    def methods(self) -> dict[str, int]:
        """Items per assignment method: ``label`` (through the item's own label), ``llm``
        (asked), ``fallback`` (put in the largest category after every try failed)."""
        return dict(Counter(m for _, m in self.assignments.values()).most_common())


MAX_FALLBACK = 0.5  # a discovery whose assignments are more fallback than this is refused


def discovery_id(task: Task, llm: LLMConfig, batch: int, max_categories: int) -> str:
    data = task.fingerprint if isinstance(task, DataTask) else task.id
    text = (f"{data}/{endpoint_key(llm.base_url)}/{llm.model}/{llm.structured}/{batch}/"
            f"{max_categories}")
    return "disc-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def discover(task: Task, llm: LLMClient, history: History, *, batch: int = 10,
             max_categories: int = 8, rounds: int = 3) -> Discovery:
    """Label the val items, group the labels, assign every item of every split."""
    if batch < 1 or max_categories < 1 or rounds < 1:
        raise ConfigError("discovery: batch, max_categories and rounds must be >= 1")
    items = [i for name in ("seed", "val", "test") for i in task.split(name)]
    store = DiscoveryStore(history, discovery_id(task, llm.config, batch, max_categories))
    store.start(task.id, llm.config.model, len(items))
    try:
        return _stages(task, llm, store, items, batch, max_categories, rounds)
    except Exception as e:
        llm.flush()  # the calls first: the reason names what they did
        store.fail(f"{type(e).__name__}: {e}")
        raise


def _stages(task: Task, llm: LLMClient, store: DiscoveryStore, items: list, batch: int,
            max_categories: int, rounds: int) -> Discovery:
    done, about = store.done(), task.description
    if "label" in done:
        labels = store.labels()
    else:
        llm.budget.check()  # a spent budget stops between stages; a rerun continues there
        val = task.split("val")
        labels = label_items(llm, about, val, batch=batch, rounds=rounds)
        if not labels:
            raise LLMError(f"skill discovery labelled none of {len(val)} items: see the"
                           " discovery calls in llm_calls (role 'discovery')")
        store.save("label", [{"item_id": i, "label": lab, "reason": why}
                             for i, (lab, why) in labels.items()])
    if "group" in done:
        categories = store.categories()
    else:
        llm.budget.check()
        categories = group_labels(llm, about, labels, max_categories=max_categories, rounds=rounds)
        store.save("group", category_rows(categories))
    if "assign" in done:
        assignments = store.assignments()
    else:
        llm.budget.check()
        assignments = assign_items(llm, about, items, labels, categories, batch=batch, rounds=rounds)
        fallback = sum(m == "fallback" for _, m in assignments.values())
        if fallback > MAX_FALLBACK * len(assignments):
            raise LLMError(f"skill discovery could assign only {len(assignments) - fallback} of"
                           f" {len(assignments)} items (the other {fallback} would all go to"
                           " the largest category)")
        store.save("assign", [{"item_id": i, "category": c, "method": m}
                              for i, (c, m) in assignments.items()])
    return Discovery(store.id, labels, categories, assignments, tuple(done))


def ensure_skills(task: Task, llm: LLMClient | None) -> Task:
    """The task itself, or (a file without skill labels and an LLM at hand) a copy labelled
    by discovery."""
    history = llm.store.history if llm is not None else None
    if not isinstance(task, DataTask) or not task.needs_skills or history is None:
        return task
    return task.with_skills(discover(task, llm, history).skills())
