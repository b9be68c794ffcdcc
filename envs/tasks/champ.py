"""``champ-v0``: the 270 CHAMP competition math problems from ``champ-dataset``, offline.

Skills are CHAMP's concepts: each problem's skill is the area of its first annotated concept
(its own category when it has none), and its subskill is that concept. The areas with fewer
than ten problems (trigonometry, functions) are folded into algebra so every skill has items
in both val and test. Final answers are checked after normalisation (``envs.tasks.math_answer``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from envs.tasks.math_answer import equivalent
from envs.records import Item, Skill
from envs.tasks.splits import halves, head
from envs.tasks.task import SPLIT_NAMES, TASKS
from students.errors import ConfigError, DataError
from students.options import Checked, at_least, build

SPLIT_SEED = 0
FOLDED = {"Trigonometry": "Algebra", "Function": "Algebra"}
INSTRUCTION = "Solve this competition math problem. Reply with only the final answer.\n\nProblem: "
AREAS = {
    "number_theory": "divisibility, primes, modular arithmetic and digits of integers",
    "inequality": "bounding expressions: AM-GM, Cauchy-Schwarz, rearrangement, squares",
    "algebra": "identities and manipulation: factoring, sums of powers, series, trigonometry",
    "combinatorics": "counting: sum and product rules, binomials, arrangements, recursion",
    "polynomial": "roots, Vieta's formulas, division with remainder, factorisation",
    "sequence": "recurrences, limits, monotone and periodic sequences",
}


def load_dataset():
    """The packaged CHAMP data set; a clear DataError when ``champ-dataset`` is missing."""
    try:
        import champ_dataset
    except ImportError as e:
        raise DataError("champ-v0 needs the package 'champ-dataset' (pip install champ-dataset)") from e
    return champ_dataset.load("v0")


def skill_name(category: str) -> str:
    return FOLDED.get(category, category).lower().replace("-", "_")


@dataclass(frozen=True, slots=True)
class ChampOptions(Checked):
    limit: int | None = field(default=None, metadata=at_least(1))  # first items of each split
    id: str = "champ-v0"

    WHERE = "task.options"


class ChampTask:
    """Competition math with concepts as skills; answers verified after normalisation."""

    description = (
        "Each prompt is a competition math problem (number theory, inequalities, polynomials, "
        "sequences, combinatorics) that asks for a single final answer: a number, a fraction, "
        "an expression in n, an interval, Yes/No, or a short statement. The answer is only that "
        "final answer, e.g. '239', '1/(n+1)', '2^(n-1)', 'No'."
    )

    def __init__(self, **options: Any) -> None:
        """``options`` are ``ChampOptions``'s fields, given as values or as text ("12")."""
        self.options = build(ChampOptions, options, "task.options", text=True)
        self.id = self.options.id
        data = load_dataset()
        items, used = [], Counter()
        for problem in data.problems.values():
            concepts = [c for c in problem.ch_list if c.startswith("C_")]
            first = data.concepts[concepts[0]] if concepts else None
            area = skill_name(first.category if first else problem.category)
            subskill = first.identifier.removeprefix("C_") if first else None
            used[(area, subskill)] += 1
            items.append(Item(problem.identifier, area, INSTRUCTION + problem.text, problem.answer, subskill))
        self.skills = tuple(Skill(name, text) for name, text in AREAS.items()) + _concepts(data, used)
        unknown = {i.skill for i in items} - set(AREAS)
        if unknown:
            raise DataError(f"CHAMP has concept areas this task does not know: {sorted(unknown)}")
        val, test = halves(items, SPLIT_SEED)
        count = self.options.limit
        self._splits = {"seed": (), "val": head(val, count), "test": head(test, count)}

    def split(self, name: str) -> tuple[Item, ...]:
        if name not in SPLIT_NAMES:
            raise ConfigError(f"unknown split {name!r} (known: {', '.join(SPLIT_NAMES)})")
        return self._splits[name]

    def score(self, reference: str, prediction: str) -> bool:
        return equivalent(reference, prediction)

    def oracle(self, skill: str, prompt: str) -> str | None:
        return None


def _concepts(data, used: Counter) -> tuple[Skill, ...]:
    """The concepts that lead a problem, as subskills of their area."""
    seen: dict[str, Skill] = {}
    for (area, subskill) in sorted(used, key=lambda k: (k[0], k[1] or "")):
        if subskill and subskill not in seen:
            concept = data.concepts["C_" + subskill]
            seen[subskill] = Skill(subskill, concept.name or concept.text, parent=area)
    return tuple(seen.values())


@TASKS.register("champ-v0")
def make_champ(**options: Any) -> ChampTask:
    """``make("champ-v0", limit=None)``; ``limit`` keeps the first items of each split."""
    return ChampTask(**options)
