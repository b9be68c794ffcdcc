"""Drawing distinct prompts from a procedural task's seeded generator."""

from __future__ import annotations

from collections.abc import Callable, Container

from students.errors import DataError


def draw(make: Callable[[], str], n: int, *, avoid: Container[str], strict: bool = False,
         what: str = "prompts") -> list[str]:
    """``n`` prompts from ``make()``, distinct and not in ``avoid``; when the space runs out
    (not ``strict``), first repeats and then avoided prompts are allowed, so ``n`` always come
    back. ``strict``: a ``DataError`` naming ``what`` instead."""
    out: list[str] = []
    seen: set[str] = set()
    tries = 0
    while len(out) < n:
        prompt = make()
        tries += 1
        relaxed = tries > 50 * (n + 10)
        if strict and relaxed:
            raise DataError(f"not enough distinct {what}")
        if (prompt not in seen or relaxed) and (prompt not in avoid or tries > 100 * (n + 10)):
            out.append(prompt)
            seen.add(prompt)
    return out
