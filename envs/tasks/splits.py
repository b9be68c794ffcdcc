"""Fixed, seeded val/test halves of a packaged data set, balanced per skill."""

from __future__ import annotations

import random
from collections.abc import Sequence

from envs.records import Item
from students.errors import ConfigError


def halves(items: Sequence[Item], seed: int) -> tuple[tuple[Item, ...], tuple[Item, ...]]:
    """Split items into val and test: per skill, shuffled with ``seed`` and dealt alternately.

    Each half is ordered round-robin over skills, so any prefix of it (see ``head``) keeps
    every skill represented.
    """
    by_skill: dict[str, list[Item]] = {}
    for item in sorted(items, key=lambda i: i.id):
        by_skill.setdefault(item.skill, []).append(item)
    val: dict[str, list[Item]] = {}
    test: dict[str, list[Item]] = {}
    for skill in sorted(by_skill):
        group = by_skill[skill]
        random.Random(f"{seed}/{skill}").shuffle(group)
        val[skill], test[skill] = group[0::2], group[1::2]
    return _round_robin(val), _round_robin(test)


def _round_robin(groups: dict[str, list[Item]]) -> tuple[Item, ...]:
    longest = max((len(g) for g in groups.values()), default=0)
    return tuple(g[i] for i in range(longest) for g in groups.values() if i < len(g))


def head(items: tuple[Item, ...], limit: int | None) -> tuple[Item, ...]:
    """The first ``limit`` items (all of them when ``limit`` is None)."""
    if limit is None:
        return items
    if limit < 1:
        raise ConfigError(f"limit must be a positive number of items, got {limit}")
    return items[:limit]

