"""Comparing runs: seed groups, config differences and the per-skill table (pure, no I/O)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

# Keys that differ between runs without making them different experiments.
NOT_CONFIG = ("seed", "checkpoint_dir")


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"teacher": {"budget": 5}}`` -> ``{"teacher.budget": 5}``; lists become JSON text."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value
    return flat


def _configs(runs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {r.run_id: flatten(json.loads(r.config) if isinstance(r.config, str) else (r.config or {}))
            for r in runs.itertuples()}


def config_diff(runs: pd.DataFrame) -> pd.DataFrame:
    """Only the config keys whose values differ between the runs: one row per key."""
    configs = _configs(runs)
    keys = sorted({k for c in configs.values() for k in c})
    rows = []
    for key in keys:
        values = [configs[r].get(key) for r in configs]
        if len({json.dumps(v, default=str) for v in values}) > 1:
            rows.append({"key": key, **{r: _show(v) for r, v in zip(configs, values)}})
    return pd.DataFrame(rows, columns=["key", *configs])


def group_keys(runs: pd.DataFrame) -> dict[str, str]:
    """run_id -> the run's whole config less the seed (and where checkpoints go), as sorted
    JSON: runs share a group exactly when these are equal."""
    return {r: json.dumps({k: v for k, v in c.items() if k not in NOT_CONFIG}, sort_keys=True,
                          default=str) for r, c in _configs(runs).items()}


def groups(runs: pd.DataFrame) -> dict[str, str]:
    """run_id -> a label shared by runs whose configs differ only in the seed.

    Runs are grouped by their whole config less the seed; the label names every key whose
    value sets the group apart (``policy=uniform, teacher.budget=200``), so two groups never
    share a label. When nothing but the seed differs, every run is in one group."""
    configs = _configs(runs)
    keyed = group_keys(runs)
    distinct: dict[str, list[str]] = {}
    for run_id, key in keyed.items():
        distinct.setdefault(key, []).append(run_id)
    if len(distinct) == 1 and len(configs) > 1:
        return {r: "same config" for r in configs}
    differing = [k for k in sorted({k for c in configs.values() for k in c}) if k not in NOT_CONFIG
                 and len({json.dumps(c.get(k), default=str) for c in configs.values()}) > 1]
    names = _short_names(differing)
    labels = {}
    for members in distinct.values():
        config = configs[members[0]]
        label = ", ".join(f"{names[k]}={_show(config.get(k))}" for k in differing)
        for run_id in members:
            labels[run_id] = label or run_id
    return labels


def _short_names(keys: list[str]) -> dict[str, str]:
    """Each key by its last part, or by its whole path where two keys share a last part."""
    last = [k.split(".")[-1] for k in keys]
    return {k: (k if last.count(k.split(".")[-1]) > 1 else k.split(".")[-1]) for k in keys}


def skill_table(final: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Skills x runs of final test accuracy (in %), with a mean row at the bottom."""
    if final.empty:
        return pd.DataFrame(columns=["skill"])
    table = final.pivot(index="skill", columns="run_id", values="accuracy").sort_index()
    table.loc["MEAN"] = table.mean()
    table = (100 * table).round(1)
    if labels:
        table.columns = [f"{c} ({labels[c]})" if labels.get(c) not in (None, c) else c
                         for c in table.columns]
    return table.reset_index().rename(columns={"index": "skill"})


def curves_with_groups(curves: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """The compare curves with a ``group`` column (what ``charts.compare_curves`` takes)."""
    out = curves.copy()
    out["group"] = [labels.get(r, r) for r in out.run_id]
    return out


def _show(value: Any) -> Any:
    return "–" if value is None else value
