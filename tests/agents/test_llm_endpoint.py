"""Endpoints that answer, but not the way the client expects, against the scripted server:
runs that cannot use their endpoint fail early; refused features are learnt once; bodies that
are not JSON are malformed, not tracebacks; nothing secret reaches the history."""

import base64
import re
import socket
import threading
import time

import pytest
from pydantic import BaseModel

from agents.llm.client import LLMClient
from agents.llm.config import LLMConfig
from agents.llm.request import chat
from envs.history import History
from tests.fakes.chat_server import Reply, ScriptedServer
from tests.fakes.llm_run import write_config
from tests.fakes.teacher import ScriptedTeacher
from envs.tasks.task import make
from ui.cli import main

LLAMA_REFUSAL = (500, "1 validation error: response_format.type: Input should be 'text' or"
                      " 'json_object'")


class Sum(BaseModel):
    total: int


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(url: str, history: History, run_id: str = "r", **kw) -> LLMClient:
    return LLMClient(LLMConfig(**{"base_url": url, "model": "scripted", "backoff": 0.01,
                                  "timeout": 2.0, **kw}), history=history, run_id=run_id)


def sent_formats(server: ScriptedServer) -> list[str]:
    return [(e.body.get("response_format") or {}).get("type", "text") for e in server.log]


# -- a run whose teacher cannot reach its LLM fails early ---------------------------------
BROKEN = {
    "closed port": None,
    "401": lambda body: Reply(None, 401, message="invalid api key"),
    "500": lambda body: Reply(None, 500, message="internal error"),
    "HTML page": lambda body: Reply(raw="<!doctype html><html><body>Welcome</body></html>"),
    "dropped connection": lambda body: Reply(close=True),
}


@pytest.mark.parametrize("case", [*BROKEN, "wrong URL"])
def test_a_run_whose_endpoint_cannot_serve_fails_early_in_one_line(tmp_path, capsys, case):
    db = tmp_path / "h.duckdb"
    config = write_config(tmp_path, "policy_options = { fallback = \"weakest\" }")
    flags = ["run", "--config", str(config), "--teacher", "llm", "--quiet", "--db", str(db),
             "--iterations", "1", "--llm-opt", "retries=1"]
    if case == "closed port":
        code = main([*flags, "--base-url", f"http://127.0.0.1:{closed_port()}/v1"])
    else:
        responder = BROKEN.get(case) or ScriptedTeacher(make("arith-v0"))
        with ScriptedServer(responder) as server:
            url = server.url.removesuffix("/v1") + "/api" if case == "wrong URL" else server.url
            code = main([*flags, "--base-url", url])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("curriculab: error: the LLM endpoint cannot serve a teacher")
    if db.exists():  # nothing of the run was written
        history = History(db)
        for table in ("runs", "iterations", "llm_calls", "llm_capabilities"):
            assert history.scalar(f"SELECT count(*) FROM {table}") == 0, table


# -- a body that is not JSON ----------------------------------------------------------------
@pytest.mark.parametrize("raw, content_type", [
    ("<html><body>502 Bad Gateway</body></html>", "text/html"),
    ('{"id": "x", "choices": [', "application/json"),
])
def test_a_200_whose_body_is_not_json_is_recorded_malformed_and_retried(tmp_path, raw,
                                                                       content_type):
    history = History(tmp_path / "h.duckdb")
    with ScriptedServer(lambda body: '{"total": 3}') as server, \
            client(server.url, history) as llm:
        server.push(Reply(raw=raw, headers={"content-type": content_type}))
        assert llm.complete(chat("s", "u", Sum)).parsed.total == 3
    rows = history.rows("SELECT status, error_kind, raw FROM llm_calls ORDER BY attempt")
    assert [r[:2] for r in rows] == [("error", "malformed"), ("ok", None)]


# -- refused features are learnt once per endpoint and model --------------------------------
def test_a_refused_mode_is_learnt_once_whatever_the_status_and_kept_for_later_runs(tmp_path):
    history = History(tmp_path / "h.duckdb")
    with ScriptedServer(lambda body: '{"total": 1}', supports=("json_object",),
                        refusal=LLAMA_REFUSAL) as server:
        with client(server.url, history, concurrency=8, retries=0) as llm:
            replies = llm.complete_all([chat("s", f"u{i}", Sum) for i in range(12)])
        assert all(r.parsed.total == 1 for r in replies)
        assert sent_formats(server).count("json_schema") == 1  # one refusal, not one per call
        with client(server.url, history, run_id="later") as llm:  # another run
            llm.complete(chat("s", "again", Sum))
        assert sent_formats(server).count("json_schema") == 1
        with client(server.url, history, run_id="checked") as llm:  # its check reads it too
            assert "refused before" in llm.preflight().table()
            llm.complete(chat("s", "checked", Sum))
        assert sent_formats(server).count("json_schema") == 1
        with client(server.url, history, model="other") as llm:  # another model: its own
            llm.complete(chat("s", "again", Sum))
        assert sent_formats(server).count("json_schema") == 2
    refused = history.rows("SELECT model, feature, error_kind FROM llm_calls"
                           " WHERE status = 'error' ORDER BY model")
    assert refused == [("other", "json_schema", "refused"), ("scripted", "json_schema", "refused")]
    assert history.rows("SELECT model, supported FROM llm_capabilities"
                        " WHERE feature = 'json_schema' ORDER BY model") == [
        ("other", False), ("scripted", False)]


def test_a_refused_parameter_is_left_out_without_spending_a_retry(tmp_path):
    history = History(tmp_path / "h.duckdb")
    with ScriptedServer(lambda body: '{"total": 2}', refuses=("seed",)) as server, \
            client(server.url, history, retries=0) as llm:
        replies = llm.complete_all([chat("s", f"u{i}", Sum, seed=i) for i in range(6)])
        assert all(r.parsed.total == 2 for r in replies)
        seeded = [e for e in server.log if "seed" in e.body]
    assert len(seeded) == 1 and seeded[0].outcome == "refused"
    assert history.scalar("SELECT supported FROM llm_capabilities WHERE feature = 'seed'") is False


def test_a_transient_500_is_retried_and_not_taken_for_a_refusal(tmp_path):
    history = History(tmp_path / "h.duckdb")
    with ScriptedServer(lambda body: '{"total": 4}') as server, \
            client(server.url, history) as llm:
        server.push(Reply(None, 500, message="CUDA out of memory"), Reply(None, 503))
        assert llm.complete(chat("s", "u", Sum)).parsed.total == 4
    assert sent_formats(server) == ["json_schema"] * 3
    assert history.rows("SELECT error_kind FROM llm_calls WHERE status = 'error'") == [
        ("server",), ("server",)]


# -- the check command --------------------------------------------------------------------
def test_llm_check_prints_its_table_and_records_what_it_learnt(tmp_path, capsys):
    db = tmp_path / "h.duckdb"
    with ScriptedServer(lambda body: '{"ok": true}', supports=("json_object",),
                        refusal=LLAMA_REFUSAL) as server:
        assert main(["llm", "check", "--base-url", server.url, "--model", "scripted",
                     "--db", str(db)]) == 0
    out = capsys.readouterr().out
    for line in ("reachable", "auth", "models listed", "chat", "JSON mode", "JSON schema",
                 "seed", "token usage", "latency", "parallel slots"):
        assert f"  {line} " in out, line
    assert re.search(r"  JSON schema +no +refused", out) and "a teacher can use it" in out
    # the responder ignores the schema beside json_object: the probe sees it and says so
    assert re.search(r"JSON schema \(json_object form\) +no +schema ignored", out)
    known = dict(History(db).rows("SELECT feature, supported FROM llm_capabilities"))
    assert known["json_schema"] is False and known["json_object"] is True
    assert known["json_object_schema"] is False
    assert main(["llm", "check", "--base-url", f"http://127.0.0.1:{closed_port()}/v1"]) == 2
    captured = capsys.readouterr()
    assert "reachable  no" in captured.out and captured.err.count("\n") == 1


def test_a_server_that_keeps_to_the_schema_in_json_object_form_gets_it_without_the_prompt_copy(
        tmp_path):
    """llama.cpp refuses json_schema but turns a schema beside json_object into a grammar: once
    the check saw it kept to, calls send the schema that way and leave it out of the prompt
    (a small model copies a schema it reads instead of filling it in)."""
    history = History(tmp_path / "h.duckdb")
    kept = lambda body: '{"ok": true, "checked": 1, "total": 5}'  # noqa: E731
    with ScriptedServer(kept, supports=("json_object",), refusal=LLAMA_REFUSAL) as server, \
            LLMClient(LLMConfig(base_url=server.url, model="scripted", backoff=0.01, timeout=2.0),
                      history=history, run_id="r") as client:
        client.preflight()
        assert client.complete(chat("add", "2+3", Sum)).parsed.total == 5
        body = server.log[-1].body
    assert body["response_format"]["type"] == "json_object"
    assert body["response_format"]["schema"]["required"] == ["total"]
    assert all("JSON schema" not in m["content"] for m in body["messages"])
    assert history.rows("SELECT mode FROM llm_calls WHERE role != 'check'") == [
        ("json_object_schema",)]


def test_the_schema_form_is_learnt_even_when_json_modes_own_probe_meets_only_faults(tmp_path):
    """Through a flaky endpoint, JSON mode's probe can fail five times in a row: the schema
    form is probed anyway, and answering it teaches both."""
    kept = lambda body: '{"ok": true, "checked": 1, "total": 5}'  # noqa: E731
    with ScriptedServer(kept, supports=("json_object",), refusal=LLAMA_REFUSAL) as server, \
            LLMClient(LLMConfig(base_url=server.url, model="scripted", backoff=0.01, timeout=2.0),
                      history=History(tmp_path / "h.duckdb"), run_id="r") as client:
        server.push(Reply("ok"), *(Reply(None, 503) for _ in range(5)))  # chat, then JSON mode
        report = client.preflight()
        assert client.complete(chat("add", "2+3", Sum)).parsed.total == 5
        body = server.log[-1].body
    assert {p.name: p.ok for p in report.probes}["JSON mode"] is None  # its probe: 5 faults
    assert report.learnt["json_object_schema"][0] is True and report.learnt["json_object"][0]
    assert body["response_format"] == {"type": "json_object",
                                       "schema": body["response_format"]["schema"]}


class OneSlot(ScriptedServer):
    """Answers one request at a time, as llama.cpp's Python server does."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.one = threading.Lock()

    def answer(self, body):
        with self.one:
            time.sleep(0.15)
            return super().answer(body)


def test_a_one_slot_server_is_measured_and_calls_are_not_queued_behind_it(tmp_path):
    history = History(tmp_path / "h.duckdb")
    with OneSlot(lambda body: '{"total": 5}') as server:
        llm = client(server.url, history, timeout=None)
        report = llm.preflight()
        assert report.learnt["slots"][1] == "1" and llm.concurrency == 1
        # a slow endpoint: the timeout leaves room to write max_tokens at its measured speed
        assert llm.timeout > 60 and client(server.url, history, timeout=5.0).timeout == 5.0
        server.max_in_flight = 0
        llm.complete_all([chat("s", f"u{i}", Sum) for i in range(4)])
        llm.close()
    assert server.max_in_flight == 1  # not 8 calls queued behind one slot, timing out
    assert History(tmp_path / "h.duckdb").scalar(
        "SELECT value FROM llm_capabilities WHERE feature = 'slots'") == "1"


# -- secrets ---------------------------------------------------------------------------------
KEY = "sk-test-Q2hhbmdlTWVQbGVhc2UxMjM0NTY"
PASSWORD = "hunter2pass"


def test_no_secret_reaches_any_text_column_of_the_history(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    teacher = ScriptedTeacher(make("arith-v0", eval_size=4, skills=["add", "sub", "mul", "cmp"]))
    seen = {"n": 0}

    def echoing(body):  # plans fail with the header echoed; every third write call too
        user = body["messages"][-1]["content"]
        if body.get("max_tokens", 99) <= 16:
            return teacher(body)
        seen["n"] += 1
        if "Budget:" in user:
            return Reply(None, 401, message="bad credentials: {authorization}")
        if seen["n"] % 3 == 0:
            return Reply(None, 500, message="upstream said: {authorization}")
        return teacher(body)

    db = tmp_path / "h.duckdb"
    config = write_config(tmp_path, "policy_options = { fallback = \"weakest\" }")
    with ScriptedServer(echoing) as server:
        url = server.url.replace("http://", f"http://user:{PASSWORD}@")
        code = main(["run", "--config", str(config), "--teacher", "llm", "--quiet", "--db",
                     str(db), "--iterations", "1", "--base-url", url])
    assert code == 0
    history = History(db)
    assert history.scalar("SELECT count(*) FROM llm_calls WHERE error LIKE '%***%'") > 0
    assert "***" in history.scalar("SELECT reasoning FROM plans")
    basic = base64.b64encode(f"user:{PASSWORD}".encode()).decode()
    columns = history.rows("SELECT table_name, column_name FROM information_schema.columns"
                           " WHERE data_type IN ('VARCHAR', 'JSON')")
    assert len(columns) > 30
    for table, column in columns:
        for secret in (KEY, KEY[3:20], PASSWORD, basic):
            hits = history.scalar(f'SELECT count(*) FROM "{table}"'
                                  f' WHERE CAST("{column}" AS VARCHAR) LIKE ?', [f"%{secret}%"])
            assert hits == 0, (table, column, secret)


# -- the fault-injecting proxy the real-server tests put in front of llama.cpp ---------------
def test_every_fault_of_the_proxy_is_recorded_under_its_kind(tmp_path):
    from tests.fakes.fault_proxy import RECORDED_AS, FaultProxy

    history = History(tmp_path / "h.duckdb")
    with ScriptedServer(lambda body: '{"total": 6}') as server, \
            FaultProxy(server.url.removesuffix("/v1"), rate=0.5, seed=2) as proxy, \
            client(proxy.url, history, retries=8, concurrency=2) as llm:
        replies = llm.complete_all([chat("s", f"u{i}", Sum) for i in range(12)])
    assert all(not isinstance(r, Exception) and r.parsed.total == 6 for r in replies)
    expected: dict[str, int] = {}
    for fault, n in proxy.faults().items():
        expected[RECORDED_AS[fault]] = expected.get(RECORDED_AS[fault], 0) + n
    recorded = dict(history.rows("SELECT error_kind, count(*) FROM llm_calls"
                                 " WHERE status = 'error' GROUP BY 1"))
    assert len(proxy.faults()) >= 3 and recorded == expected


# -- output a small model writes ------------------------------------------------------------
def test_json_with_raw_newlines_in_strings_is_accepted_and_failures_keep_their_raw_text(tmp_path):
    history = History(tmp_path / "h.duckdb")
    broken = "Here you go: {\"total\": 7" + " and more" * 40
    with ScriptedServer(lambda body: '{"total": 7, "note": "line one\nline two"}') as server, \
            client(server.url, history) as llm:
        server.push(broken)
        assert llm.complete(chat("s", "u", Sum)).parsed.total == 7  # strict JSON would refuse
    raw = history.scalar("SELECT raw FROM llm_calls WHERE error_kind = 'malformed'")
    assert raw == broken and len(raw) > 300  # the whole text (bounded), not a 60-char preview


# -- the call cache: keyed by endpoint, with a switch ----------------------------------------
@pytest.mark.parametrize("cache, replayed", [("shared", [True, False, True]),
                                             ("run", [False, False, True]),
                                             ("off", [False, False, False])])
def test_the_cache_is_keyed_by_endpoint_and_switched_by_llm_cache(tmp_path, cache, replayed):
    history = History(tmp_path / "h.duckdb")
    request = chat("s", "same question", Sum, seed=1)
    with ScriptedServer(lambda body: '{"total": 1}') as one, \
            ScriptedServer(lambda body: '{"total": 1}') as two:
        with client(one.url, history, run_id="a", cache=cache) as llm:
            llm.complete(request)
        got = []
        for url, run_id in ((one.url, "b"), (two.url, "b"), (one.url, "a")):
            with client(url, history, run_id=run_id, cache=cache) as llm:
                got.append(llm.complete(request).cached)
    assert got == replayed  # another run (shared only), another endpoint (never), a resume
