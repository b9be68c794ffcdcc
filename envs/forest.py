"""The Skill-Tree state (a forest skill -> subskills) and its two actions, explore and exploit.

After DataEnvGym's Skill-Tree: ``Explore(skill, count, allocation)`` adds ``count`` subskills
not yet in the tree with ``allocation`` examples each; ``Exploit(skill, deltas)`` changes
allocations, and a subskill whose allocation reaches zero is pruned (all to zero is a fresh
start). A plan carries the result as ``Plan.subskills``; the environment makes the tree match
it, so a policy may also set allocations directly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from envs.records import Observation, Subskill, Verdict

Allocations = dict[str, dict[str, int]]  # skill -> subskill -> examples this iteration


@dataclass(frozen=True, slots=True)
class Explore:
    """Add the next ``count`` subskills of ``skill`` the task offers, ``allocation`` each."""

    skill: str
    count: int
    allocation: int


@dataclass(frozen=True, slots=True)
class Exploit:
    """Change allocations of ``skill``'s subskills by ``deltas``; reaching zero prunes."""

    skill: str
    deltas: Mapping[str, int] = field(default_factory=dict)


Action = Explore | Exploit


def apply_actions(observation: Observation, actions: Iterable[Action]) -> Allocations:
    """The allocations after ``actions``, starting from the observation's forest."""
    alloc: Allocations = {s: {n.name: n.allocation for n in observation.subskills(s)}
                          for s in observation.skills}
    for action in actions:
        subs = alloc.setdefault(action.skill, {})
        if isinstance(action, Explore):
            fresh = [s.name for s in observation.offered_for(action.skill) if s.name not in subs]
            for name in fresh[: max(action.count, 0)]:
                subs[name] = max(action.allocation, 0)
        else:
            for name, delta in action.deltas.items():
                subs[name] = max(subs.get(name, 0) + int(delta), 0)
    return {s: {n: c for n, c in subs.items() if c > 0} for s, subs in alloc.items()}


def describe_change(observation: Observation, alloc: Mapping[str, Mapping[str, int]]) -> list[dict]:
    """The explore / exploit / prune steps that lead from the observation's tree to ``alloc``
    (for a plan's ``values``, so a person sees the action, not only the result)."""
    steps = []
    for skill in observation.skills:
        before = {n.name: n.allocation for n in observation.subskills(skill)}
        after = dict(alloc.get(skill, {}))
        added = {n: c for n, c in after.items() if n not in before}
        deltas = {n: after.get(n, 0) - c for n, c in before.items() if after.get(n, 0) != c}
        if added:
            steps.append({"skill": skill, "action": "explore", "subskills": added})
        if deltas:
            pruned = [n for n in deltas if n not in after]
            steps.append({"skill": skill, "action": "exploit", "deltas": deltas, "pruned": pruned})
    return steps


class Forest:
    """Mutable tree state of one run: the nodes in the order they joined."""

    def __init__(self, nodes: Sequence[Subskill] = ()) -> None:
        self._nodes = {(n.skill, n.name): n for n in nodes}

    def nodes(self) -> tuple[Subskill, ...]:
        return tuple(self._nodes.values())

    def allot(self, alloc: Mapping[str, Mapping[str, int]], iteration: int,
              describe: Mapping[tuple[str, str], str]) -> None:
        """Make the tree match ``alloc``: kept nodes keep their record, new ones join, the
        rest are pruned."""
        wanted = {(s, n): int(c) for s, subs in alloc.items() for n, c in subs.items() if c > 0}
        nodes = {k: replace(v, allocation=wanted[k]) for k, v in self._nodes.items() if k in wanted}
        for (skill, name), count in wanted.items():
            if (skill, name) not in nodes:
                nodes[(skill, name)] = Subskill(skill, name, describe.get((skill, name), ""),
                                                count, added=iteration)
        self._nodes = nodes

    def record(self, verdicts: Sequence[Verdict]) -> None:
        """Add what the examples of each node did: generated, kept, fresh accuracy."""
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for v in verdicts:
            key = (v.example.skill, v.example.subskill or "")
            if key not in self._nodes:
                continue
            c = counts[key]
            c[0], c[1] = c[0] + 1, c[1] + int(v.kept)
            if v.known is not None:
                c[2], c[3] = c[2] + 1, c[3] + int(v.known)
        for key, (generated, kept, judged, known) in counts.items():
            node = self._nodes[key]
            fresh = node.fresh + ((known / judged,) if judged else ())
            self._nodes[key] = replace(node, generated=node.generated + generated,
                                       kept=node.kept + kept, fresh=fresh)


def allocations_of(examples: Iterable) -> Allocations:
    """Allocations read off generated examples (a step without a plan)."""
    alloc: Allocations = defaultdict(dict)
    for ex in examples:
        if ex.subskill:
            alloc[ex.skill][ex.subskill] = alloc[ex.skill].get(ex.subskill, 0) + 1
    return dict(alloc)
