"""A run's LLM account (``show``, ``show --json``, the Cost view) against the scripted server:
calls by kind, replays apart from spending, usable-output shares, fallback plans."""

import json

import pytest

from envs.history import History, summaries
from envs.tasks.task import make
from tests.fakes.chat_server import ScriptedServer
from tests.fakes.llm_run import SKILLS, write_config
from tests.fakes.teacher import Forgetful
from ui.cli import main

pytestmark = pytest.mark.slow


def test_show_gives_the_llm_account_and_replays_are_not_spending(tmp_path, capsys):
    db = tmp_path / "h.duckdb"
    config = write_config(tmp_path, 'policy_options = { fallback = "weakest" }')
    flags = ["run", "--config", str(config), "--teacher", "llm", "--quiet", "--db", str(db),
             "--iterations", "2"]
    with ScriptedServer(Forgetful(make("arith-v0", eval_size=4, skills=SKILLS))) as server:
        assert main([*flags, "--base-url", server.url]) == 0
        assert main([*flags, "--base-url", server.url]) == 0  # the same again: all replayed
    history = History(db)
    first, second = [r[0] for r in history.rows("SELECT run_id FROM runs ORDER BY created_at")]
    capsys.readouterr()

    assert main(["show", first, "--json", "--db", str(db)]) == 0
    llm = json.loads(capsys.readouterr().out)["llm"]
    assert llm["fallback_plans"][0]["iteration"] == 2 and len(llm["fallback_plans"]) == 1
    assert "algebra" in llm["fallback_plans"][0]["reason"]
    assert llm["usable"]["plans"] == {"n": 1, "of": 4, "share": 0.25}  # iteration 2 asked 3x
    assert llm["calls"]["sent"] == llm["calls"]["succeeded"] > 0 and llm["calls"]["failed"] == 0
    assert llm["examples"]["written"] >= llm["examples"]["kept"] > 0
    assert 0 < llm["usable"]["examples_kept"]["share"] <= 1

    assert main(["show", second, "--json", "--db", str(db)]) == 0
    again = json.loads(capsys.readouterr().out)["llm"]
    checks = again["calls"]["by_role"]["check"]["sent"]
    assert again["calls"]["sent"] == checks and again["calls"]["cache_replays"] > 0
    assert again["tokens"]["replayed_in"] > 0 and again["cost_usd"] is None
    cost = summaries.cost(history, second)["per_iteration"]
    assert int(cost.calls.sum()) == checks  # replays are not counted as calls paid for
    assert int(cost.replays.sum()) == again["calls"]["cache_replays"]
    paid = history.scalar("SELECT sum(tokens_in) FROM llm_calls WHERE run_id = ? AND NOT"
                          " cache_hit", [second])
    assert int(cost.tokens_in.sum()) == paid
    assert history.scalar("SELECT count(*) FROM llm_calls WHERE cache_hit AND cost_usd IS NOT"
                          " NULL") == 0

    assert main(["show", first, "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "LLM: " in text and "fallback plans: 1 of 2; iteration 2: weakest-first" in text
    assert "usable: plans 25% (1/4)" in text
