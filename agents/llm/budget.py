"""A token or dollar cap on a run's LLM calls.

The cap never cuts an iteration in half: the runner asks ``check()`` between iterations and
stops cleanly once the cap is reached, keeping everything done so far. Spending is counted
from the history, so a resumed run continues the count instead of starting from zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.llm.errors import BudgetExceeded


@dataclass
class Budget:
    tokens: int | None = None
    usd: float | None = None
    spent_tokens: int = 0
    spent_usd: float = 0.0

    def add(self, tokens: int, usd: float | None) -> None:
        self.spent_tokens += tokens
        self.spent_usd += usd or 0.0

    def exceeded(self) -> str | None:
        """Why the budget is spent, or None while some is left."""
        if self.tokens is not None and self.spent_tokens >= self.tokens:
            return f"token budget spent: {self.spent_tokens} of {self.tokens} tokens"
        if self.usd is not None and self.spent_usd >= self.usd:
            return f"dollar budget spent: ${self.spent_usd:.4f} of ${self.usd:.4f}"
        return None

    def check(self) -> None:
        """Raise BudgetExceeded once the cap is reached."""
        reason = self.exceeded()
        if reason is not None:
            raise BudgetExceeded(reason)
