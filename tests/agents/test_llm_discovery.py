"""Skill discovery over a data file without skill labels, against the scripted server."""

import json
import re

import pytest

from agents.discovery.discover import discover, ensure_skills
from agents.llm.client import LLMClient
from agents.llm.config import LLMConfig
from envs.checker import check_task
from envs.history import History
from envs.tasks.task import make
from agents.llm.errors import LLMError
from tests.fakes.chat_server import Reply, ScriptedServer
from ui.cli import main

OPS = {"plus": ("adding_numbers", "sum_of_two_integers"), "times": ("multiplying_numbers",),
       "minus": ("subtracting_numbers",)}


def rows():
    out = []
    for a in range(12):
        for op, f in (("plus", int.__add__), ("times", int.__mul__), ("minus", int.__sub__)):
            out.append({"prompt": f"What is {a + 3} {op} {a}?", "answer": str(f(a + 3, a))})
    return out


class Librarian:
    """Labels by the operation word, groups into arithmetic / products, assigns likewise."""

    def __init__(self, fail_group: bool = False):
        self.fail_group, self.stages = fail_group, []

    def __call__(self, body):
        user = body["messages"][-1]["content"]
        questions = re.findall(r"^(\d+)\. What is \d+ (\w+) \d+\?$", user, re.M)
        if "Label all" in user:
            self.stages.append("label")
            return json.dumps({"labels": [{"index": int(i), "skill": OPS[op][int(i) % len(OPS[op])],
                                           "reason": f"uses {op}"} for i, op in questions]})
        if "Group them" in user:
            self.stages.append("group")
            if self.fail_group:
                return Reply(None, 500)
            return json.dumps({"categories": [
                {"name": "Sums and Differences", "description": "adding or subtracting",
                 "skills": ["adding_numbers", "sum_of_two_integers", "subtracting_numbers"]},
                {"name": "products", "description": "multiplying",
                 "skills": ["multiplying_numbers", "adding_numbers"]}]})  # repeats one label
        self.stages.append("assign")
        return json.dumps({"assignments": [
            {"index": int(i), "category": "products" if op == "times" else "sums_and_differences"}
            for i, op in questions]})


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "ops.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows()))
    return path


def client(server, history, **kw):
    return LLMClient(LLMConfig(base_url=server.url, model="scripted", backoff=0.01, **kw),
                     history=history, run_id="d")


def test_discovery_labels_groups_and_assigns_every_item(data, tmp_path):
    history, task = History(tmp_path / "h.duckdb"), make("file", path=str(data))
    assert task.needs_skills
    with ScriptedServer(Librarian()) as server:
        result = discover(task, client(server, history), history, batch=8)
        first = len(server.log)
        again = discover(task, client(server, history), history, batch=8)
    assert list(result.categories) == ["sums_and_differences", "products"]
    assert result.categories["products"][1] == ["multiplying_numbers"]  # exclusive
    skills = result.skills()
    assert len(skills) == len(rows())
    assert all(skills[i.id] == ("products" if " times " in i.prompt else "sums_and_differences")
               for i in task.items())
    methods = {m for _, m in result.assignments.values()}
    assert methods == {"label", "llm"}  # val items through their label, the rest by asking
    assert all(result.assignments[i.id][1] == "label" for i in task.split("val"))
    assert again.resumed == ("label", "group", "assign") and len(server.log) == first
    assert again.skills() == skills
    stored = history.rows("SELECT stage, status, n_items FROM discovery_runs")
    assert stored == [("assign", "completed", len(rows()))]
    labelled = task.with_skills(skills)
    check_task(labelled)


def test_each_stage_is_kept_so_a_failed_discovery_continues_where_it_stopped(data, tmp_path):
    history, task = History(tmp_path / "h.duckdb"), make("file", path=str(data))
    librarian = Librarian(fail_group=True)
    with ScriptedServer(librarian) as server:
        with pytest.raises(LLMError, match="could not group"):
            discover(task, client(server, history, retries=0), history, rounds=2)
        assert librarian.stages.count("group") == 2 and "assign" not in librarian.stages
        status, message = history.rows("SELECT status, message FROM discovery_runs")[0]
        assert status == "failed" and "could not group" in message  # not left "running"
        librarian.fail_group, librarian.stages = False, []
        result = discover(task, client(server, history), history)
    assert result.resumed == ("label",) and "label" not in librarian.stages
    assert set(result.skills().values()) == {"sums_and_differences", "products"}
    assert history.rows("SELECT status FROM discovery_runs") == [("completed",)]


def test_a_discovery_that_labels_nothing_saves_no_stage_and_a_fixed_endpoint_starts_afresh(
        data, tmp_path):
    history, task = History(tmp_path / "h.duckdb"), make("file", path=str(data))
    with ScriptedServer(lambda body: '{"labels": []}') as server:
        with pytest.raises(LLMError, match="labelled none of"):
            discover(task, client(server, history, retries=0), history, rounds=1)
        first = history.rows("SELECT discovery_id, status, stage FROM discovery_runs")
    assert [(s, st) for _, s, st in first] == [("failed", None)]  # no empty stage saved
    with ScriptedServer(Librarian()) as server:  # another endpoint: another discovery
        result = discover(task, client(server, history), history)
    assert result.discovery_id != first[0][0] and result.resumed == ()
    assert result.methods() == {"llm": len(rows()) - len(task.split("val")),
                                "label": len(task.split("val"))}


def test_a_discovery_whose_assignments_are_mostly_fallbacks_is_refused(data, tmp_path):
    history, task = History(tmp_path / "h.duckdb"), make("file", path=str(data))
    librarian = Librarian()

    def lazy(body):  # labels one item, then assigns nothing
        reply = librarian(body)
        if "Label all" in body["messages"][-1]["content"]:
            labels = json.loads(reply)["labels"][:1]
            return json.dumps({"labels": labels})
        return reply if "Group them" in body["messages"][-1]["content"] else '{"assignments": []}'

    with ScriptedServer(lazy) as server:
        with pytest.raises(LLMError, match=r"could assign only \d+ of 36 items"):
            discover(task, client(server, history, retries=0), history, rounds=1)
    assert history.rows("SELECT status, stage FROM discovery_runs") == [("failed", "group")]


def test_a_run_labels_its_data_file_before_it_starts(data, tmp_path):
    history = History(tmp_path / "h.duckdb")
    with ScriptedServer(Librarian()) as server, client(server, history) as llm:
        task = ensure_skills(make("file", path=str(data)), llm)
    assert not task.needs_skills and {s.name for s in task.skills} == {"sums_and_differences", "products"}
    assert history.scalar("SELECT count(DISTINCT label) FROM llm_calls WHERE role = 'discovery'") == 3


def test_the_discover_command_prints_the_skills_and_writes_them_out(data, tmp_path, capsys):
    out = tmp_path / "labelled.jsonl"
    with ScriptedServer(Librarian()) as server:
        code = main(["discover", "--data", str(data), "--base-url", server.url, "--model",
                     "scripted", "--db", str(tmp_path / "h.duckdb"), "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "sums_and_differences" in text and "products" in text and "36 items in 2 skills" in text
    labelled = make("file", path=str(out))
    assert not labelled.needs_skills and {s.name for s in labelled.skills} == {
        "sums_and_differences", "products"}
