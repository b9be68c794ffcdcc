"""The LLM engine graph against the scripted server: oracle answers, agreement, top-ups."""

import json
import re

import pytest

from agents.engine import make_engine
from agents.llm.client import LLMClient
from agents.llm.config import LLMConfig
from envs.evaluation import score_answers
from envs.history import History
from envs.records import Answer, Observation, Plan, SkillProfile
from envs.tasks.task import make
from tests.fakes.chat_server import Reply, ScriptedServer
from tests.fakes.teacher import ScriptedTeacher


@pytest.fixture(scope="module")
def arith():
    return make("arith-v0", eval_size=10, skills=["add", "mul", "sub", "cmp", "rev"])


@pytest.fixture
def history(tmp_path):
    return History(tmp_path / "h.duckdb")


def observe(task) -> Observation:
    answers = tuple(Answer(i, "0", False) for i in task.split("val"))
    profile = SkillProfile("val", score_answers(task, answers), answers)
    return Observation(0, profile, answers[::3])


def engine(task, server, history, **options):
    llm = LLMClient(LLMConfig(base_url=server.url, model="scripted", backoff=0.01, retries=1),
                    history=history, run_id="r")
    return make_engine("llm", task=task, llm=llm, seed=0, **options)


def generate(engine, plan, obs, **kw):
    """Generate, then wait for the background writes so the history can be read."""
    examples = engine.generate(plan, obs, **kw)
    engine.llm.close()
    return examples


def writes(server) -> list[str]:
    return [e.body["messages"][-1]["content"] for e in server.log
            if "new examples" in e.body["messages"][-1]["content"]]


def test_the_task_answers_and_the_teachers_error_rate_is_recorded(arith, history):
    with ScriptedServer(ScriptedTeacher(arith, wrong_rate=0.5)) as server:
        examples = generate(engine(arith, server, history, batch_size=4, spare=0),
                            Plan({"add": 10, "mul": 6}, "p"), observe(arith), iteration=1, seed=5)
    assert [e.skill for e in examples].count("add") == 10 and len(examples) == 16
    assert all(arith.oracle(e.skill, e.prompt) == e.answer for e in examples)
    assert len(writes(server)) == 3 + 2  # batches of at most 4
    rows = history.rows("SELECT skill, method, requested, delivered, checked, wrong, calls"
                        " FROM teacher_checks ORDER BY skill")
    assert [r[:5] for r in rows] == [("add", "oracle", 10, 10, 10), ("mul", "oracle", 6, 6, 6)]
    assert 0 < sum(r[5] for r in rows) < 16  # some of the teacher's own answers were wrong
    ids = {r[0] for r in history.rows("SELECT call_id FROM llm_calls WHERE status = 'ok'")}
    assert {e.call_id for e in examples} <= ids and all(e.engine == "llm" for e in examples)
    # the batches run concurrently, so the server may see a mul batch first
    prompt = next((w for w in writes(server) if "Skill: add" in w), "")
    assert "Skill: add" in prompt and "The student got these wrong" in prompt


def test_rejected_examples_are_recorded_and_the_shortfall_topped_up(arith, history):
    good = arith.generate("add", 3, seed=99)
    first = {"examples": [
        {"prompt": good[0].prompt, "answer": good[0].answer},
        {"prompt": good[1].prompt, "answer": good[1].answer},
        {"prompt": good[0].prompt, "answer": good[0].answer},
        {"prompt": "mul 3*4=", "answer": "12"},
        {"prompt": arith.split("val")[-1].prompt, "answer": "1"},
        {"prompt": "  ", "answer": "1"},
    ]}
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        server.push(json.dumps(first))
        examples = generate(engine(arith, server, history, batch_size=6, spare=0),
                            Plan({"add": 6}, "p"), observe(arith), iteration=2, seed=5)
    assert len(examples) == 6 and len({e.prompt for e in examples}) == 6
    reasons = [r[0] for r in history.rows("SELECT reason FROM llm_rejects WHERE iteration = 2")]
    assert sorted(reasons) == sorted([
        "duplicate prompt", "the task cannot answer it: not a 'add' prompt",
        "copies a val/test item", "empty prompt"])
    assert re.search(r"Write 4 new examples .*round 2", writes(server)[1])


def test_a_skill_whose_calls_keep_failing_comes_up_short(arith, history):
    teacher = ScriptedTeacher(arith)

    def responder(body):
        return Reply(None, 500) if "Skill: mul" in body["messages"][-1]["content"] else teacher(body)

    with ScriptedServer(responder) as server:
        examples = generate(engine(arith, server, history, max_rounds=2),
                            Plan({"add": 5, "mul": 5}, "p"), observe(arith), iteration=1, seed=5)
    assert {e.skill for e in examples} == {"add"} and len(examples) == 5
    assert history.rows("SELECT skill, requested, delivered, calls FROM teacher_checks"
                        " ORDER BY skill") == [("add", 5, 5, 1), ("mul", 5, 0, 2)]
    assert history.scalar("SELECT count(*) FROM llm_calls WHERE status = 'error'"
                          " AND error_kind = 'server'") == 4  # 2 rounds x (1 + 1 retry)


def test_subskills_of_a_plan_become_targets(arith, history):
    plan = Plan({"add": 5}, "p", {"subskill_descriptions": {"add": {"carry": "with carries"}}},
                {"add": {"carry": 3, "plain": 2}})
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        examples = generate(engine(arith, server, history),
                            plan, observe(arith), iteration=1, seed=1)
    assert sorted((e.subskill, e.skill) for e in examples) == [("carry", "add")] * 3 + [("plain", "add")] * 2
    assert any("Subskill: carry - with carries" in w for w in writes(server))


def test_generating_again_replays_every_call_from_the_cache(arith, history):
    plan = Plan({"cmp": 7, "rev": 5}, "p")
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        first = generate(engine(arith, server, history, batch_size=3),
                         plan, observe(arith), iteration=1, seed=3)
        served = len(server.log)
        again = generate(engine(arith, server, history, batch_size=3),
                         plan, observe(arith), iteration=1, seed=3)
    assert len(server.log) == served and [e.prompt for e in again] == [e.prompt for e in first]
    assert history.scalar("SELECT count(*) FROM llm_calls WHERE cache_hit") == served


def test_without_an_oracle_answers_are_decided_by_agreement(tmp_path, history):
    rows = [{"prompt": f"What is {a} plus {b}?", "answer": str(a + b)} for a in range(30) for b in (1, 2)]
    (tmp_path / "sums.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    task = make("file", path=str(tmp_path / "sums.jsonl"))
    written = [("What is 100 plus 1?", "101"), ("What is 200 plus 2?", "999"),  # teacher wrong
               ("What is 300 plus 3?", "303")]
    truth = {"What is 100 plus 1?": ["101", "101"], "What is 200 plus 2?": ["202", "202"],
             "What is 300 plus 3?": ["304", "305"]}  # the samples disagree with each other
    calls = {"answer": 0}

    def responder(body):
        user = body["messages"][-1]["content"]
        if "new examples" in user:
            return json.dumps({"examples": [{"prompt": p, "answer": a} for p, a in written]})
        sample, calls["answer"] = calls["answer"] % 2, calls["answer"] + 1
        problems = re.findall(r"^(\d+)\. (.*)$", user, re.M)
        return json.dumps({"answers": [{"index": int(i), "answer": truth[p][sample]} for i, p in problems]})

    with ScriptedServer(responder) as server:
        examples = generate(engine(task, server, history, max_rounds=1, samples=2),
                            Plan({"all": 3}, "p"), observe(task), iteration=1, seed=0)
    assert sorted((e.prompt, e.answer) for e in examples) == [
        ("What is 100 plus 1?", "101"), ("What is 200 plus 2?", "202")]
    assert history.rows("SELECT method, checked, wrong FROM teacher_checks") == [("agreement", 2, 1)]
    assert history.scalar("SELECT reason FROM llm_rejects").startswith("samples disagree: '303'")


def test_batches_ask_for_spare_examples_and_the_surplus_is_recorded(arith, history):
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        examples = generate(engine(arith, server, history, batch_size=10, spare=0.2),
                            Plan({"sub": 10}, "p"), observe(arith), iteration=1, seed=5)
    assert len(examples) == 10 and "Write 12 new examples" in writes(server)[0]
    assert history.rows("SELECT reason, count(*) FROM llm_rejects GROUP BY 1") == [
        ("surplus: the plan's count for this skill is already met", 2)]
