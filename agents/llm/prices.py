"""Dollar cost of a call from a price table (USD per million input / output tokens).

The built-in table holds public list prices of a few hosted models (2025); a run config's
``llm.prices`` adds to or overrides it. A model with no price (a local server) costs nothing
that can be counted, so a dollar budget for it is a configuration error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from students.errors import ConfigError

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


@dataclass(frozen=True, slots=True)
class Price:
    input_per_m: float
    output_per_m: float

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input_per_m + tokens_out * self.output_per_m) / 1e6


def price_for(model: str, overrides: Mapping[str, Any] | None = None) -> Price | None:
    """The price of ``model``: config overrides first, then the built-in table, else None."""
    table: dict[str, Any] = {**DEFAULT_PRICES, **dict(overrides or {})}
    entry = table.get(model)
    if entry is None:
        return None
    if isinstance(entry, Mapping):
        entry = (entry.get("input"), entry.get("output"))
    try:
        inp, out = (float(x) for x in entry)
    except (TypeError, ValueError):
        raise ConfigError(f"llm.prices[{model!r}] must be [usd per 1M input, usd per 1M output]"
                          f" or {{input=..., output=...}}, got {entry!r}") from None
    if inp < 0 or out < 0:
        raise ConfigError(f"llm.prices[{model!r}] must not be negative")
    return Price(inp, out)
