"""``arith-v0``: a procedural suite of arithmetic and symbol-manipulation skills.

Every prompt is ``"<tag> <operands>="`` and every answer is a short string of characters, so
a character-level student can learn all skills in one model. Each skill has a seeded
generator with a difficulty knob (1 = easiest), and the right answer is computed from the
prompt text alone, so the verifier is exact.
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


@dataclass(frozen=True, slots=True)
class SkillSpec(Spec):
    """One skill; its ``sample(rng, difficulty)`` gives the operand text at a level."""

    max_difficulty: int = 6


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _number(rng: random.Random, n: int) -> int:
    """A number with exactly ``n`` digits (no leading zero)."""
    return rng.randint(10 ** (n - 1) if n > 1 else 0, 10**n - 1)


def _columns(a: int, b: int, n: int, sub: bool) -> int:
    """How many of the ``n`` columns carry (addition) or borrow (subtraction)."""
    count, carry = 0, 0
    for _ in range(n):
        x, y = a % 10, b % 10
        carry = int(x - y - carry < 0) if sub else int(x + y + carry >= 10)
        count += carry
        a, b = a // 10, b // 10
    return count


def _sample_cmp(rng: random.Random, d: int) -> str:
    a = _number(rng, d)
    roll = rng.random()
    if roll < 0.1:
        b = a
    elif roll < 0.5 and d > 1:  # share a prefix so the first digit does not always decide
        keep = rng.randint(1, d - 1)
        b = int(str(a)[:keep] + _digits(rng, d - keep))
    else:
        b = _number(rng, d)
    return f"{a} {b}"


def _solve_cmp(m: re.Match) -> str:
    a, b = int(m[1]), int(m[2])
    return "<" if a < b else ">" if a > b else "="


def _sample_cnt(rng: random.Random, d: int) -> str:
    # The count is drawn first so that answers are spread out, not mostly 0 or 1.
    k = rng.choice("0123456789")
    count = rng.randint(0, min(d, 4))
    others = [c for c in "0123456789" if c != k]
    chars = [k] * count + [rng.choice(others) for _ in range(d - count)]
    rng.shuffle(chars)
    return f"{k}:{''.join(chars)}"


def _sample_add(rng: random.Random, d: int) -> str:
    return f"{_number(rng, d)}+{_number(rng, d)}"


def _sample_addc(rng: random.Random, d: int) -> str:
    need = max(1, d - 1)
    while True:
        a, b = _number(rng, d), _number(rng, d)
        if _columns(a, b, d, sub=False) >= need:
            return f"{a}+{b}"


def _sample_sub(rng: random.Random, d: int) -> str:
    need = 1 if d > 1 else 0
    while True:
        a, b = sorted((_number(rng, d), _number(rng, d)), reverse=True)
        if _columns(a, b, d, sub=True) >= need:
            return f"{a}-{b}"


def _sample_mul(rng: random.Random, d: int) -> str:
    return f"{_number(rng, d)}*{rng.randint(2, 9)}"


def _sample_mod(rng: random.Random, d: int) -> str:
    return f"{_number(rng, d)}%{rng.randint(2, 9)}"


SPECS: tuple[SkillSpec, ...] = (
    SkillSpec("cmp", "compare two numbers: answer <, = or >; 'cmp 483 479=' -> '>'",
              r"(\d+) (\d+)", _sample_cmp, _solve_cmp, difficulty=3),
    SkillSpec("rev", "reverse a string of digits; 'rev 3081=' -> '1803'",
              r"(\d+)", lambda r, d: _digits(r, d), lambda m: m[1][::-1], difficulty=4),
    SkillSpec("cnt", "count how often a digit occurs in a string; 'cnt 3:730313=' -> '3'",
              r"(\d):(\d+)", _sample_cnt, lambda m: str(m[2].count(m[1])), difficulty=6),
    SkillSpec("srt", "sort the digits ascending; 'srt 5213=' -> '1235'",
              r"(\d+)", lambda r, d: _digits(r, d), lambda m: "".join(sorted(m[1])), difficulty=4),
    SkillSpec("dsm", "sum of the digits; 'dsm 4721=' -> '14'",
              r"(\d+)", lambda r, d: _digits(r, d), lambda m: str(sum(map(int, m[1]))), difficulty=4),
    SkillSpec("add", "add two numbers (difficulty = digits each); 'add 23+45=' -> '68'",
              r"(\d+)\+(\d+)", _sample_add, lambda m: str(int(m[1]) + int(m[2])), difficulty=2),
    SkillSpec("adc", "add two numbers where most columns carry; 'adc 487+356=' -> '843'",
              r"(\d+)\+(\d+)", _sample_addc, lambda m: str(int(m[1]) + int(m[2])), difficulty=3),
    SkillSpec("sub", "subtract a smaller number, with at least one borrow; 'sub 503-278=' -> '225'",
              r"(\d+)-(\d+)", _sample_sub, lambda m: str(int(m[1]) - int(m[2])), difficulty=3),
    SkillSpec("mul", "multiply a number by one digit 2-9; 'mul 37*6=' -> '222'",
              r"(\d+)\*(\d)", _sample_mul, lambda m: str(int(m[1]) * int(m[2])), difficulty=2),
    SkillSpec("inc", "add 1 to every digit, 9 wraps to 0; 'inc 3091=' -> '4102'",
              r"(\d+)", lambda r, d: _digits(r, d), lambda m: "".join(str((int(c) + 1) % 10) for c in m[1]), difficulty=4),
    SkillSpec("dbl", "double a number; 'dbl 374=' -> '748'",
              r"(\d+)", lambda r, d: str(_number(r, d)), lambda m: str(2 * int(m[1])), difficulty=3),
    SkillSpec("max", "largest digit; 'max 3091=' -> '9'",
              r"(\d+)", lambda r, d: _digits(r, d), lambda m: max(m[1]), difficulty=5),
    SkillSpec("par", "parity of a number: 'even' or 'odd'; 'par 3091=' -> 'odd'",
              r"(\d+)", lambda r, d: str(_number(r, d)), lambda m: "odd" if int(m[1]) % 2 else "even", difficulty=4),
    SkillSpec("ad1", "add a digit to a number; 'ad1 47+8=' -> '55'",
              r"(\d+)\+(\d)", lambda r, d: f"{_number(r, d)}+{r.randint(1, 9)}", lambda m: str(int(m[1]) + int(m[2])), difficulty=2),
    SkillSpec("sb1", "subtract a digit from a number; 'sb1 43-8=' -> '35'",
              r"(\d+)-(\d)", lambda r, d: f"{_number(r, d)}-{r.randint(1, 9)}", lambda m: str(int(m[1]) - int(m[2])), difficulty=2),
    SkillSpec("suc", "the next number; 'suc 399=' -> '400'",
              r"(\d+)", lambda r, d: str(_number(r, d)), lambda m: str(int(m[1]) + 1), difficulty=3),
    SkillSpec("hlf", "half of an even number; 'hlf 374=' -> '187'",
              r"(\d*[02468])", lambda r, d: str(2 * _number(r, d)), lambda m: str(int(m[1]) // 2), difficulty=3),
    SkillSpec("tri", "triple a number; 'tri 374=' -> '1122'",
              r"(\d+)", lambda r, d: str(_number(r, d)), lambda m: str(3 * int(m[1])), difficulty=3),
    SkillSpec("rot", "rotate left by one; 'rot 3081=' -> '0813'",
              r"(\d+)", lambda r, d: _digits(r, d), lambda m: m[1][1:] + m[1][:1], difficulty=5),
    SkillSpec("dup", "write every digit twice; 'dup 308=' -> '330088'",
              r"(\d+)", lambda r, d: _digits(r, d), lambda m: "".join(c + c for c in m[1]), difficulty=4),
    SkillSpec("swp", "swap each pair of digits; 'swp 3081=' -> '0318'",
              r"((?:\d\d)+)", lambda r, d: _digits(r, 2 * d), lambda m: "".join(m[1][i + 1] + m[1][i] for i in range(0, len(m[1]), 2)), difficulty=2),
    SkillSpec("min", "smallest digit; 'min 3091=' -> '0'",
              r"(\d+)", lambda r, d: _digits(r, d), lambda m: min(m[1]), difficulty=5),
    SkillSpec("odd", "keep the odd digits; 'odd 3081=' -> '31'",
              r"(\d+)", lambda r, d: _digits(r, d), lambda m: "".join(c for c in m[1] if c in "13579"), difficulty=5),
    SkillSpec("len", "how many characters; 'len 30817=' -> '5'",
              r"(\d+)", lambda r, d: _digits(r, r.randint(1, d)), lambda m: str(len(m[1])), difficulty=9, max_difficulty=12),
    SkillSpec("dad", "add a digit to every digit, keeping the last digit of each sum; 'dad 3091+7=' -> '0768'",
              r"(\d+)\+(\d)", lambda r, d: f"{_digits(r, d)}+{r.randint(1, 9)}",
              lambda m: "".join(str((int(c) + int(m[2])) % 10) for c in m[1]), difficulty=4),
    SkillSpec("dmk", "multiply every digit by a digit, keeping the last digit of each product; 'dmk 3091*7=' -> '1037'",
              r"(\d+)\*(\d)", lambda r, d: f"{_digits(r, d)}*{r.randint(2, 9)}",
              lambda m: "".join(str((int(c) * int(m[2])) % 10) for c in m[1]), difficulty=4),
    SkillSpec("xad", "add two digit strings column by column without carries; 'xad 3091+4567=' -> '7558'",
              r"(\d+)\+(\d+)", lambda r, d: f"{_digits(r, d)}+{_digits(r, d)}",
              lambda m: "".join(str((int(a) + int(b)) % 10) for a, b in zip(m[1], m[2])) if len(m[1]) == len(m[2]) else None, difficulty=3),
    SkillSpec("mod", "remainder of a number divided by a digit 2-9; 'mod 47%6=' -> '5'",
              r"(\d+)%([2-9])", _sample_mod, lambda m: str(int(m[1]) % int(m[2])), difficulty=2),
)

# The seed set is a pretrained student's head start: rich in half of the default suite, silent
# on the other half, so the starting profile is uneven and a teacher has something to find.
SEED_COUNTS: Mapping[str, int] = {"max": 1000, "rev": 1500, "dup": 1500, "len": 300}
# The default suite: eight skills of clearly different difficulty for a character-level
# student, each learnable within the demo's budget (how far each gets: bench/NOTES.md); the
# others learn in sudden jumps or barely move, and are there to choose with ``skills``.
DEFAULT_SKILLS = ("max", "rev", "dup", "par", "len", "min", "suc", "srt")
DEFAULT_LEVELS: Mapping[str, int] = {"cmp": 2, "suc": 4}
SPLIT_SEED = 20250101  # fixed: the splits are part of the task's definition


class ArithTask(SuiteTask):
    """The ``arith-v0`` task (a ``ProceduralTask``); its options are ``SuiteOptions``."""

    id = "arith-v0"
    specs = SPECS
    default_skills = DEFAULT_SKILLS
    default_levels = DEFAULT_LEVELS
    default_seed_counts = SEED_COUNTS
    split_seed = SPLIT_SEED
    setting_text = "at difficulty {0}"

    def subskills(self, skill: str) -> tuple[Skill, ...]:
        """The Skill-Tree subskills of ``skill``: one per difficulty level (``d1`` easiest ..
        ``d<max>``), the level of the val and test items first, then the others nearest first."""
        spec = self._spec(skill)
        levels = sorted(range(1, spec.max_difficulty + 1), key=lambda k: (abs(k - spec.difficulty), k))
        return tuple(Skill(f"d{k}", f"difficulty {k} of {spec.max_difficulty}"
                           + (" (the level of the val and test items)" if k == spec.difficulty else ""),
                           skill) for k in levels)

    def _highest(self, spec: SkillSpec) -> int:
        return spec.max_difficulty

    def _setting(self, spec: SkillSpec, difficulty: int | None, subskill: str | None) -> tuple[int]:
        """(level,): the subskill ``d<level>`` or ``difficulty``."""
        if subskill is not None:
            names = {s.name for s in self.subskills(spec.name)}
            if subskill not in names:
                raise DataError(f"{spec.name}: unknown subskill {subskill!r} (known: {', '.join(sorted(names))})")
            difficulty = int(subskill[1:])
        return (self._level(spec, difficulty),)

    def _describe(self, specs: tuple[SkillSpec, ...]) -> str:
        lines = [
            "Arithmetic and digit-manipulation problems, one per line, modelled character by character.",
            "A prompt is '<skill> <operands>=' and the answer is the exact result with no spaces,",
            "e.g. prompt 'add 23+45=' answer '68'. Numbers are written in base 10 without leading",
            "zeros; digit strings (rev, cnt, srt, dsm, inc, max) may contain any digits. Skills:",
        ]
        lines += [f"- {s.name}: {s.description} (default: {s.difficulty}-digit operands)" for s in specs]
        return "\n".join(lines)


@TASKS.register("arith-v0")
def make_arith(**options: Any) -> ArithTask:
    """Build ``arith-v0``; its options (``skills``, ``levels``, ``seed_counts``, ``eval_size``)
    are ``envs.tasks.suite.SuiteOptions``."""
    return ArithTask(**options)
