"""Teacher LLMs side by side: one sweep axis whose values are endpoints and models, each cell a
run against its own (scripted) server, compared in one history."""

import json

import pytest

from agents.sweep import parse_spec
from envs.history import History
from envs.tasks.task import make
from tests.fakes.chat_server import ScriptedServer
from tests.fakes.llm_run import SKILLS
from tests.fakes.teacher import ScriptedTeacher
from ui.cli import main

BASE = {"iterations": 1, "task": {"options": {"skills": SKILLS, "eval_size": 4}},
        "teacher": {"policy": "llm", "engine": "llm", "budget": 16},
        "student": {"options": {"d_model": 16, "layers": 1, "heads": 1, "epochs": 1}},
        "llm": {"max_tokens": 300, "backoff": 0.01}}


def test_an_llm_axis_takes_endpoint_and_model_and_keeps_the_shared_settings():
    spec = parse_spec({"base": BASE, "axes": {
        "llm": [{"base_url": "http://a.local/v1", "model": "m1"},
                {"base_url": "http://b.local/v1", "model": "m2"}], "seed": [0, 1]}})
    cells = spec.cells()
    assert [(c.config.llm.base_url, c.config.llm.model, c.config.seed) for c in cells] == [
        ("http://a.local/v1", "m1", 0), ("http://a.local/v1", "m1", 1),
        ("http://b.local/v1", "m2", 0), ("http://b.local/v1", "m2", 1)]
    assert {c.config.llm.max_tokens for c in cells} == {300}  # the base's, for every teacher


@pytest.mark.slow
def test_one_sweep_runs_each_teacher_llm_against_its_endpoint(tmp_path):
    task = make("arith-v0", eval_size=4, skills=SKILLS)
    with ScriptedServer(ScriptedTeacher(task), model="good") as good, \
            ScriptedServer(ScriptedTeacher(task, wrong_rate=0.5), model="sloppy") as sloppy:
        spec = {"name": "teachers", "base": {**BASE, "checkpoint_dir": str(tmp_path / "ck")},
                "axes": {"llm": [{"base_url": good.url, "model": "good"},
                                 {"base_url": sloppy.url, "model": "sloppy"}]}}
        path = tmp_path / "sweep.json"
        path.write_text(json.dumps(spec))
        toml = tmp_path / "sweep.toml"
        toml.write_text(_toml(spec))
        db = tmp_path / "h.duckdb"
        assert main(["sweep", str(toml), "--workers", "1", "--quiet", "--db", str(db)]) == 0
        assert len(good.log) > 0 and len(sloppy.log) > 0  # each teacher served its own cell
    history = History(db)
    models = dict(history.rows("SELECT model, count(DISTINCT run_id) FROM llm_calls"
                               " GROUP BY 1"))
    assert models == {"good": 1, "sloppy": 1}
    wrong = dict(history.rows("SELECT l.model, sum(c.wrong) FROM teacher_checks c JOIN"
                              " (SELECT DISTINCT run_id, model FROM llm_calls) l USING (run_id)"
                              " GROUP BY 1"))
    assert wrong["good"] == 0 < wrong["sloppy"]


def _toml(spec: dict) -> str:
    def value(v):
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)

    lines = [f'name = "{spec["name"]}"', "[base]"]
    lines += [f"{k} = {value(v)}" for k, v in spec["base"].items()]
    lines += ["[axes]"] + [f"{k} = [{', '.join(value(x) for x in v)}]"
                           for k, v in spec["axes"].items()]
    return "\n".join(lines) + "\n"
