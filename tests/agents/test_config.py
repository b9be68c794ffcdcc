import json

import pytest

from agents.config import RunConfig
from students.errors import ConfigError


def test_defaults_round_trip_through_dict():
    config = RunConfig()
    assert RunConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_unknown_keys_are_named(tmp_path):
    with pytest.raises(ConfigError, match="unknown teacher key"):
        RunConfig.from_dict({"teacher": {"polcy": "uniform"}})
    with pytest.raises(ConfigError, match=r"unknown config key\(s\) \['iteratoins'\]"):
        RunConfig.from_dict({"iteratoins": 3})


def test_toml_file(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('iterations = 3\nseed = 4\n[teacher]\npolicy = "uniform"\nbudget = 120\n')
    config = RunConfig.from_file(path)
    assert (config.iterations, config.seed, config.teacher.policy, config.teacher.budget) == (3, 4, "uniform", 120)


@pytest.mark.parametrize("text, message", [
    ("iterations = 0", "iterations must be >= 1"),
    ('iterations = "many"', "must be an integer"),
    ("[teacher]\nbudget = 0", "budget must be >= 1"),
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
