import json
import tomllib

import pytest

from agents.config import RunConfig, StudentConfig, TaskConfig, TeacherConfig
from envs.environment import EnvConfig
from envs.level import Level
from students.errors import ConfigError


def test_defaults_round_trip_through_dict():
    config = RunConfig()
    assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_unknown_keys_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown config key 'teacher.polcy' \(known: policy, "):
        RunConfig.from_dict({"teacher": {"polcy": "uniform"}})
    with pytest.raises(ConfigError, match=r"unknown config key 'iteratoins' \(known: task, "):
        RunConfig.from_dict({"iteratoins": 3})


def test_toml_file(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('iterations = 3\nseed = 4\n[teacher]\npolicy = "uniform"\nbudget = 120\n')
    config = RunConfig.from_file(path)
    assert (config.iterations, config.seed, config.teacher.policy, config.teacher.budget) == (3, 4, "uniform", 120)


@pytest.mark.parametrize("text, message", [
    ("iterations = 0", r"config key 'iterations' = 0: expected a value within \[1, 100000\]"),
    ('iterations = "many"', "config key 'iterations' = 'many': expected an integer"),
    ("[teacher]\nbudget = 0", r"config key 'teacher.budget' = 0: expected a value within \[1, 1000000\]"),
    ("[env]\nknown_keep = 1.5", r"config key 'env.known_keep' = 1.5: expected a value within \[0, 1\]"),
    ('[teacher]\nlevel = "skill-forest"', "config key 'teacher.level' = 'skill-forest': expected one of"),
    ("task = 3", "config key 'task' = 3: expected a table of TaskConfig settings"),
    ("this is not toml", "not valid toml"),
])
def test_bad_files_are_one_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_file(path)


def test_missing_file():
    with pytest.raises(ConfigError, match="cannot read config file"):
        RunConfig.from_file("/nonexistent/run.toml")


def test_sections_check_their_fields_when_built_directly():
    with pytest.raises(ConfigError, match="config key 'teacher.budget' = 'many': expected an integer"):
        TeacherConfig(budget="many")
    with pytest.raises(ConfigError, match="config key 'env.regime' = 'sideways': expected one of"):
        EnvConfig(regime="sideways")
    with pytest.raises(ConfigError, match=r"config key 'iterations' = 0: expected a value within \[1, 100000\]"):
        RunConfig(iterations=0)
    assert RunConfig(env=EnvConfig(checks=["verify"])).env.checks == ("verify",)  # lists: tuples


def test_the_level_is_a_typed_name():
    assert TeacherConfig(level="skill-tree").level is Level.SKILL_TREE
    assert TeacherConfig(level=Level.OPEN_ENDED).level is Level.OPEN_ENDED
    with pytest.raises(ConfigError, match="config key 'teacher.level' = 'skill-forest': expected one of"):
        TeacherConfig(level="skill-forest")


def test_a_config_recorded_before_the_env_section_still_loads():
    """Runs recorded by earlier versions kept checks and known_keep at the top and the
    regime under student: resuming one reads them into env."""
    old = {"task": {"id": "strings-v0", "options": {"eval_size": 4}},
           "student": {"id": "tiny-gpt", "options": {"d_model": 32}, "regime": "retrain"},
           "teacher": {"policy": "sec", "engine": "procedural", "level": "open-ended",
                       "budget": 60, "policy_options": {}, "engine_options": {}},
           "llm": {"model": "m"}, "iterations": 2, "seed": 3,
           "checks": ["verify", "known"], "known_keep": 0.5, "checkpoint_dir": "ck"}
    config = RunConfig.from_dict(old)
    assert config.env == EnvConfig(regime="retrain", checks=("verify", "known"), known_keep=0.5)
    assert config.student == StudentConfig("tiny-gpt", {"d_model": 32})
    assert config.task == TaskConfig("strings-v0", {"eval_size": 4})
    assert (config.teacher.level, config.seed, config.plugins) == ("open-ended", 3, ())
    assert RunConfig.from_dict(config.to_dict()) == config


def test_toml_text_reads_back_to_the_same_config():
    config = RunConfig(
        task=TaskConfig("file", {"path": "d \"q\".jsonl", "fractions": [0.1, 0.2, 0.7],
                                 "levels": {}, "weird key": "é\t\x7f"}),
        student=StudentConfig("hf", {"target_modules": ["q", "v"], "lr": 1e-05, "threads": None}),
        teacher=TeacherConfig(policy="alp", level="skill-tree", policy_options={"pulls": 4}),
        env=EnvConfig(regime="retrain", warmup=False), plugins=("my_tasks",), seed=7)
    text = config.to_toml()
    again = RunConfig.from_dict(tomllib.loads(text))
    assert again.to_dict() == {**config.to_dict(), "student": {
        "id": "hf", "options": {"target_modules": ["q", "v"], "lr": 1e-05}}}  # TOML has no null
    assert RunConfig().to_toml() == RunConfig.from_dict(tomllib.loads(RunConfig().to_toml())).to_toml()
