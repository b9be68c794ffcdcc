"""A sweep spec: a base run config, axes whose values are crossed, and explicit runs.

    # sweep.toml
    name = "policies"                      # optional; shown in `curriculab runs`-like lists
    [base]                                 # any run config (the [base] table of a config file)
    iterations = 3
    teacher = { budget = 200 }
    [axes]                                 # every combination of these values is a cell
    "teacher.policy" = ["uniform", "weakest", "alp"]
    seed = [0, 1, 2, 3]
    [[runs]]                               # extra cells: overrides of the base, not crossed
    "teacher.policy" = "sec"
    seed = 0

The same in YAML (``base:``, ``axes:``, ``runs:``). A key is a dotted path into the run
config (``student.options.d_model``); inside an ``options`` table any name goes, and the
plug-in's options class checks it when the run starts. Every error is a ConfigError naming
the key. Cells are ordered seeds-last-varying as written; each cell's identity is a hash of
its config, so the same spec gives the same sweep id and cell ids every time.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from agents.config import RunConfig
from students.errors import ConfigError

TOP_KEYS = ("name", "base", "axes", "runs")
FREE_TABLES = ("options", "policy_options", "engine_options", "prices")  # any key inside


@dataclass(frozen=True, slots=True)
class Cell:
    """One run of a sweep: its axis values (what sets it apart) and its whole config."""

    key: str  # a hash of the config: the cell's identity across reruns
    seq: int
    axes: Mapping[str, Any]
    config: RunConfig


@dataclass(frozen=True, slots=True)
class SweepSpec:
    name: str
    base: Mapping[str, Any]
    axes: Mapping[str, Sequence[Any]]
    runs: Sequence[Mapping[str, Any]]

    @property
    def sweep_id(self) -> str:
        """``sweep-<name>-<hash of the cells>``: the same spec, the same sweep."""
        digest = hashlib.sha256("".join(c.key for c in self.cells()).encode()).hexdigest()[:10]
        return f"sweep-{self.name}-{digest}" if self.name else f"sweep-{digest}"

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "base": self.base, "axes": {k: list(v) for k, v in self.axes.items()},
                "runs": [dict(r) for r in self.runs]}

    def cells(self) -> list[Cell]:
        """Every combination of the axes (the first axis varying slowest), then the explicit
        runs; a config that appears twice is one cell."""
        combos = [dict(zip(self.axes, values)) for values in itertools.product(*self.axes.values())]
        if not self.axes and self.runs:
            combos = []  # explicit runs only
        out: dict[str, Cell] = {}
        for where, overrides in [("axes", c) for c in combos] + [
                (f"runs[{i}]", r) for i, r in enumerate(self.runs)]:
            config = _config(self.base, overrides, where)
            key = cell_key(config)
            if key not in out:
                out[key] = Cell(key, len(out), dict(overrides), config)
        return list(out.values())


def cell_key(config: RunConfig) -> str:
    """A stable hash of a run config (JSON with sorted keys)."""
    text = json.dumps(config.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def from_configs(configs: Sequence[RunConfig], name: str = "") -> SweepSpec:
    """A spec whose cells are exactly ``configs`` (the Python API's way in)."""
    base = RunConfig().to_dict()
    runs = []
    for config in configs:
        data = config.to_dict()
        runs.append({k: v for k, v in _flat(data).items() if _flat(base).get(k, _MISSING) != v})
    return SweepSpec(name, base, {}, runs)


def load_spec(path: str | Path) -> SweepSpec:
    """Read a ``.toml``, ``.yaml`` or ``.yml`` sweep spec; ConfigError naming the key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        why = e.strerror if isinstance(e, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read sweep spec {path}: {why}") from e
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"sweep spec {path} is not valid TOML: {e}") from e
    elif suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as e:  # pragma: no cover - pyyaml comes with transformers
            raise ConfigError("reading a YAML sweep spec needs the pyyaml package") from e
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"sweep spec {path} is not valid YAML: "
                              f"{' '.join(str(e).split())}") from e
    else:
        raise ConfigError(f"sweep spec {path}: expected a .toml, .yaml or .yml file")
    return parse_spec(data, str(path))


def parse_spec(data: Any, where: str = "sweep spec") -> SweepSpec:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a table with base, axes and runs")
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (expected {', '.join(TOP_KEYS)})")
    name = data.get("name", "")
    if not isinstance(name, str) or not all(c.isalnum() or c in "-_." for c in name):
        raise ConfigError(f"{where}: key 'name' = {name!r}: expected letters, digits, '-', '_' or '.'")
    base = data.get("base", {})
    if not isinstance(base, Mapping):
        raise ConfigError(f"{where}: key 'base' must be a table of run config settings")
    _config(base, {}, "base")  # the base alone must be a valid config
    axes = data.get("axes", {})
    if not isinstance(axes, Mapping):
        raise ConfigError(f"{where}: key 'axes' must be a table of KEY = [values]")
    for key, values in axes.items():
        _check_path(key, f"axes.{key}")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: key 'axes.{key}' must be a non-empty list of values")
    runs = data.get("runs", [])
    if not isinstance(runs, list) or not all(isinstance(r, Mapping) for r in runs):
        raise ConfigError(f"{where}: key 'runs' must be a list of tables of KEY = value")
    for i, run in enumerate(runs):
        for key in run:
            _check_path(key, f"runs[{i}].{key}")
    spec = SweepSpec(name, copy.deepcopy(dict(base)), {k: list(v) for k, v in axes.items()},
                     [dict(r) for r in runs])
    spec.cells()  # every cell must be a valid config
    return spec


_MISSING = object()


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and key not in FREE_TABLES:
            out.update(_flat(value, f"{name}."))
        else:
            out[name] = value
    return out


def _check_path(key: str, where: str) -> None:
    """``key`` must name a run config field (anything goes below an options table)."""
    node: Any = RunConfig()
    for part in key.split("."):
        if not hasattr(node, "__dataclass_fields__"):
            raise ConfigError(f"sweep spec key {where!r}: nothing lies below {part!r}'s parent")
        names = [f.name for f in fields(node)]
        if part not in names:
            raise ConfigError(f"sweep spec key {where!r}: {part!r} is not a run config key"
                              f" (expected one of {', '.join(sorted(names))})")
        if part in FREE_TABLES:
            return
        node = getattr(node, part)


def _config(base: Mapping[str, Any], overrides: Mapping[str, Any], where: str) -> RunConfig:
    data = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if key == "llm" and isinstance(value, Mapping) and isinstance(node.get("llm"), dict):
            # teacher LLMs side by side: each value names an endpoint and model; the base's
            # other llm settings (limits, budget, cache) stay shared by every teacher
            value = {**node["llm"], **value}
        node[parts[-1]] = copy.deepcopy(value)
    try:
        return RunConfig.from_dict(data)
    except ConfigError as e:
        shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
        raise ConfigError(f"sweep spec {where}{f' ({shown})' if shown else ''}: {e}") from e
