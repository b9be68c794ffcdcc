"""The LLM client through the real ``openai`` package against a scripted HTTP server."""

import json

import pytest
from pydantic import BaseModel

from agents.llm.client import LLMClient
from agents.llm.config import LLMConfig
from agents.llm.errors import CallFailed
from agents.llm.request import chat
from envs.history import History
from students.errors import ConfigError
from agents.llm.errors import BudgetExceeded, LLMError
from tests.fakes.chat_server import FAULTS, Faults, Reply, ScriptedServer


class Sum(BaseModel):
    total: int


def config(server: ScriptedServer, **kw) -> LLMConfig:
    base = dict(base_url=server.url, model="scripted", backoff=0.01, timeout=2.0, retries=3)
    return LLMConfig(**{**base, **kw})


@pytest.fixture
def history(tmp_path):
    return History(tmp_path / "h.duckdb")


def calls(history: History) -> list[tuple]:
    return history.rows("SELECT status, error_kind, mode, cache_hit FROM llm_calls"
                        " ORDER BY created_at, attempt")


def test_json_schema_output_is_parsed_and_sent_as_schema(history):
    with ScriptedServer(lambda body: '{"total": 5}') as server, \
            LLMClient(config(server), history=history, run_id="r") as client:
        reply = client.complete(chat("add", "2+3", Sum, role="policy", seed=1))
    assert reply.parsed == Sum(total=5) and not reply.cached
    body = server.log[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["properties"]["total"]["type"] == "integer"
    assert body["seed"] == 1 and body["model"] == "scripted"
    assert calls(history) == [("ok", None, "json_schema", False)]


class Pick(BaseModel):
    items: list[Sum]
    skill: str


def test_choices_narrow_the_schema_sent_but_not_the_validation(history):
    """The wire schema lists the allowed values (a server keeping to it cannot name a skill
    that does not exist); the cache key follows it; the reply is validated by the model."""
    with ScriptedServer(lambda body: '{"items": [{"total": 1}], "skill": "other"}') as server, \
            LLMClient(config(server), history=history, run_id="r") as client:
        first = client.complete(chat("pick", "one", Pick, choices={"skill": ("add", "sub")}))
        plain = client.complete(chat("pick", "one", Pick))
    assert first.parsed.skill == "other" and not plain.cached  # another schema, another key
    sent = server.log[0].body["response_format"]["json_schema"]["schema"]
    assert sent["properties"]["skill"]["enum"] == ["add", "sub"]
    assert "enum" not in server.log[1].body["response_format"]["json_schema"]["schema"][
        "properties"]["skill"]
    assert "enum" not in json.dumps(Pick.model_json_schema())  # the model's own schema is kept


@pytest.mark.parametrize("supports, modes", [
    (("json_object",), ["json_schema", "json_object"]),
    ((), ["json_schema", "json_object", "text"]),
])
def test_falls_back_when_the_server_refuses_structured_output(history, supports, modes):
    prose = 'Sure! Here it is:\n```json\n{"total": 7}\n```\nAnything else?'
    with ScriptedServer(lambda body: prose, supports=supports) as server, \
            LLMClient(config(server, retries=0), history=history, run_id="r") as client:
        assert client.complete(chat("add", "3+4", Sum)).parsed.total == 7
        assert client.complete(chat("add", "1+1", Sum)).parsed.total == 7  # remembers the mode
    sent = [(e.body.get("response_format") or {}).get("type", "text") for e in server.log]
    assert sent == modes + [modes[-1]]
    assert "JSON schema" in server.log[-1].body["messages"][0]["content"]  # schema in prompt
    assert [r[:3] for r in calls(history)][: len(modes) - 1] == [
        ("error", "refused", m) for m in modes[:-1]]


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_retried_and_recorded_with_its_kind(history, fault):
    kind = {"server_error": "server"}.get(fault, fault)
    with ScriptedServer(lambda body: '{"total": 9}', faults=Faults(sequence=[fault]),
                        timeout_delay=0.8) as server, \
            LLMClient(config(server, timeout=0.3), history=history, run_id="r") as client:
        assert client.complete(chat("s", "u", Sum, seed=3)).parsed.total == 9
    assert calls(history) == [("error", kind, "json_schema", False), ("ok", None, "json_schema", False)]
    error = history.scalar("SELECT error FROM llm_calls WHERE status = 'error'")
    assert error.startswith({"rate_limit": "HTTP 429", "server": "HTTP 500"}.get(kind, ""))
    if fault in ("truncated", "malformed", "schema", "empty"):  # re-asked with a fresh seed
        assert server.log[0].body["seed"] == 3 != server.log[1].body["seed"]


def test_gives_up_after_the_retries_and_caches_no_failure(history):
    with ScriptedServer(lambda body: "not json at all") as server, \
            LLMClient(config(server, retries=2), history=history, run_id="r") as client:
        with pytest.raises(LLMError, match="after 3 attempt.*malformed"):
            client.complete(chat("s", "u", Sum))
        server.push('{"total": 1}')
        assert client.complete(chat("s", "u", Sum)).cached is False  # asked again, not replayed
    assert len(server.log) == 4
    assert history.scalar("SELECT count(*) FROM llm_cache") == 1


def test_auth_errors_are_not_retried_and_name_the_key_variable(history, monkeypatch):
    monkeypatch.setenv("MY_KEY", "secret-value")
    with ScriptedServer() as server:
        server.push(Reply(None, 401, message="bad key"))
        with LLMClient(config(server, api_key_env="MY_KEY"), history=history) as client, \
                pytest.raises(CallFailed, match=r"\$MY_KEY") as err:
            client.complete(chat("s", "u", Sum))
    assert err.value.kind == "auth" and len(server.log) == 1
    assert "secret-value" not in json.dumps(history.rows("SELECT * FROM llm_calls"), default=str)


def test_a_repeated_call_is_replayed_from_the_cache(history):
    with ScriptedServer(lambda body: '{"total": 2}') as server:
        with LLMClient(config(server), history=history, run_id="a") as first:
            first.complete(chat("s", "u", Sum, seed=1))
        again = LLMClient(config(server), history=history, run_id="b")  # a new process, say
        replay = again.complete(chat("s", "u", Sum, seed=1))
        assert replay.cached and replay.parsed.total == 2 and len(server.log) == 1
        for changed in (chat("s", "u", Sum, seed=2), chat("s", "u!", Sum, seed=1),
                        chat("s", "u", None, seed=1)):
            assert not again.complete(changed).cached
        assert not LLMClient(config(server, temperature=0.1), history=history).complete(
            chat("s", "u", Sum, seed=1)).cached
        assert not LLMClient(config(server, model="other"), history=history).complete(
            chat("s", "u", Sum, seed=1)).cached
        again.close()
    assert history.rows("SELECT run_id, cache_hit, tokens_in > 0, cost_usd FROM llm_calls"
                        " WHERE run_id = 'b' AND cache_hit") == [("b", True, True, None)]


def test_many_calls_respect_the_concurrency_limit(history):
    with ScriptedServer(lambda body: '{"total": 1}', latency=0.05) as server, \
            LLMClient(config(server, concurrency=3), history=history, run_id="r") as client:
        replies = client.complete_all([chat("s", f"u{i}", Sum) for i in range(12)])
    assert all(r.parsed.total == 1 for r in replies)
    assert server.max_in_flight == 3
    assert history.scalar("SELECT count(*) FROM llm_calls WHERE status = 'ok'") == 12


def test_a_failed_call_keeps_its_slot_and_the_others_succeed(history):
    def responder(body):
        return Reply(None, 500) if body["messages"][-1]["content"] == "a" else '{"total": 1}'

    with ScriptedServer(responder) as server:
        client = LLMClient(config(server, retries=1, concurrency=1), history=history)
        first, second = client.complete_all([chat("s", "a", Sum), chat("s", "b", Sum)])
    assert isinstance(first, CallFailed) and first.kind == "server"
    assert second.parsed.total == 1


def test_cost_comes_from_the_price_table_and_the_budget_stops(history):
    with ScriptedServer(lambda body: '{"total": 1}') as server:
        client = LLMClient(config(server, prices={"scripted": [20000.0, 40000.0]}, budget_usd=0.5,
                                  budget_tokens=10_000), history=history, run_id="r")
        client.complete(chat("s", "u", Sum))
        client.flush()
        tokens_in, tokens_out, cost = history.rows(
            "SELECT tokens_in, tokens_out, cost_usd FROM llm_calls")[0]
        assert cost == pytest.approx((tokens_in * 20000 + tokens_out * 40000) / 1e6)
        client.budget.check()  # below both caps
        while client.budget.exceeded() is None:
            client.complete(chat("s", f"u{client.budget.spent_usd}", Sum))
        with pytest.raises(BudgetExceeded, match="dollar budget spent"):
            client.budget.check()
        client.close()
        resumed = LLMClient(config(server, prices={"scripted": [20000.0, 40000.0]}, budget_usd=0.5),
                            history=history, run_id="r")
        assert resumed.budget.spent_usd == pytest.approx(client.budget.spent_usd)


def test_a_dollar_budget_needs_a_price(history):
    with pytest.raises(ConfigError, match="llm.prices"):
        LLMClient(LLMConfig(base_url="http://127.0.0.1:9/v1", model="my-local-model",
                            budget_usd=1.0), history=history)


def test_no_endpoint_and_no_key_is_a_config_error(history, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"no LLM endpoint.*\$OPENAI_API_KEY"):
        LLMClient(LLMConfig(), history=history)
