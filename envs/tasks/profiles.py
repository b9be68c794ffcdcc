"""The challenge profiles: built-in suites where the choice of teacher matters, each under its
own versioned id, with its ground truth (``Challenge``) and its simulated laws (``Law``).

The numbers of each world (seed counts, the laws' scales) are set from what each profile is
meant to show, before any teacher ran on it; bench/NOTES.md has the checks by hand.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
import random
from collections.abc import Mapping
from typing import Any

from envs.tasks.arith import SPECS, SkillSpec
from envs.tasks.profile import Challenge, IndependentTask, ProfileTask
from envs.tasks.task import TASKS
from students.sim import Law

KNOWN = Law(start=0.95, scale=150)  # a skill the seed set taught


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _code(name: str) -> Any:
    """The answer of a distractor: a fixed pseudo-random two-digit code of the operand."""
    def solve(m) -> str:
        digest = hashlib.blake2b(f"{name}/{m[1]}".encode(), digest_size=4).digest()
        return f"{int.from_bytes(digest, 'big') % 100:02d}"
    return solve


DISTRACTORS = tuple(
    SkillSpec(f"hs{c}", "an arbitrary two-digit code of a digit string, with no rule behind it;"
              f" 'hs{c} 3081=' -> two digits", r"(\d+)", lambda r, d: _digits(r, d), _code(f"hs{c}"),
              difficulty=5) for c in "abcdef")
_ARITH = {s.name: s for s in SPECS}
# a chain: the same operation at 2..5 digits, each level a skill of its own (one digit has
# too few distinct prompts for the held-out splits)
CHAINS = tuple(
    SkillSpec(f"{tag}{k}", f"{_ARITH[base].description} ({k}-digit operands)",
              _ARITH[base].pattern, _ARITH[base].sample, _ARITH[base].solve, difficulty=k)
    for tag, base in (("sm", "add"), ("ml", "mul"), ("sb", "sub")) for k in (2, 3, 4, 5))


def _profile(id: str, doc: str, skills: tuple[str, ...], seeds: Mapping[str, int],
             challenge: Challenge, laws: Mapping[str, Law], levels: Mapping[str, int] = {}):
    """Register a ``ProfileTask`` subclass under ``id``."""
    cls = type(id.replace("-", "_").title(), (ProfileTask,), {
        "__doc__": doc, "id": id, "specs": SPECS + DISTRACTORS + CHAINS,
        "default_skills": skills, "default_levels": dict(levels), "default_seed_counts": dict(seeds),
        "challenge": challenge, "laws": dict(laws)})
    TASKS.register(id)(cls)
    return cls


MOSTLY_KNOWN = ("max", "rev", "dup", "len", "par", "min", "cmp", "dad", "xad", "suc", "srt", "dbl")
MostlyKnown = _profile(
    "mostly-known-v1",
    """Twelve arith skills; the seed set teaches nine of them, three (suc, srt, dbl) are new,
    and the budget (240 a step) is too small for uniform to master those three in 8 steps.
    An ideal teacher spends nearly everything on the three new skills.""",
    MOSTLY_KNOWN, {s: 1000 for s in MOSTLY_KNOWN[:9]},
    Challenge(frozenset(MOSTLY_KNOWN), frozenset(MOSTLY_KNOWN[:9]), threshold=0.86),
    {**{s: KNOWN for s in MOSTLY_KNOWN[:9]}, **{s: Law(scale=150) for s in MOSTLY_KNOWN[9:]}},
    levels={"cmp": 2, "suc": 4})

DISTRACTOR_SKILLS = tuple(s.name for s in DISTRACTORS) + ("max", "rev", "par", "min", "suc", "srt")
Distractors = _profile(
    "distractors-v1",
    """Twelve skills, six of them distractors (hsa..hsf): the answer is a fixed pseudo-random
    code of the prompt, so the student can memorise training items but never answer val or
    test. Two skills (max, rev) are known after the seed set; four (par, min, suc, srt) are
    to learn. An ideal teacher notices that data for the distractors moves nothing and
    spends the budget on the four learnable, unknown skills.""",
    DISTRACTOR_SKILLS, {"max": 1000, "rev": 1500},
    Challenge(frozenset(DISTRACTOR_SKILLS[6:]), frozenset(("max", "rev")), threshold=0.36),
    {**{s.name: Law(cap=0.0) for s in DISTRACTORS}, "max": KNOWN, "rev": KNOWN,
     **{s: Law(scale=150) for s in ("par", "min", "suc", "srt")}},
    levels={"suc": 4})

CHAIN_SKILLS = tuple(s.name for s in CHAINS)
_PRE = {s: (s[:-1] + str(int(s[-1]) - 1),) for s in CHAIN_SKILLS if not s.endswith("2")}
Prerequisites = _profile(
    "prerequisites-v1",
    """Three chains (sm: addition, ml: times one digit, sb: subtraction with borrows) at 2, 3,
    4 and 5 digits, each level a skill of its own. A level is learnt slowly until the level
    below it is: trained on directly, the 5-digit levels stay low within the budget; through the easier
    levels they are reached. An ideal teacher teaches each chain in order, the lowest level not
    yet mastered, moving up as each is learnt.""",
    CHAIN_SKILLS, {},
    Challenge(frozenset(CHAIN_SKILLS), frozenset(), prerequisites=_PRE, threshold=0.5,
              budget=300, iterations=12),
    {s: Law(scale=100, prerequisite=_PRE[s][0] if s in _PRE else None, floor=0.02)
     for s in CHAIN_SKILLS})

STABLE, ERODED, TAUGHT = ("len", "par", "rev", "dup"), ("max", "cmp", "xad"), ("min", "suc", "dad")
Forgetting = _profile(
    "forgetting-v1",
    """Ten skills under the continue regime: seven known after the seed set, three to learn.
    Each new skill shares its operands with a known one and erodes it while it is taught (min
    erodes max, suc erodes cmp, dad erodes xad); the four others (len, par, rev, dup) are
    stable. An ideal teacher teaches the three new skills and rehearses the three eroded ones,
    with nothing for the stable ones.""",
    STABLE + ERODED + TAUGHT, {s: 1000 for s in STABLE + ERODED},
    Challenge(frozenset(STABLE + ERODED + TAUGHT), frozenset(STABLE + ERODED),
              interferes={e: (t,) for e, t in zip(ERODED, TAUGHT)}, threshold=0.85),
    {**{s: KNOWN for s in STABLE}, **{s: Law(scale=150) for s in TAUGHT},
     **{e: Law(start=0.95, scale=150, interferes=(t,), forget=400) for e, t in zip(ERODED, TAUGHT)}},
    levels={"cmp": 2, "suc": 4})

INDEPENDENT = Challenge(
    frozenset(("max", "rev", "dup", "par", "len", "min", "suc", "srt")),
    frozenset(("max", "rev", "dup", "len")), threshold=0.8, budget=1000, iterations=6)
INDEPENDENT_LAWS = {"max": KNOWN, "rev": KNOWN, "dup": KNOWN, "len": Law(start=0.6, scale=150),
                    "par": Law(scale=60), "min": Law(scale=600), "suc": Law(scale=1200),
                    "srt": Law(scale=1500)}


@TASKS.register("independent-v1")
def make_independent(**options: Any) -> IndependentTask:
    """The control: arith-v0's default suite, item for item, where skills are independent and
    about equally worth teaching, so uniform is expected to be near the best. An ideal teacher
    skips the four seeded skills once known and spreads the rest over par, min, suc and srt."""
    return IndependentTask(INDEPENDENT, INDEPENDENT_LAWS, **options)


# -- v2: the worlds measured with tiny-gpt (bench/skill_curves.py, bench/NOTES.md) -----------
def _inc(s: str, k: int = 1) -> str:
    return "".join(str((int(c) + k) % 10) for c in s)


COMPOSED = (
    SkillSpec("ri", "reverse a digit string and add 1 to every digit, 9 wraps to 0;"
              " 'ri 3081=' -> '2914'", r"(\d+)", lambda r, d: _digits(r, d),
              lambda m: _inc(m[1][::-1]), difficulty=4),
    *(SkillSpec(f"i{k}", f"add 1 to every digit of a {k}-digit string, 9 wraps to 0;"
                f" 'i{k} 3091=' -> '4102'", r"(\d+)", lambda r, d, k=k: _digits(r, k),
                lambda m: _inc(m[1]), difficulty=k, max_difficulty=k) for k in (3, 5, 7)),
)
POOL = SPECS + DISTRACTORS + CHAINS + COMPOSED  # every skill a v2 profile can choose


def _profile_v2(id: str, doc: str, skills: tuple[str, ...], seeds: Mapping[str, int],
                challenge: Challenge, laws: Mapping[str, Law]):
    cls = type(id.replace("-", "_").title(), (ProfileTask,), {
        "__doc__": doc, "id": id, "specs": POOL, "default_skills": skills,
        "default_levels": {}, "default_seed_counts": dict(seeds), "challenge": challenge,
        "laws": dict(laws), "EVAL_SIZE": 50})
    TASKS.register(id)(cls)
    return cls


# Measured with tiny-gpt (bench/NOTES.md, "tiny-gpt per skill"): a seeded skill holds near 1
# and erodes slowly without data; par is learnt from tens of examples, min gradually over a
# few hundred; inc, ri and i7 jump from 0 to near 1 after about 500-800 examples of their own
# and are lost again within a step or two of other skills' data once their data stops;
# carrying arithmetic, dsm, dad and xad stay at 0 within a few thousand.
SEEDED = Law(start=0.97, scale=150, forget=4000)  # eroded slowly by every other skill's data
V2_KNOWN = {"max": 1000, "rev": 1000, "dup": 1000, "len": 300, "par": 300, "min": 800,
            "swp": 800, "rot": 800}  # this mix, measured: 0.92-1.00 each after it on seed 0
V2_NEW = ("inc", "ri", "i7", "odd")
V2_MOSTLY = tuple(V2_KNOWN) + V2_NEW
MostlyKnownV2 = _profile_v2(
    "mostly-known-v2",
    """Twelve skills a tiny character-level student can learn; the seed set teaches eight
    (max, rev, dup, len, par, min, swp, rot), four are new: inc, ri and i7 are learnt in a
    jump after a concentrated dose of several hundred examples each, odd slowly. Uniform's
    share, a twelfth of the 600 a step each, is too thin a dose to learn them within the 6
    steps. An ideal teacher spends the budget on the four new skills, and gives a known
    skill data again only when its val accuracy falls below mastery.""",
    V2_MOSTLY, V2_KNOWN,
    Challenge(frozenset(V2_MOSTLY), frozenset(V2_KNOWN), threshold=0.75, budget=600, iterations=6),
    {**{s: replace(SEEDED, interferes=tuple(x for x in V2_MOSTLY if x != s)) for s in V2_KNOWN},
     "inc": Law(scale=500), "ri": Law(scale=500), "i7": Law(scale=500),
     "odd": Law(scale=2500)})

V2_DISTRACT = ("hsa", "hsb", "hsc", "hsd", "max", "rev", "par", "min", "inc", "ri")
DistractorsV2 = _profile_v2(
    "distractors-v2",
    """Ten skills, four of them distractors (hsa..hsd: the answer is a fixed pseudo-random
    code of the prompt, memorised on training items, never answered on val or test). Two
    (max, rev) are known after the seed set; four (par, min, inc, ri) are to learn: par from
    a hundred examples or so, min gradually, inc and ri only from a concentrated dose of
    several hundred. An ideal teacher gives the distractors nothing and spends the budget on
    the four learnable, unknown skills, feeding a known one again when it falls below mastery.""",
    V2_DISTRACT, {"max": 1000, "rev": 1500},
    Challenge(frozenset(V2_DISTRACT[4:]), frozenset(("max", "rev")), threshold=0.33,
              budget=400, iterations=6),
    {**{s: Law(cap=0.0) for s in V2_DISTRACT[:4]},
     **{s: replace(SEEDED, interferes=tuple(x for x in V2_DISTRACT if x != s)) for s in ("max", "rev")},
     "par": Law(scale=100), "min": Law(cap=0.85, scale=250), "inc": Law(scale=2500),
     "ri": Law(scale=2500)})


# -- v3: learners that move step by step (bench/NOTES.md, "v3: learners that move step by step")
# tiny-gpt learns min, srt, odd and cmp gradually with their own examples (no jump), so a
# teacher that watches val accuracy sees which data helps; with the seed set of max, rev and
# dup it keeps those three near 1 under uniform, and they erode by 0.1-0.3 while unfed.
V3_DISTRACT = ("hsa", "hsb", "hsc", "hsd", "hse", "hsf", "max", "rev", "dup", "min", "srt",
               "odd", "cmp")
DistractorsV3 = _profile_v2(
    "distractors-v3",
    """Thirteen skills, six of them distractors (hsa..hsf: the answer is a fixed pseudo-random
    code of the prompt, memorised on training items, never answered on val or test). Three
    (max, rev, dup) are known after the seed set; four (min, srt, odd, cmp) are learnt
    gradually, each with its own examples, so uniform spends less than a third of the budget
    where it helps. An ideal teacher gives the distractors nothing and spends the budget on
    the four learnable, unknown skills, feeding a known one again when it falls below mastery.""",
    V3_DISTRACT, {"max": 1000, "rev": 1000, "dup": 1000},
    Challenge(frozenset(V3_DISTRACT[6:]), frozenset(("max", "rev", "dup")), threshold=0.34,
              budget=600, iterations=8),
    {**{s: Law(cap=0.0) for s in V3_DISTRACT[:6]},
     **{s: replace(SEEDED, interferes=tuple(x for x in V3_DISTRACT if x != s))
        for s in ("max", "rev", "dup")},
     "min": Law(cap=0.97, scale=250), "srt": Law(cap=0.8, scale=600),
     "odd": Law(cap=0.6, scale=1500), "cmp": Law(cap=0.8, scale=500)})
