"""Groups of runs over seeds and their statistics: mean curve with a 95% band, final accuracy,
normalised AULC and x to a threshold, each with a bootstrap interval; paired differences
against a baseline group on shared seeds; a per-skill table; phase times (pure, no I/O).

Every statistic comes from ``envs.curves``. A group is every run whose whole config less the
seed is the same (``comparison.group_keys``), never a shortened label.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from envs import curves as cv
from students.errors import ConfigError
from ui.comparison import NOT_CONFIG, flatten, group_keys, groups as group_labels

X_AXES = {"examples": ("examples_used", "examples used"), "iteration": ("iteration", "iteration"),
          "seconds": ("seconds", "wall seconds")}
PHASES = ("evaluate", "plan", "generate", "check", "train")


@dataclass(frozen=True)
class Group:
    name: str  # G1, G2, ... in order of first appearance
    label: str  # every differing key=value
    key: str  # the config less the seed, as sorted JSON
    config: Mapping[str, Any]  # flattened, less the seed
    runs: tuple[tuple[int, str], ...]  # (seed, run_id)

    @property
    def seeds(self) -> list[int]:
        return [s for s, _ in self.runs]


def make_groups(runs: pd.DataFrame) -> list[Group]:
    """The groups of ``runs`` (columns run_id, seed, config), in order of first appearance."""
    keys, labels = group_keys(runs), group_labels(runs)
    out: dict[str, list] = {}
    for r in runs.itertuples():
        out.setdefault(keys[r.run_id], []).append((int(r.seed), r.run_id))
    configs = {r.run_id: r.config for r in runs.itertuples()}
    made = []
    for i, (key, members) in enumerate(out.items(), 1):
        config = configs[members[0][1]]
        flat = flatten(json.loads(config) if isinstance(config, str) else (config or {}))
        made.append(Group(f"G{i}", labels[members[0][1]], key,
                          {k: v for k, v in flat.items() if k not in NOT_CONFIG},
                          tuple(sorted(members))))
    return made


def metric_name(metric: str) -> str:
    split, _, skill = metric.partition(":")
    return f"{split} accuracy of {skill}" if skill else f"mean {split} accuracy"


def run_curves(points: pd.DataFrame, skills: pd.DataFrame, metric: str = "test",
               x: str = "examples") -> dict[str, list[tuple[float, float]]]:
    """run_id -> [(x, accuracy)] for ``metric`` (``test``, ``val``, or ``SPLIT:SKILL``)."""
    if x not in X_AXES:
        raise ConfigError(f"x axis {x!r}: expected one of {', '.join(X_AXES)}")
    split, _, skill = metric.partition(":")
    if split not in ("val", "test"):
        raise ConfigError(f"metric {metric!r}: expected val, test, val:SKILL or test:SKILL")
    column = X_AXES[x][0]
    if skill:
        known = set(skills.skill)
        if skill not in known:
            raise ConfigError(f"metric {metric!r}: no skill {skill!r} in these runs"
                              f" (known: {', '.join(sorted(known))})")
        frame = skills[(skills.split == split) & (skills.skill == skill)].merge(
            points[["run_id", "iteration", column]].drop_duplicates() if column != "iteration"
            else points[["run_id", "iteration"]], on=["run_id", "iteration"])
        value = "accuracy"
    else:
        frame, value = points, f"{split}_mean"
    out: dict[str, list[tuple[float, float]]] = {}
    for run_id, g in frame.sort_values(["run_id", "iteration"]).groupby("run_id", sort=False):
        out[run_id] = [(float(a), float(b)) for a, b in zip(g[column], g[value])]
    return out


def _range(curves: Mapping[str, Sequence[tuple[float, float]]]) -> tuple[float, float]:
    """The x range every curve covers: from the latest first x to the earliest last x."""
    lo = max(c[0][0] for c in curves.values())
    hi = min(c[-1][0] for c in curves.values())
    return lo, hi


def default_threshold(groups: Sequence[Group], curves: Mapping[str, Sequence]) -> float:
    """The lowest group's mean final accuracy: a level every group reaches on average."""
    finals = [sum(curves[r][-1][1] for _, r in g.runs if r in curves) /
              max(1, sum(r in curves for _, r in g.runs)) for g in groups]
    return math.floor(100 * min(finals)) / 100 if finals else 0.5


def summarise(groups: Sequence[Group], curves: Mapping[str, Sequence[tuple[float, float]]],
              threshold: float) -> list[dict[str, Any]]:
    """Per group: seeds, the band, final accuracy, AULC and x to ``threshold`` (each an
    Estimate or None), and how many seeds reached the threshold."""
    usable = {r: c for r, c in curves.items() if c}
    if not usable:
        return []
    x_min, x_max = _range(usable)
    out = []
    for g in groups:
        cs = {s: usable[r] for s, r in g.runs if r in usable}
        if not cs:
            continue
        finals = {s: c[-1][1] for s, c in cs.items()}
        aulcs = {s: cv.aulc(c, x_max, x_min) for s, c in cs.items()} if x_max > x_min else {}
        reach = {s: cv.examples_to_reach(c, threshold) for s, c in cs.items()}
        reached = {s: v for s, v in reach.items() if v is not None}
        out.append({
            "group": g.name, "label": g.label, "seeds": sorted(cs), "n": len(cs),
            "band": cv.band(list(cs.values())),
            "final": cv.estimate(list(finals.values())),
            "aulc": cv.estimate(list(aulcs.values())) if aulcs else None,
            "to_threshold": cv.estimate(list(reached.values())) if reached else None,
            "reached": len(reached), "per_seed": {"final": finals, "aulc": aulcs, "to_threshold": reach},
        })
    return out


def paired_against(summary: Sequence[Mapping[str, Any]], baseline: str) -> list[dict[str, Any]]:
    """Each other group minus the baseline, on the seeds both have: final, AULC and x to the
    threshold (on the seeds where both reached it); each an Estimate with its n, or None."""
    by_name = {s["group"]: s for s in summary}
    if baseline not in by_name:
        raise ConfigError(f"baseline {baseline!r}: expected one of {', '.join(by_name)}")
    base = by_name[baseline]["per_seed"]
    out = []
    for s in summary:
        if s["group"] == baseline:
            continue
        row: dict[str, Any] = {"group": s["group"], "label": s["label"], "baseline": baseline}
        for metric in ("final", "aulc", "to_threshold"):
            a = {k: v for k, v in s["per_seed"][metric].items() if v is not None}
            b = {k: v for k, v in base[metric].items() if v is not None}
            row[metric] = cv.paired(a, b) if set(a) & set(b) else None
        row["shared_seeds"] = len(set(s["per_seed"]["final"]) & set(base["final"]))
        out.append(row)
    return out


def skill_summary(groups: Sequence[Group], skills: pd.DataFrame, split: str = "test"
                  ) -> pd.DataFrame:
    """Skills x groups: final accuracy mean and 95% interval over seeds, and the best group."""
    last = skills[skills.split == split]
    if last.empty:
        return pd.DataFrame(columns=["skill"])
    last = last[last.iteration == last.groupby("run_id").iteration.transform("max")]
    rows = []
    for skill, g in last.groupby("skill", sort=True):
        acc = dict(zip(g.run_id, g.accuracy))
        row: dict[str, Any] = {"skill": skill}
        best, best_mean = None, -1.0
        for grp in groups:
            values = [acc[r] for _, r in grp.runs if r in acc]
            if not values:
                row[grp.name] = None
                continue
            est = cv.estimate(values)
            row[grp.name] = est
            if est.mean > best_mean + 1e-12:
                best, best_mean = grp.name, est.mean
            elif abs(est.mean - best_mean) <= 1e-12:
                best = f"{best}={grp.name}"
        row["best"] = best
        rows.append(row)
    return pd.DataFrame(rows)


def phase_times(groups: Sequence[Group], phases: pd.DataFrame) -> pd.DataFrame:
    """Per group: mean seconds per phase over its runs (and the total)."""
    rows = []
    by_run = phases.set_index("run_id") if not phases.empty else phases
    for g in groups:
        ids = [r for _, r in g.runs if r in by_run.index]
        if not ids:
            continue
        means = by_run.loc[ids, [*PHASES, "total"]].mean()
        rows.append({"group": g.name, **{p: float(means[p]) for p in (*PHASES, "total")}})
    return pd.DataFrame(rows, columns=["group", *PHASES, "total"])
