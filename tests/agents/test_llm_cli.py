"""The command line's LLM flags, and a run on a data file without skill labels."""

import json
import re

import pytest

from agents.config import RunConfig
from envs.history import History
from students.errors import ConfigError
from tests.agents.test_llm_discovery import Librarian, rows
from ui.cli import build_parser, main
from ui.commands import config_from_args


def parsed(*argv):
    return config_from_args(build_parser().parse_args(["run", *argv]))


def test_teacher_llm_is_shorthand_and_the_endpoint_flags_fill_the_llm_section(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    config = parsed("--teacher", "llm", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                    "--llm-opt", "concurrency=3", "--llm-opt", 'prices={"m": [1, 2]}',
                    "--data", str(tmp_path / "d.jsonl"))
    assert (config.teacher.policy, config.teacher.engine) == ("llm", "llm")
    assert (config.llm.base_url, config.llm.model, config.llm.concurrency) == (
        "http://127.0.0.1:9/v1", "m", 3)
    assert config.llm.prices == {"m": [1, 2]}
    assert config.task.id == "file" and config.task.options == {"path": str(tmp_path / "d.jsonl")}
    assert config.llm.api_key() == "sk-secret-value"  # from the environment only
    assert "sk-secret-value" not in json.dumps(config.to_dict())


def test_the_same_in_a_config_file(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('[teacher]\npolicy = "llm"\nengine = "llm"\n'
                    '[llm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\nbudget_usd = 2.5\n'
                    'prices = { m = [1.0, 2.0] }\n')
    config = parsed("--config", str(path), "--model", "other")
    assert config.llm.model == "other" and config.llm.budget_usd == 2.5
    assert RunConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("flag, message", [
    ("api_key=secret", r"unknown config key 'llm.api_key' \(known: base_url, "),
    ("concurrency=0", "'llm.concurrency' = 0: expected at least 1"),
    ("structured=yaml", "'llm.structured' = 'yaml': expected one of 'auto', "),
])
def test_bad_llm_settings_are_config_errors(flag, message):
    with pytest.raises(ConfigError, match=message):
        parsed("--llm-opt", flag)


def test_an_llm_teacher_without_an_endpoint_fails_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code = main(["run", "--policy", "llm", "--db", str(tmp_path / "h.duckdb"), "--quiet",
                 "--checkpoints", str(tmp_path / "ck")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no LLM endpoint: set llm.base_url" in err


class FileTeacher(Librarian):
    """Discovery (as the librarian), plans, new sum questions, and their answers."""

    def __call__(self, body):
        user = body["messages"][-1]["content"]
        seed = int(body.get("seed") or 0)
        if "new examples" in user:
            n = int(re.search(r"Write (\d+) new examples", user)[1])
            pairs = [(seed % 50 + i, i + 100) for i in range(n)]
            return json.dumps({"examples": [{"prompt": f"What is {a} plus {b}?", "answer": str(a + b)}
                                            for a, b in pairs]})
        if "Answer all" in user:
            found = re.findall(r"^(\d+)\. What is (\d+) plus (\d+)\?$", user, re.M)
            return json.dumps({"answers": [{"index": int(i), "answer": str(int(a) + int(b))}
                                           for i, a, b in found]})
        if "Budget:" in user:
            return json.dumps({"reasoning": "Scripted: sums need the most work.", "allocations": [
                {"skill": "sums_and_differences", "count": 3}, {"skill": "products", "count": 1}]})
        return super().__call__(body)


@pytest.mark.slow
def test_a_run_on_a_data_file_discovers_its_skills_and_checks_answers_by_agreement(tmp_path):
    from tests.fakes.chat_server import ScriptedServer

    data = tmp_path / "ops.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows()))
    db = tmp_path / "h.duckdb"
    with ScriptedServer(FileTeacher()) as server:
        code = main(["run", "--data", str(data), "--teacher", "llm", "--base-url", server.url,
                     "--model", "scripted", "--iterations", "1", "--budget", "8", "--quiet",
                     "--db", str(db), "--checkpoints", str(tmp_path / "ck"),
                     "--student-opt", "d_model=16", "--student-opt", "layers=1",
                     "--student-opt", "heads=1", "--student-opt", "epochs=1",
                     "--student-opt", "max_new_tokens=4"])
    assert code == 0
    history = History(db)
    assert history.scalar("SELECT status FROM runs") == "completed"
    skills = {r[0] for r in history.rows("SELECT DISTINCT skill FROM skill_scores")}
    assert skills == {"sums_and_differences", "products"}
    assert history.rows("SELECT skill, method FROM teacher_checks ORDER BY skill") == [
        ("products", "agreement"), ("sums_and_differences", "agreement")]
    assert history.scalar("SELECT count(*) FROM examples WHERE kept") == 8
    roles = {r[0] for r in history.rows("SELECT DISTINCT role FROM llm_calls")}
    assert roles == {"check", "discovery", "policy", "engine", "engine-check"}
