"""``strings-v0``: a procedural suite of string-manipulation skills over the letters a-j.

The same contract as ``arith-v0``: every prompt is ``"<tag> <operands>="`` and every answer a
short string, so a character-level student learns all skills in one model; each skill has a
seeded generator with a difficulty knob (1 = easiest: difficulty d means strings of d + 2
letters) and the right answer is computed from the prompt text alone. Ten letters, as
arith-v0 has ten digits, keep the alphabet small for a tiny student. Fifteen skills, eight in
the default suite (see ``DEFAULT_SKILLS``); the options ``skills`` and ``levels`` choose others.
Each skill also splits into subskills (the Skill-Tree level): one per string length, or, for
``shift``, one per shift amount.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envs.records import Skill
from envs.tasks.suite import Spec, SuiteTask
from envs.tasks.task import TASKS
from students.errors import DataError

LETTERS = "abcdefghij"
VOWELS = "aei"  # the vowels among the letters
MAX_DIFFICULTY = 6


@dataclass(frozen=True, slots=True)
class StringSkill(Spec):
    """One skill; its ``sample(rng, length, k)`` gives the operand text for words of
    ``length`` letters (``k``: the shift amount of a ``shift`` subskill, else None)."""

    ks: tuple[int, ...] = ()  # shift amounts that are subskills of their own (shift only)


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(n))


def _plain(rng: random.Random, n: int, k: int | None) -> str:
    """The operand of most skills: just a word."""
    return _word(rng, n)


def _repeats(rng: random.Random, n: int) -> str:
    """A word over few letters, so that letters repeat (dedup, count)."""
    pool = rng.sample(LETTERS, max(2, (n + 1) // 2))
    return "".join(rng.choice(pool) for _ in range(n))


def _count_operands(rng: random.Random, n: int, k: int | None) -> str:
    word = _repeats(rng, n)
    target = rng.choice(word) if rng.random() < 0.8 else rng.choice(LETTERS)
    return f"{target}:{word}"


def _cut_operands(rng: random.Random, n: int, k: int | None) -> str:
    return f"{rng.randint(1, n - 1)}:{_word(rng, n)}"


def _shift_operands(rng: random.Random, n: int, k: int | None) -> str:
    return f"{k if k is not None else rng.randint(1, 4)}:{_word(rng, n)}"


def _palindrome_operands(rng: random.Random, n: int, k: int | None) -> str:
    half = _word(rng, n // 2)
    if rng.random() < 0.5:  # half the words are palindromes
        return half + (rng.choice(LETTERS) if n % 2 else "") + half[::-1]
    return _word(rng, n)


def _shift(m: re.Match) -> str:
    k = int(m[1])
    return "".join(LETTERS[(LETTERS.index(c) + k) % len(LETTERS)] for c in m[2])


def _dedup(word: str) -> str:
    return "".join(c for i, c in enumerate(word) if c not in word[:i])


SPECS: tuple[StringSkill, ...] = (
    StringSkill("rev", "reverse the letters; 'rev abcd=' -> 'dcba'", r"([a-j]+)",
                _plain, lambda m: m[1][::-1], difficulty=2),
    StringSkill("first", "the first k letters; 'first 2:abcde=' -> 'ab'", r"(\d):([a-j]+)",
                _cut_operands, lambda m: m[2][: int(m[1])], difficulty=3),
    StringSkill("last", "the last k letters; 'last 2:abcde=' -> 'de'", r"(\d):([a-j]+)",
                _cut_operands, lambda m: m[2][-int(m[1]):], difficulty=3),
    StringSkill("sort", "sort the letters alphabetically; 'sort dbca=' -> 'abcd'", r"([a-j]+)",
                _plain, lambda m: "".join(sorted(m[1])), difficulty=2),
    StringSkill("cnt", "how often a letter occurs; 'cnt a:cabba=' -> '2'", r"([a-j]):([a-j]+)",
                _count_operands, lambda m: str(m[2].count(m[1])), difficulty=3),
    StringSkill("vow", "how many vowels (a, e, i); 'vow abide=' -> '3'", r"([a-j]+)",
                _plain, lambda m: str(sum(c in VOWELS for c in m[1])), difficulty=3),
    StringSkill("dedup", "drop repeated letters, keep first ones; 'dedup cabba=' -> 'cab'",
                r"([a-j]+)", lambda r, n, k: _repeats(r, n), lambda m: _dedup(m[1]), difficulty=3),
    StringSkill("shift", "shift each letter k places on (j wraps to a); 'shift 2:abj=' -> 'cdb'",
                r"([1-9]):([a-j]+)", _shift_operands, _shift, difficulty=2, ks=(1, 2, 3, 4)),
    StringSkill("pal", "is it a palindrome: 'y' or 'n'; 'pal abba=' -> 'y'", r"([a-j]+)",
                _palindrome_operands, lambda m: "y" if m[1] == m[1][::-1] else "n", difficulty=3),
    StringSkill("rot", "rotate left by one letter; 'rot abcd=' -> 'bcda'", r"([a-j]+)",
                _plain, lambda m: m[1][1:] + m[1][:1], difficulty=2),
    StringSkill("rotr", "rotate right by one letter; 'rotr abcd=' -> 'dabc'", r"([a-j]+)",
                _plain, lambda m: m[1][-1:] + m[1][:-1], difficulty=2),
    StringSkill("swap", "swap the first and the last letter; 'swap abcd=' -> 'dbca'", r"([a-j]+)",
                _plain, lambda m: m[1][-1] + m[1][1:-1] + m[1][0], difficulty=2),
    StringSkill("dbl", "write each letter twice; 'dbl abc=' -> 'aabbcc'", r"([a-j]+)",
                _plain, lambda m: "".join(c + c for c in m[1]), difficulty=1),
    StringSkill("mir", "the word then its reverse; 'mir abc=' -> 'abccba'", r"([a-j]+)",
                _plain, lambda m: m[1] + m[1][::-1], difficulty=1),
    StringSkill("alt", "every other letter, from the first; 'alt abcdef=' -> 'ace'", r"([a-j]+)",
                _plain, lambda m: m[1][::2], difficulty=3),
)

# The seed set is a pretrained student's head start: rich in two skills, silent on the
# others, so the starting profile is uneven and a teacher has something to find (the other
# seed sets tried: bench/NOTES.md).
SEED_COUNTS: Mapping[str, int] = {"rev": 2500, "vow": 1500}
# The default suite: eight skills the default tiny student learns within the demo's budget, at
# word lengths it learns them at (how far each gets, and why the others are left out to
# choose with ``skills``: bench/NOTES.md). dbl and mir answer with twice the word: above 6
# letters they pass the default tiny-gpt's bound of 12 answer tokens.
DEFAULT_SKILLS = ("rev", "vow", "first", "last", "mir", "rotr", "dbl", "swap")
DEFAULT_LEVELS: Mapping[str, int] = {"first": 2, "vow": 2, "last": 1, "dedup": 2, "sort": 1,
                                     "cnt": 1}  # dedup, sort, cnt: the levels they learn best at
SPLIT_SEED = 20250202  # fixed: the splits are part of the task's definition


def length(difficulty: int) -> int:
    """Letters in a word at ``difficulty`` (1 -> 3 letters, 6 -> 8 letters)."""
    return difficulty + 2


class StringsTask(SuiteTask):
    """The ``strings-v0`` task (a ``SubskillTask``); its options are ``SuiteOptions``."""

    id = "strings-v0"
    specs = SPECS
    default_skills = DEFAULT_SKILLS
    default_levels = DEFAULT_LEVELS
    default_seed_counts = SEED_COUNTS
    split_seed = SPLIT_SEED
    setting_text = "of length {0}"

    def subskills(self, skill: str) -> tuple[Skill, ...]:
        """One subskill per word length (``len3`` .. ``len8``), or per shift amount (``k1`` ..);
        the setting of the val and test items first, then the others, nearest first."""
        spec = self._spec(skill)
        n = length(spec.difficulty)
        if spec.ks:
            return tuple(Skill(f"k{k}", f"shift by {k}, {n}-letter words", skill) for k in spec.ks)
        lengths = sorted(range(length(1), length(MAX_DIFFICULTY) + 1), key=lambda m: (abs(m - n), m))
        return tuple(Skill(f"len{m}", f"{m}-letter words" + (" (as the val and test items)"
                                                            if m == n else ""), skill)
                     for m in lengths)

    def _highest(self, spec: StringSkill) -> int:
        return MAX_DIFFICULTY

    def _setting(self, spec: StringSkill, difficulty: int | None,
                 subskill: str | None) -> tuple[int, int | None]:
        """(word length, shift amount or None) for a difficulty or a subskill."""
        if subskill is not None:
            names = {s.name for s in self.subskills(spec.name)}
            if subskill not in names:
                raise DataError(f"{spec.name}: unknown subskill {subskill!r} (known: {sorted(names)})")
            if spec.ks:
                return length(spec.difficulty), int(subskill[1:])
            return int(subskill[3:]), None
        return length(self._level(spec, difficulty)), None

    def _answerable(self, spec: StringSkill, match: re.Match) -> bool:
        # k of first and last must cut the word strictly inside, as their generator does:
        # 'first 0:abc=' or 'last 3:abc=' has no part left to answer with
        return not (match.lastindex == 2 and match[1].isdigit() and spec.name != "shift"
                    and not 0 < int(match[1]) < len(match[2]))

    def _describe(self, specs: tuple[StringSkill, ...]) -> str:
        lines = [
            "String problems over the lowercase letters a-j, one per line, modelled character by",
            "character. A prompt is '<skill> <operands>=' and the answer is the exact result with",
            "no spaces, e.g. prompt 'rev abcde=' answer 'edcba'. Where a skill takes a number k it",
            "comes first, followed by a colon. Skills:",
        ]
        lines += [f"- {s.name}: {s.description} (default: {length(s.difficulty)}-letter words)"
                  for s in specs]
        return "\n".join(lines)


@TASKS.register("strings-v0")
def make_strings(**options: Any) -> StringsTask:
    """Build ``strings-v0``; its options (``skills``, ``levels``, ``seed_counts``, ``eval_size``)
    are ``envs.tasks.suite.SuiteOptions``."""
    return StringsTask(**options)
