"""The whole loop with an LLM teacher, through ``curriculab run --teacher llm``, against the
scripted server: every environment level, a flaky endpoint, a budget, and kill -9 + resume."""

import collections
from pathlib import Path

import pytest

from envs.environment import LEVELS
from envs.history import History
from envs.tasks.task import make
from tests.fakes.chat_server import FAULTS, Faults, ScriptedServer
from tests.fakes.llm_run import (
    SKILLS,
    kill_when_landed,
    spawn_run,
    write_config,
)
from tests.fakes.teacher import ScriptedTeacher
from ui.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def arith():
    return make("arith-v0", eval_size=4, skills=SKILLS)


def config(tmp_path: Path, extra: str = "") -> str:
    return str(write_config(tmp_path, extra))


def run(tmp_path, server, *flags) -> History:
    db = tmp_path / "h.duckdb"
    code = main(["run", "--config", config(tmp_path), "--teacher", "llm", "--base-url",
                 server.url, "--model", "scripted", "--quiet", "--db", str(db), *flags])
    assert code == 0
    return History(db)


@pytest.mark.parametrize("level", LEVELS.ids())
def test_every_level_runs_end_to_end_and_keeps_the_reasoning(tmp_path, arith, level):
    with ScriptedServer(ScriptedTeacher(arith)) as server:
        history = run(tmp_path, server, "--level", level, "--iterations", "2")
    assert history.scalar("SELECT status FROM runs") == "completed"
    reasoning = [r[0] for r in history.rows("SELECT reasoning FROM plans ORDER BY iteration")]
    what = "tree plan" if level == "skill-tree" else "plan"
    assert [r.split(":")[0] for r in reasoning] == [f"Scripted {what} for iteration {t}" for t in (1, 2)]
    assert history.scalar("SELECT count(*) FROM examples WHERE kept AND engine = 'llm'") > 0
    roles = {r[0] for r in history.rows("SELECT DISTINCT role FROM llm_calls")}
    assert roles == {"check", "policy", "engine"}
    if level == "skill-tree":
        assert history.scalar("SELECT count(*) FROM allocations WHERE subskill LIKE '%-easy'") > 0


def test_a_flaky_endpoint_does_not_stop_the_run_and_every_failure_is_recorded(tmp_path, arith):
    faults = Faults(rate=0.3, kinds=FAULTS, seed=7)
    teacher = ScriptedTeacher(arith, wrong_rate=0.2, junk_rate=0.1)
    with ScriptedServer(teacher, faults=faults, timeout_delay=1.0) as server:
        history = run(tmp_path, server, "--iterations", "3", "--llm-opt", "timeout=0.5")
        # the teacher's calls (the endpoint check's short probes are compared apart)
        outcomes = collections.Counter(e.outcome for e in server.log
                                       if e.body.get("max_tokens", 99) > 16)
    assert history.scalar("SELECT status FROM runs") == "completed"
    assert history.scalar("SELECT max(iteration) FROM iterations") == 3
    faulted = sum(n for kind, n in outcomes.items() if kind != "ok")
    assert faulted >= 0.2 * sum(outcomes.values())  # about 30% of the calls were faults
    errors = collections.Counter(dict(history.rows(
        "SELECT error_kind, count(*) FROM llm_calls WHERE status = 'error' AND role <> 'check'"
        " GROUP BY 1")))
    kind = {"server_error": "server"}
    assert errors == collections.Counter({kind.get(k, k): n for k, n in outcomes.items() if k != "ok"})
    assert history.scalar("SELECT count(*) FROM llm_calls WHERE status = 'error'"
                          " AND (error IS NULL OR error = '')") == 0
    rejects = history.rows("SELECT reason FROM llm_rejects")
    assert rejects and all(r[0] for r in rejects)
    assert history.scalar("SELECT count(*) FROM examples WHERE NOT kept AND reason = ''") == 0
    wrong = history.scalar("SELECT sum(wrong) FROM teacher_checks")
    assert wrong > 0  # the teacher's own wrong answers were counted (and replaced)


def test_a_spent_budget_stops_cleanly_after_the_iteration(tmp_path, arith):
    with ScriptedServer(ScriptedTeacher(arith)) as server:  # everything from the config file
        path = Path(config(tmp_path, 'policy = "llm"\nengine = "llm"'))
        path.write_text(path.read_text() + f'base_url = "{server.url}"\nbudget_tokens = 1\n')
        assert main(["run", "--config", str(path), "--iterations", "3", "--quiet",
                     "--db", str(tmp_path / "h.duckdb")]) == 0
    history = History(tmp_path / "h.duckdb")
    status, message = history.rows("SELECT status, message FROM runs")[0]
    assert status == "stopped" and "token budget spent" in message and "before iteration 2" in message
    assert history.scalar("SELECT max(iteration) FROM iterations") == 1
    assert history.scalar("SELECT count(*) FROM examples WHERE iteration = 1") > 0


def test_a_run_killed_mid_generation_resumes_without_repeating_a_call(tmp_path, arith):
    db = tmp_path / "h.duckdb"
    with ScriptedServer(ScriptedTeacher(arith), latency=0.25) as server:
        child = spawn_run(tmp_path, server.url, db)
        history = History(db)
        kill_when_landed(child, history, 3)
        run_id = history.scalar("SELECT run_id FROM runs")
        before = history.scalar("SELECT count(*) FROM llm_calls WHERE status = 'ok'"
                                " AND role <> 'check'")
        done = history.scalar("SELECT count(*) FROM llm_calls WHERE status = 'ok' AND role = 'engine'")
        assert history.scalar("SELECT count(*) FROM iterations") == 1  # killed inside iteration 1
        assert before >= 2
        assert main(["run", "--resume", run_id, "--quiet", "--db", str(db)]) == 0
    assert history.scalar("SELECT status FROM runs") == "completed"
    repeats = history.rows("SELECT cache_key, count(*) FROM llm_calls WHERE status = 'ok'"
                           " AND role <> 'check' GROUP BY 1 HAVING count(*) > 1")
    assert repeats == []  # no completed call was paid for twice
    replayed = history.scalar("SELECT count(*) FROM llm_calls WHERE cache_hit")
    assert replayed == before  # every call completed before the kill was replayed, not repeated
    wanted = history.scalar("SELECT count(DISTINCT cache_key) FROM llm_calls"
                            " WHERE role = 'engine' AND iteration = 1")
    assert done < wanted  # it was killed mid-generation

