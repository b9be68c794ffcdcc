"""Learning curves and the statistics over seeds that compare teachers (pure, numpy only).

A curve is a list of ``(x, accuracy)`` points sorted by x, where x is examples used (or an
iteration, or seconds). Between points a curve is linear; before its first point and after its
last it is flat. Every interval here is a percentile bootstrap of the mean over seeds, with a
fixed generator seed, so the same numbers give the same interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Curve = Sequence[tuple[float, float]]
RESAMPLES = 10_000


def value_at(curve: Curve, x: float) -> float:
    """The curve's accuracy at ``x``: linear between points, flat beyond both ends."""
    if not curve:
        raise ValueError("an empty curve has no value")
    xs, ys = zip(*curve)
    return float(np.interp(x, xs, ys))


def examples_to_reach(curve: Curve, target: float) -> float | None:
    """The x at which the curve first reaches ``target`` (linear between points); ``None``
    when it never does."""
    if curve and curve[0][1] >= target:
        return float(curve[0][0])
    for (x0, y0), (x1, y1) in zip(curve, curve[1:]):
        if y1 >= target:
            return x0 + (x1 - x0) * (target - y0) / (y1 - y0)
    return None


def aulc(curve: Curve, x_max: float, x_min: float = 0.0) -> float:
    """Normalised area under the curve on ``[x_min, x_max]``: the mean accuracy over that
    range, so 1.0 is a student perfect from the start and the scale is the accuracy's."""
    if x_max <= x_min:
        raise ValueError(f"aulc needs x_max > x_min, got {x_max} <= {x_min}")
    xs = np.array([x for x, _ in curve], dtype=float)
    inside = xs[(xs > x_min) & (xs < x_max)]
    grid = np.concatenate([[x_min], inside, [x_max]])
    ys = np.array([value_at(curve, x) for x in grid])
    area = float(np.sum((grid[1:] - grid[:-1]) * (ys[1:] + ys[:-1]) / 2))
    return area / (x_max - x_min)


@dataclass(frozen=True)
class Estimate:
    """A mean over seeds with its 95% bootstrap interval."""

    mean: float
    lo: float
    hi: float
    n: int

    def as_json(self) -> dict[str, object]:
        return {"mean": self.mean, "ci95": [self.lo, self.hi], "n": self.n}


def _resample_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), size=(resamples, len(values)))
    return values[picks].mean(axis=1)


def estimate(values: Sequence[float], *, resamples: int = RESAMPLES, seed: int = 0) -> Estimate:
    """Mean of ``values`` and the 2.5th-97.5th percentiles of the bootstrapped mean."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        raise ValueError("no values to estimate from")
    if not np.all(np.isfinite(arr)):
        raise ValueError("values must be finite")
    means = _resample_means(arr, resamples, seed)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return Estimate(float(arr.mean()), float(lo), float(hi), int(arr.size))


def paired(a: Mapping[int, float], b: Mapping[int, float], **kw: int) -> Estimate:
    """``a - b`` on the seeds both have, with its bootstrap interval over those seeds."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError("the two groups share no seed")
    return estimate([a[s] - b[s] for s in seeds], **kw)


@dataclass(frozen=True)
class Band:
    """Mean curve over seeds on a grid of x, with a 95% bootstrap band at each x."""

    x: tuple[float, ...]
    mean: tuple[float, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]
    n: int


def band(curves: Sequence[Curve], grid: Sequence[float] | None = None, *,
         resamples: int = 2_000, seed: int = 0) -> Band:
    """The curves read at every x of ``grid`` (default: every x any curve has), averaged."""
    if not curves:
        raise ValueError("no curves")
    xs = sorted({float(x) for c in curves for x, _ in c}) if grid is None else [float(x) for x in grid]
    table = np.array([[value_at(c, x) for x in xs] for c in curves])  # seeds x points
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(curves), size=(resamples, len(curves)))
    means = table[picks].mean(axis=1)  # resamples x points
    lo, hi = np.percentile(means, [2.5, 97.5], axis=0)
    return Band(tuple(xs), tuple(map(float, table.mean(axis=0))), tuple(map(float, lo)),
                tuple(map(float, hi)), len(curves))


def curriculum(curve: Curve, threshold: float | None, x_max: float,
               baselines: Mapping[str, Curve] = {}) -> dict[str, object]:
    """One run's curriculum metrics: normalised AULC on ``[0, x_max]``, examples to reach
    ``threshold`` (None: never, or no threshold), final accuracy; and per baseline run (same
    task, student, protocol and seed) the three as ratios, final accuracy read at the examples
    both used."""
    def reach(c: Curve) -> float | None:
        return None if threshold is None else examples_to_reach(c, threshold)

    out: dict[str, object] = {"aulc": aulc(curve, x_max), "threshold": threshold,
                              "examples_to_threshold": reach(curve),
                              "final_accuracy": curve[-1][1], "against": {}}
    for name, base in baselines.items():
        mine, theirs, area = reach(curve), reach(base), aulc(base, x_max)
        x = min(curve[-1][0], base[-1][0])
        out["against"][name] = {  # type: ignore[index]
            "examples_to_threshold_ratio": None if mine is None or not theirs else mine / theirs,
            "aulc_ratio": aulc(curve, x_max) / area if area > 0 else None,
            "final_accuracy_ratio": (value_at(curve, x) / value_at(base, x)
                                     if value_at(base, x) > 0 else None)}
    return out
