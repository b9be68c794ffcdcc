"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned text columns; numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) and rows for i in range(len(headers))]
    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:5.1f}%"


def arrow(start: float | None, end: float | None) -> str:
    return f"{pct(start)} -> {pct(end)}"


def skills_table(skills: Sequence[dict[str, Any]]) -> str:
    """The per-skill start -> end table on val and test, with a mean row."""
    rows = [[s["skill"], arrow(s["val_start"], s["val_end"]), arrow(s["test_start"], s["test_end"])]
            for s in skills]
    if skills:
        mean = {k: sum(s[k] or 0 for s in skills) / len(skills)
                for k in ("val_start", "val_end", "test_start", "test_end")}
        rows.append(["MEAN", arrow(mean["val_start"], mean["val_end"]),
                     arrow(mean["test_start"], mean["test_end"])])
    return table(["skill", "val start -> end", "test start -> end"], rows)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
