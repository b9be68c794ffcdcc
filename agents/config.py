"""Run configuration: a RunConfig composes task, student and teacher configs.

Defaults run the offline demo on a laptop CPU. Unknown keys are errors. Secrets never live
here: API keys come from the environment only.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from agents.llm.config import LLMConfig
from envs.environment import REGIMES
from envs.quality.checks import DEFAULT_CHECKS
from students.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TaskConfig:
    id: str = "arith-v0"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StudentConfig:
    id: str = "tiny-gpt"
    options: dict[str, Any] = field(default_factory=dict)
    regime: str = "continue"  # continue | retrain (DataEnvGym's: from scratch on all data)


@dataclass(frozen=True, slots=True)
class TeacherConfig:
    policy: str = "weakest"
    engine: str = "procedural"
    level: str = "skill-list"
    budget: int = 1000  # examples per iteration
    policy_options: dict[str, Any] = field(default_factory=dict)
    engine_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunConfig:
    task: TaskConfig = field(default_factory=TaskConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)  # used by the llm policy and engine
    iterations: int = 6
    seed: int = 0
    checks: tuple[str, ...] = DEFAULT_CHECKS
    known_keep: float = 0.0  # the "known" check keeps this fraction of examples already known
    checkpoint_dir: str = "runs"

    def __post_init__(self) -> None:
        if self.iterations < 1:
            raise ConfigError(f"iterations must be >= 1, got {self.iterations}")
        if self.teacher.budget < 1:
            raise ConfigError(f"budget must be >= 1, got {self.teacher.budget}")
        if not 0.0 <= self.known_keep <= 1.0:
            raise ConfigError(f"known_keep must be within [0, 1], got {self.known_keep}")
        if self.student.regime not in REGIMES:
            raise ConfigError(f"unknown regime {self.student.regime!r} (known: {', '.join(REGIMES)})")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checks"] = list(self.checks)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Strict: an unknown or mistyped key is a ConfigError naming it."""
        parts = {"task": TaskConfig, "student": StudentConfig, "teacher": TeacherConfig,
                 "llm": LLMConfig}
        kwargs = _known(cls, data, "config")
        for key, part in parts.items():
            if key in kwargs:
                if not isinstance(kwargs[key], dict):
                    raise ConfigError(f"config key {key!r} must be a table/object")
                kwargs[key] = part(**_known(part, kwargs[key], key))
        if "checks" in kwargs:
            kwargs["checks"] = tuple(kwargs["checks"])
        for key in ("iterations", "seed"):
            if key in kwargs and not isinstance(kwargs[key], int):
                raise ConfigError(f"config key {key!r} must be an integer, got {kwargs[key]!r}")
        return cls(**kwargs)

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        """Read a ``.toml`` or ``.json`` config file."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as e:
            raise ConfigError(f"cannot read config file {path}: {e.strerror}") from e
        try:
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f"config file {path} is not valid {path.suffix[1:] or 'JSON'}: {e}") from e
        if not isinstance(data, dict):
            raise ConfigError(f"config file {path} must hold a table/object at the top")
        return cls.from_dict(data)


def _known(cls: type, data: dict[str, Any], where: str) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown {where} key(s) {unknown} (known: {sorted(names)})")
    return dict(data)
