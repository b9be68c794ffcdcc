"""Turning weights into whole example counts that add up to the budget."""

from __future__ import annotations

import math
from collections.abc import Mapping


def largest_remainder(weights: Mapping[str, float], budget: int) -> dict[str, int]:
    """Counts proportional to ``weights`` summing exactly to ``budget`` (Hamilton's method).

    Ties in the remainders go to the key that comes first, so the result is deterministic.
    """
    if budget < 0:
        raise ValueError("budget must be >= 0")
    total = sum(max(w, 0.0) for w in weights.values())
    if not weights:
        return {}
    if total <= 0:
        weights, total = {k: 1.0 for k in weights}, float(len(weights))
    quotas = {k: budget * max(w, 0.0) / total for k, w in weights.items()}
    counts = {k: math.floor(q) for k, q in quotas.items()}
    left = budget - sum(counts.values())
    order = sorted(quotas, key=lambda k: (-(quotas[k] - counts[k]), list(quotas).index(k)))
    for k in order[:left]:
        counts[k] += 1
    return counts
