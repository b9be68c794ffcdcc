"""The LLM policy graph against the scripted server: levels, fitting, steering, fallback."""

import json

import pytest

from agents.checker import check_policy
from agents.config import RunConfig
from agents.graphs.policy.context import PolicyContext
from agents.graphs.policy.graph import policy_graph
from agents.llm.client import LLMClient
from agents.llm.config import LLMConfig
from agents.llm.errors import LLMError
from agents.policy import RemembersPlans, make_policy
from agents.runner import start_run
from envs.history import History
from envs.level import Level
from envs.records import Answer, Item, Observation, Plan, SkillProfile, SkillScore
from envs.tasks.task import make
from tests.fakes.chat_server import Reply, ScriptedServer
from tests.fakes.teacher import ScriptedTeacher

LEVELS = tuple(Level)


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


def policy(task, server, history, level=Level.SKILL_LIST, fallback="none", **kw):
    llm = LLMClient(LLMConfig(base_url=server.url, model="scripted", backoff=0.01, **kw),
                    history=history, run_id="r")
    return make_policy("llm", llm=llm, task=task, level=level, seed=0, fallback=fallback)


def user_prompts(server):
    """What the teacher was asked, without the endpoint check's short probes."""
    return [e.body["messages"][-1]["content"] for e in server.log
            if e.body.get("max_tokens", 99) > 16]


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
    open_ended, skill_list, tree = (seen[Level.OPEN_ENDED], seen[Level.SKILL_LIST],
                                    seen[Level.SKILL_TREE])
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
        plan = policy(arith, server, history, Level.SKILL_TREE).plan(trajectory()[0], 120)
    assert plan.total == 120 and dict(plan.subskills["mul"]) == {"mul-easy": 20, "mul-hard": 10}
    assert plan.values["actions"]["add"] == "explore"
    assert plan.values["subskill_descriptions"]["add"]["add-hard"] == "large operands"


def test_an_adopted_plan_replaces_the_proposal_in_the_policys_memory(arith, history):
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        p = policy(arith, server, history)
        assert isinstance(p, RemembersPlans)
        proposal = p.plan(trajectory()[0], 60)
        p.adopt(Plan({"add": 0, "sub": 0, "mul": 0, "rev": 60}, proposal.reasoning + " (edited)",
                     proposal.values, edited_by="alice"))
        headless = p.plan(trajectory()[1], 60)
    assert proposal.reasoning.startswith("Scripted plan for iteration 1")
    assert [m["allocations"]["rev"] for m in p.memory["plans"]][:1] == [60]
    assert len(p.memory["plans"]) == 2  # the edit replaced the proposal, it did not add one
    assert "- iteration 1: rev 60" in user_prompts(server)[1]  # the next prompt shows the edit
    assert headless.edited_by is None and len(server.log) == 2


def test_a_run_steered_by_a_person_records_and_remembers_the_edited_plan(tmp_path, history):
    def steer(plan: Plan, obs: Observation) -> Plan:  # the person moves iteration 1 onto add
        if obs.iteration > 0:
            return plan
        return Plan({s: 28 if s == "add" else 0 for s in plan.allocations}, plan.reasoning,
                    plan.values, edited_by="alice")

    task = {"id": "arith-v0", "options": {"eval_size": 4, "skills": ["add", "sub"]}}
    student = {"id": "tiny-gpt", "options": {"d_model": 16, "layers": 1, "heads": 1,
                                              "epochs": 1, "max_new_tokens": 4}}
    with ScriptedServer(ScriptedTeacher(make(task["id"], **task["options"]))) as server:
        config = RunConfig.from_dict({
            "task": task, "student": student, "iterations": 2, "checkpoint_dir": str(tmp_path),
            "teacher": {"policy": "llm", "budget": 28},
            "llm": {"base_url": server.url, "model": "scripted", "backoff": 0.01}})
        run_id = start_run(config, history, progress=False, steer=steer).run_id
    plans = history.rows('SELECT iteration, edited_by, "values" FROM plans WHERE run_id = ?'
                         " ORDER BY iteration", [run_id])
    assert [(i, by) for i, by, _ in plans] == [(1, "alice"), (2, None)]
    assert history.rows("SELECT skill, count FROM allocations WHERE iteration = 1 ORDER BY skill"
                        ) == [("add", 28), ("sub", 0)]
    assert "- iteration 1: add 28" in user_prompts(server)[1]  # the policy kept the edit
    memory = json.loads(history.scalar("SELECT policy_state FROM iterations WHERE iteration = 1"))
    assert memory["plans"] == [{"iteration": 1, "allocations": {"add": 28, "sub": 0}}]


def test_the_graph_only_proposes(arith, history):
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        llm = LLMClient(LLMConfig(base_url=server.url, model="scripted"), history=history)
        graph = policy_graph()
        context = PolicyContext(llm, arith, trajectory()[0], 40, Level.SKILL_LIST, 0)
        out = graph.invoke({}, context=context)
    assert set(graph.get_graph().nodes) == {"__start__", "observe", "propose", "__end__"}
    assert out["proposal"]["reasoning"].startswith("Scripted plan") and out["error"] is None
    assert sum(out["proposal"]["allocations"].values()) == 40 and len(server.log) == 1


def test_an_endpoint_that_keeps_failing_falls_back_to_weakest_first_when_asked(arith, history,
                                                                                capsys):
    with ScriptedServer(lambda body: Reply(None, 503)) as server:
        p = policy(arith, server, history, fallback="weakest", retries=1)
        plan = p.plan(trajectory()[0], 100)
    assert plan.values["fallback"] == "weakest-first" and "HTTP 503" in plan.reasoning
    assert max(plan.allocations, key=plan.allocations.get) == "rev" and plan.total == 100
    assert "HTTP 503" in p.last_error and len(server.log) == 2
    assert "planned weakest-first instead" in capsys.readouterr().err  # on the terminal


def test_without_the_fallback_switch_a_failing_endpoint_fails_the_plan(arith, history):
    with ScriptedServer(lambda body: Reply(None, 503)) as server:
        p = policy(arith, server, history, retries=1)
        with pytest.raises(LLMError, match="no usable plan.*fallback"):
            p.plan(trajectory()[0], 100)


@pytest.mark.parametrize("level", [Level.SKILL_LIST, Level.SKILL_TREE])
def test_a_plan_naming_no_known_skill_is_asked_again_then_marked_a_fallback(arith, history,
                                                                           level):
    junk = (json.dumps({"reasoning": "r", "skills": [{"skill": "algebra", "subskills": [
        {"name": "x", "count": 3}]}]}) if level == Level.SKILL_TREE else
        json.dumps({"reasoning": "r", "allocations": [{"skill": "algebra", "count": 9}]}))
    with ScriptedServer(lambda body: junk) as server:
        p = policy(arith, server, history, level=level, fallback="weakest")
        plan = p.plan(trajectory()[0], 100)
        seeds = [e.body["seed"] for e in server.log]
    assert plan.values["fallback"] == "weakest-first" and "algebra" in plan.reasoning
    assert len(seeds) == 3 == len(set(seeds))  # asked three times, each with its own seed
    with ScriptedServer(lambda body: junk) as server:
        with pytest.raises(LLMError, match="names no known skill|gives no subskill"):
            policy(arith, server, history, level=level).plan(trajectory()[0], 100)
