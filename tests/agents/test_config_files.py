"""Every config class, built from a config file with one field at a time given a wrong type,
fails with one line naming that field's key: the run's sections through ``RunConfig.from_file``,
the options of students, tasks, policies and engines through the file and their factory."""

from __future__ import annotations

import dataclasses
import json
import types
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest

from agents.config import RunConfig, StudentConfig, TaskConfig, TeacherConfig
from agents.engine import make_engine
from agents.engines.llm import LLMEngineOptions
from agents.engines.procedural import ProceduralOptions
from agents.policy import make_policy
from agents.llm.config import LLMConfig
from agents.policies.alp import ALPOptions
from agents.policies.explore_exploit import ExploreExploitOptions
from agents.policies.frontier import FrontierOptions
from agents.policies.llm import LLMPolicyOptions
from agents.policies.sec import SECOptions
from agents.policies.uniform import UniformOptions
from agents.policies.weakest import WeakestOptions
from agents.toml_writer import dumps
from envs.environment import EnvConfig
from envs.tasks.champ import ChampOptions
from envs.tasks.filetask import FileOptions
from envs.tasks.humaneval import HumanEvalOptions
from envs.tasks.suite import SuiteOptions
from envs.tasks.task import make
from students import make_student
from students.errors import ConfigError
from students.hf_config import HFConfig
from students.tiny_gpt import TinyGPTOptions

# the run's sections: where each sits in a config file
SECTIONS = {RunConfig: (), TaskConfig: ("task",), StudentConfig: ("student",),
            TeacherConfig: ("teacher",), EnvConfig: ("env",), LLMConfig: ("llm",)}
# options classes: (the section and id that select the plug-in, where its options sit)
OPTIONS = {
    TinyGPTOptions: (("student", "tiny-gpt"), ("student", "options")),
    HFConfig: (("student", "hf"), ("student", "options")),
    SuiteOptions: (("task", "strings-v0"), ("task", "options")),
    ChampOptions: (("task", "champ-v0"), ("task", "options")),
    HumanEvalOptions: (("task", "humaneval-v0"), ("task", "options")),
    FileOptions: (("task", "file"), ("task", "options")),
    UniformOptions: (("teacher", "uniform"), ("teacher", "policy_options")),
    WeakestOptions: (("teacher", "weakest"), ("teacher", "policy_options")),
    ALPOptions: (("teacher", "alp"), ("teacher", "policy_options")),
    SECOptions: (("teacher", "sec"), ("teacher", "policy_options")),
    FrontierOptions: (("teacher", "frontier"), ("teacher", "policy_options")),
    ExploreExploitOptions: (("teacher", "explore-exploit"), ("teacher", "policy_options")),
    LLMPolicyOptions: (("teacher", "llm"), ("teacher", "policy_options")),
    ProceduralOptions: (("teacher", "procedural"), ("teacher", "engine_options")),
    LLMEngineOptions: (("teacher", "llm"), ("teacher", "engine_options")),
}


def wrong(tp: Any) -> Any:
    """A value of the wrong type for ``tp`` (None when every value fits)."""
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        return wrong(next(a for a in args if a is not type(None)))
    if tp is Any:
        return None
    if tp in (int, float) or origin in (dict,) or dataclasses.is_dataclass(tp):
        return "abc"
    if tp is bool:
        return "yes"
    return 12345  # str, Literal[...] of strings, tuples


def cases() -> list:
    out = []
    for cls in [*SECTIONS, *OPTIONS]:
        for f in dataclasses.fields(cls):
            value = wrong(get_type_hints(cls)[f.name])
            if value is not None:
                out.append(pytest.param(cls, f.name, value, id=f"{cls.__name__}.{f.name}"))
        out.append(pytest.param(cls, "no_such_key", 1, id=f"{cls.__name__}.unknown"))
    return out


def nested(path: tuple[str, ...], value: Any) -> dict:
    for key in reversed(path):
        value = {key: value}
    return value


def merge(a: dict, b: dict) -> dict:
    return {**a, **{k: merge(a[k], v) if isinstance(v, dict) and k in a else v
                    for k, v in b.items()}}


def config_file(tmp_path, data: dict, kind: str):
    path = tmp_path / f"run.{kind}"
    path.write_text(dumps(data) if kind == "toml" else json.dumps(data))
    return path


def build_from_file(cls: type, path) -> None:
    """What a run does with the file: read it, then build the plug-in from its options."""
    config = RunConfig.from_file(path)
    if cls in SECTIONS:
        return
    where = OPTIONS[cls][1]
    if where == ("student", "options"):
        make_student(config.student.id, **config.student.options)
    elif where == ("task", "options"):
        make(config.task.id, **config.task.options)
    elif where == ("teacher", "policy_options"):
        make_policy(config.teacher.policy, **config.teacher.policy_options)
    else:
        make_engine(config.teacher.engine, task=make("arith-v0", eval_size=1),
                    **config.teacher.engine_options)


@pytest.mark.parametrize("kind", ["toml", "json"])
@pytest.mark.parametrize("cls, name, value", cases())
def test_a_wrong_type_in_a_config_file_is_one_line_naming_the_key(tmp_path, cls, name, value, kind):
    if cls in SECTIONS:
        where, data = SECTIONS[cls], {}
    else:
        (section, id_key), where = OPTIONS[cls][0], OPTIONS[cls][1]
        field = {"student": "id", "task": "id"}.get(section) or (
            "engine" if where[1] == "engine_options" else "policy")
        data = nested((section, field), id_key)
    data = merge(data, nested((*where, name), value))
    with pytest.raises(ConfigError) as error:
        build_from_file(cls, config_file(tmp_path, data, kind))
    message, key = str(error.value), ".".join((*where, name))
    assert "\n" not in message
    assert (f"config key '{key}' = " in message if name != "no_such_key"
            else f"unknown config key '{key}' (known: " in message), message

