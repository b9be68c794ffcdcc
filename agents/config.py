"""Run configuration: a RunConfig composes the task, student, teacher, environment and LLM
sections, each next to its consumer (``EnvConfig`` in envs.environment, ``LLMConfig`` in
agents.llm.config).

Defaults run the offline demo on a laptop CPU; they are the one set the command line's help
and the app's form read. Every field is checked by type and range whether it comes from a
file, flags, the form or Python (``students.options``); the options of a task, student,
policy or engine are checked by that plug-in's own options class when it is built. Secrets
never live here: API keys come from the environment only.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agents.llm.config import LLMConfig
from agents.toml_writer import dumps
from envs.environment import EnvConfig
from envs.level import Level
from students.errors import ConfigError
from students.options import Checked, build, fail, within

@dataclass(frozen=True, slots=True)
class TaskConfig(Checked):
    id: str = "arith-v0"
    options: dict[str, Any] = field(default_factory=dict)  # the task's options class checks them

    WHERE = "task"


@dataclass(frozen=True, slots=True)
class StudentConfig(Checked):
    id: str = "tiny-gpt"
    options: dict[str, Any] = field(default_factory=dict)  # the student's options class checks them

    WHERE = "student"


@dataclass(frozen=True, slots=True)
class TeacherConfig(Checked):
    policy: str = "weakest"
    engine: str = "procedural"
    level: Level = Level.SKILL_LIST
    # examples per iteration; a million is far more than a run can train on between evaluations
    budget: int = field(default=1000, metadata=within(1, 1_000_000))
    policy_options: dict[str, Any] = field(default_factory=dict)
    engine_options: dict[str, Any] = field(default_factory=dict)

    WHERE = "teacher"


@dataclass(frozen=True, slots=True)
class RunConfig(Checked):
    task: TaskConfig = field(default_factory=TaskConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    env: EnvConfig = field(default_factory=EnvConfig)  # regime, quality checks, what is shown
    llm: LLMConfig = field(default_factory=LLMConfig)  # used by the llm policy and engine
    iterations: int = field(default=6, metadata=within(1, 100_000))
    seed: int = field(default=0, metadata=within(0, 2**31 - 1))  # what every seeded library takes
    checkpoint_dir: str = "runs"
    # modules imported before the run (and its resume), so that the tasks, students,
    # policies and engines they register can be named
    plugins: tuple[str, ...] = ()

    WHERE = ""

    def __post_init__(self) -> None:
        Checked.__post_init__(self)
        if not self.checkpoint_dir.strip():
            raise fail(self.WHERE, "checkpoint_dir", self.checkpoint_dir, "a folder path")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (what the history stores); ``from_dict`` reads it back."""
        return _plain(asdict(self))

    def to_toml(self) -> str:
        """The config as a TOML file that ``from_file`` reads back to an equal config."""
        return dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """Strict: an unknown, ill-typed or out-of-range key is a ConfigError naming it.
        Configs recorded before the ``env`` section (``checks`` and ``known_keep`` at the
        top, ``student.regime``) are read too."""
        return build(cls, _upgrade(data), "")

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        """Read a ``.toml`` or ``.json`` config file."""
        path = Path(path)
        if path.suffix not in (".toml", ".json"):
            raise ConfigError(f"config file {path}: expected a .toml or .json file")
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise ConfigError(f"cannot read config file {path}: {e.strerror}") from e
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise ConfigError(f"config file {path} is not UTF-8 text (byte {e.start} is"
                              f" {raw[e.start]:#04x})") from e
        try:
            data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f"config file {path} is not valid {path.suffix[1:] or 'JSON'}: {e}") from e
        if not isinstance(data, dict):
            raise ConfigError(f"config file {path} must hold a table/object at the top")
        return cls.from_dict(data)


def _upgrade(data: Any) -> Any:
    """An old-shape config with its environment settings moved into ``env``."""
    if not isinstance(data, Mapping):
        return data
    data = dict(data)
    moved = {key: data.pop(key) for key in ("checks", "known_keep") if key in data}
    student = data.get("student")
    if isinstance(student, Mapping) and "regime" in student:
        student = dict(student)
        moved["regime"] = student.pop("regime")
        data["student"] = student
    env = data.get("env", {})
    if moved and isinstance(env, Mapping):
        data["env"] = {**moved, **env}
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
