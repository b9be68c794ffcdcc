"""The LLM policy graph against the scripted server: levels, fitting, steering, fallback."""

import json

import pytest
from langgraph.types import Command

from agents.checker import check_policy
from agents.graphs.policy.context import PolicyContext
from agents.graphs.policy.graph import policy_graph
from agents.llm.client import LLMClient
from agents.llm.config import LLMConfig
from agents.policy import make_policy
from envs.history import History
from envs.records import Answer, Item, Observation, Plan, SkillProfile, SkillScore
from envs.tasks.task import make
from tests.fakes.chat_server import Reply, ScriptedServer
from tests.fakes.teacher import ScriptedTeacher

LEVELS = ("open-ended", "skill-list", "skill-tree")


@pytest.fixture(scope="module")
def arith():
    return make("arith-v0", eval_size=10, skills=["add", "mul", "sub", "cmp", "rev"])


@pytest.fixture
def history(tmp_path):
    return History(tmp_path / "h.duckdb")


def observation(iteration, accuracies, past=()):
    scores = tuple(SkillScore(s, 40, round(40 * a), None if not past else a - past[-1][s])
                   for s, a in accuracies.items())
    errors = (Answer(Item("val/add/1", "add", "add 12+30=", "42"), "24", False),)
    return Observation(iteration, SkillProfile("val", scores), errors, tuple(past))


def trajectory():
    first = {"add": 0.9, "sub": 0.5, "mul": 0.1, "rev": 0.0}
    second = {"add": 0.9, "sub": 0.7, "mul": 0.2, "rev": 0.05}
    return [observation(0, first), observation(1, second, [first])]


def policy(task, server, history, level="skill-list", **kw):
    llm = LLMClient(LLMConfig(base_url=server.url, model="scripted", backoff=0.01, **kw),
                    history=history, run_id="r")
    return make_policy("llm", llm=llm, task=task, level=level, seed=0)


def user_prompts(server):
    return [e.body["messages"][-1]["content"] for e in server.log]


@pytest.mark.parametrize("level", LEVELS)
def test_the_llm_policy_conforms_at_every_level(arith, history, level):
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        p = policy(arith, server, history, level)
        check_policy(p, trajectory(), budget=101)
        p.llm.close()  # flush the call log
        # load_state restored the memory, so the repeated plan replayed the cached call
        assert history.scalar("SELECT count(*) FROM llm_calls WHERE cache_hit") == 2


def test_each_level_shows_its_own_view(arith, history):
    seen = {}
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        for level in LEVELS:
            p = policy(arith, server, history, level)
            for obs in trajectory():
                p.plan(obs, 60)
            seen[level] = user_prompts(server)[-2:]
    open_ended, skill_list, tree = seen["open-ended"], seen["skill-list"], seen["skill-tree"]
    assert "Errors the student made" in open_ended[0] and "'add 12+30='" in open_ended[0]
    assert "| accuracy |" not in open_ended[0]
    assert "sub | 40 | 70% | +20% | 50%" in skill_list[1]  # accuracy, change, history
    assert "Your past plans" in skill_list[1] and "Errors the student made" not in skill_list[1]
    assert "Skill forest" in tree[0] and "no subskills yet" in tree[0]
    assert "- add-easy: allocation" in tree[1]  # the explored subskills are now in the forest


def test_counts_are_fitted_to_the_budget_and_unknown_skills_dropped(arith, history):
    answer = {"reasoning": "mostly mul", "allocations": [
        {"skill": "mul", "count": 5, "focus": "times tables"}, {"skill": "rev", "count": 2},
        {"skill": "poetry", "count": 9}]}
    with ScriptedServer(lambda body: json.dumps(answer)) as server:
        plan = policy(arith, server, history).plan(trajectory()[0], 70)
    assert dict(plan.allocations) == {"add": 0, "sub": 0, "mul": 50, "rev": 20}
    assert plan.values["dropped"] == ["poetry"] and plan.values["focus"] == {"mul": "times tables"}
    assert plan.reasoning == "mostly mul"


def test_a_skill_tree_plan_splits_skills_into_subskills(arith, history):
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        plan = policy(arith, server, history, "skill-tree").plan(trajectory()[0], 120)
    assert plan.total == 120 and dict(plan.subskills["mul"]) == {"mul-easy": 20, "mul-hard": 10}
    assert plan.values["actions"]["add"] == "explore"
    assert plan.values["subskill_descriptions"]["add"]["add-hard"] == "large operands"


def test_steering_pauses_the_graph_and_the_persons_plan_wins(arith, history):
    proposals = []

    def steer(plan: Plan, obs: Observation) -> Plan:
        proposals.append(plan)
        return Plan({"add": 0, "sub": 0, "mul": 0, "rev": 60}, plan.reasoning + " (edited)",
                    plan.values, edited_by="alice")

    with ScriptedServer(ScriptedTeacher(arith)) as server:
        p = policy(arith, server, history)
        plan = p.plan(trajectory()[0], 60, steer=steer)
        headless = p.plan(trajectory()[1], 60)
    assert proposals[0].reasoning.startswith("Scripted plan for iteration 1")
    assert plan.edited_by == "alice" and dict(plan.allocations)["rev"] == 60
    assert p.memory["plans"][0]["allocations"]["rev"] == 60  # memory keeps the steered plan
    assert headless.edited_by is None and len(server.log) == 2


def test_the_graph_interrupt_carries_the_proposal(arith, history):
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        llm = LLMClient(LLMConfig(base_url=server.url, model="scripted"), history=history)
        graph, config = policy_graph(), {"configurable": {"thread_id": "t"}}
        context = PolicyContext(llm, arith, trajectory()[0], 40, "skill-list", 0, steerable=True)
        paused = graph.invoke({}, config, context=context)
        proposal = paused["__interrupt__"][0].value["plan"]
        assert proposal["reasoning"].startswith("Scripted plan") and "plan" not in paused
        done = graph.invoke(Command(resume={**proposal, "edited_by": "bob"}), config, context=context)
    assert done["plan"]["edited_by"] == "bob" and len(server.log) == 1


def test_an_endpoint_that_keeps_failing_falls_back_to_weakest_first(arith, history):
    with ScriptedServer(lambda body: Reply(None, 503)) as server:
        p = policy(arith, server, history, retries=1)
        plan = p.plan(trajectory()[0], 100)
    assert plan.values["fallback"] == "weakest-first" and "HTTP 503" in plan.reasoning
    assert max(plan.allocations, key=plan.allocations.get) == "rev" and plan.total == 100
    assert "HTTP 503" in p.last_error and len(server.log) == 2
