"""The app's LLM teacher against the scripted server: the form's endpoint check (a table of
probes, or one line when a teacher cannot use it; never the key), a Start whose check fails
showing that line in the form, and the usable shares and fallbacks in the Curriculum and Cost
views (nothing of an LLM for an algorithmic teacher). Every ``llm`` setting is documented."""

import base64
import json
import re
import socket
from dataclasses import fields, replace
from pathlib import Path

import pytest

from agents.config import RunConfig
from agents.llm.config import LLMConfig
from agents.runner import start_run as run
from envs.history import History
from envs.history.llm_usage import llm_usage
from envs.tasks.task import make
from tests.fakes.chat_server import Reply, ScriptedServer
from tests.fakes.llm_run import SKILLS, write_config
from tests.fakes.teacher import Forgetful, ScriptedTeacher
from ui.cli import main
from ui.handlers import Deps, bind
from ui.launcher import Launcher
from ui.llm_account import share
from ui.views.cost import load_cost
from ui.views.curriculum import load_curriculum
from ui.views.run_form import check_llm
from ui.views.runs import start_run

KEY = "sk-test-Zm9ybUNoZWNrS2V5MTIzNDU2Nzg"
PASSWORD = "hunter2pass"
PROBES = ["reachable", "auth", "models listed", "chat", "JSON mode", "JSON schema", "seed",
          "token usage", "latency", "parallel slots"]


# the Start form's fields before the LLM ones: an LLM teacher on a small arithmetic task
FORM = ["arith-v0", json.dumps({"eval_size": 4}), "skill-list", "llm", "llm", "tiny-gpt", "{}"]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def teacher() -> ScriptedTeacher:
    return ScriptedTeacher(make("arith-v0", eval_size=4, skills=SKILLS))


def probes(text: str) -> dict[str, str]:
    """The check's table as {probe: yes / **no** / –}."""
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ")]
    return {r[0].lstrip("| "): r[1] for r in rows[1:]}


# -- the check beside the form's LLM fields ---------------------------------------------------
def test_the_check_shows_a_table_of_probes_and_what_it_learnt():
    with ScriptedServer(teacher(), latency=0.25) as server:
        text = check_llm(None, server.url, "scripted", "")
    head = text.splitlines()[0]
    assert head.startswith("✅ A teacher can use this endpoint") and server.url in head
    table = probes(text)
    assert list(table) == PROBES and set(table.values()) == {"yes"}
    learnt = text.split("**Learnt:** ")[1]
    assert "structured output: json_schema" in learnt and "parallel slots: 3" in learnt
    assert [e.outcome for e in server.log] == ["ok"] * 7  # chat, 3 features, 3 at once


def test_a_refused_feature_is_shown_and_the_endpoint_still_serves():
    refusal = (500, "1 validation error: response_format.type: Input should be 'text' or"
                    " 'json_object'")
    with ScriptedServer(lambda body: '{"ok": true}', supports=("json_object",),
                        refusal=refusal) as server:
        text = check_llm(None, server.url, "scripted", "")
    assert text.startswith("✅") and probes(text)["JSON schema"] == "**no**"
    assert "json_schema: refused" in text and "structured output: json_schema" not in text


def test_a_closed_port_is_one_line_and_so_is_a_bad_address():
    port = closed_port()
    text = check_llm(None, f"http://127.0.0.1:{port}/v1", "m", "")
    head, *rest = text.split("\n\n")
    assert head.startswith(f"⚠️ the LLM endpoint cannot serve a teacher: http://127.0.0.1:{port}")
    assert "\n" not in head and "refused" in head.lower()
    assert probes(text) == {"reachable": "**no**"}
    bad = check_llm(None, "localhost:8000", "m", "")
    assert bad.startswith("⚠️ LLM base URL must be an http") and "\n" not in bad


def test_the_check_never_shows_the_key_or_a_password(monkeypatch):
    monkeypatch.setenv("CURRICULAB_TEST_KEY", KEY)
    with ScriptedServer(teacher()) as server:
        server.push(Reply(None, 401, message="bad credentials: {authorization}"))
        url = server.url.replace("http://", f"http://user:{PASSWORD}@")
        text = check_llm(None, url, "scripted", "CURRICULAB_TEST_KEY")
    sent = server.log[0].body  # the chat call got the echoing 401: the key went out
    assert sent["max_tokens"] == 8 and "cannot serve a teacher" in text.splitlines()[0]
    basic = base64.b64encode(f"user:{PASSWORD}".encode()).decode()
    for secret in (KEY, KEY[3:20], PASSWORD, basic):
        assert secret not in text
    assert "***" in text


def test_a_key_pasted_into_the_variable_field_is_refused_unseen(tmp_path):
    pasted = check_llm(None, "http://127.0.0.1:1/v1", "m", KEY)
    assert pasted.startswith("⚠️ the API key field takes the name of an environment variable")
    assert KEY not in pasted and KEY[3:20] not in pasted
    history = History(tmp_path / "h.duckdb")
    form = [*FORM, "http://127.0.0.1:1/v1", "m", 8, 1, 0, False, KEY]
    with pytest.raises(Exception, match="not the key itself") as err:
        bind(start_run, Deps(history, Launcher(history)))(*form)
    assert KEY not in str(err.value) and not history.path.exists()


@pytest.mark.filterwarnings("ignore:the LLM endpoint cannot serve")  # the toast, outside an app
def test_starting_a_run_whose_check_fails_shows_its_line_in_the_form(tmp_path):
    history = History(tmp_path / "h.duckdb")
    launcher = Launcher(history, checkpoint_dir=tmp_path / "ck")
    url = f"http://127.0.0.1:{closed_port()}/v1"
    try:
        check, message, *menus = bind(start_run, Deps(history, launcher))(
            *FORM, url, "m", 8, 1, 0, False)
    finally:
        launcher.shutdown(timeout=30)
    checked = check_llm(None, url, "m", "").split("\n\n")[0]
    assert check.startswith(checked) and "\n" not in check  # the Check button's own line
    assert message.startswith("⚠️ Not started: the LLM endpoint cannot serve a teacher")
    assert not history.path.exists() or history.scalar("SELECT count(*) FROM runs") == 0


# -- an honest account of the teacher in the Curriculum and Cost views ------------------------
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One LLM-teacher run (2 iterations; iteration 2's plan names no real skill, a fifth of
    the examples are junk) and one algorithmic run, in one history."""
    where = tmp_path_factory.mktemp("llm-views")
    history = History(where / "h.duckdb")
    config = RunConfig.from_file(write_config(
        where, 'policy = "llm"\nengine = "llm"\npolicy_options = { fallback = "weakest" }',
        budget=12))
    config = replace(config, iterations=2)
    task = make("arith-v0", eval_size=4, skills=SKILLS)
    with ScriptedServer(Forgetful(task, junk_rate=0.2)) as server:
        run(replace(config, llm=replace(config.llm, base_url=server.url)), history,
            progress=False, run_id="llm")
    plain = replace(config, iterations=1, teacher=replace(
        config.teacher, policy="uniform", engine="procedural", policy_options={}))
    run(plain, history, progress=False, run_id="plain")
    return Deps(history, Launcher(history))


def test_the_curriculum_view_shows_the_usable_shares_first(runs):
    usage = llm_usage(runs.history, "llm")
    teacher, *_ = load_curriculum(runs, "llm")
    text = teacher.value if hasattr(teacher, "value") else teacher["value"]
    assert getattr(teacher, "visible", True) is not False
    assert usage["fallback_plans"][0]["iteration"] == 2 and usage["plans"] == 2
    assert f"plans: **{share(usage['usable']['plans'])}**" in text
    assert share(usage["usable"]["plans"]).endswith(f"/{usage['usable']['plans']['of']})")
    assert usage["usable"]["plans"]["n"] == 1  # iteration 1's plan; iteration 2 fell back
    assert f"**{share(usage['usable']['examples_kept'])}** of those it wrote" in text
    rejected = usage["examples"]["rejected_by_engine"]
    assert rejected and all(f"{why} ({n})" in text for why, n in rejected.items())
    assert "**1 of 2** iterations: iteration 2 (weakest-first" in text


def test_the_cost_view_gives_the_same_account_with_the_calls(runs):
    usage = llm_usage(runs.history, "llm")
    text, *_ = load_cost(runs, "llm")
    glance = load_curriculum(runs, "llm")[0]
    assert (glance.value if hasattr(glance, "value") else glance["value"]) in text
    assert f"**Calls** — {usage['calls']['sent']} sent" in text
    assert usage["cost_usd"] is None and "no price known" in text and "$0.0000" not in text


def test_show_gives_the_same_shares_right_under_its_llm_line(runs, capsys):
    usage = llm_usage(runs.history, "llm")
    assert main(["show", "llm", "--db", str(runs.history.path)]) == 0
    text = capsys.readouterr().out
    llm = text[text.index("\nLLM: ") + 1:].splitlines()
    assert llm[1] == (f"  usable: plans {share(usage['usable']['plans'])} of policy calls;"
                      f" example calls {share(usage['usable']['example_calls'])} gave a kept"
                      f" example; examples kept {share(usage['usable']['examples_kept'])} of"
                      " those written")
    (why, n), = usage["examples"]["rejected_by_engine"].items()
    assert llm[2] == f"  rejected: {why} ({n})"
    assert llm[3].startswith("  fallback plans: 1 of 2; iteration 2: weakest-first")


def test_an_algorithmic_run_shows_nothing_of_an_llm(runs):
    teacher, *_ = load_curriculum(runs, "plain")
    assert getattr(teacher, "visible", None) is False and not teacher.value
    text, *_ = load_cost(runs, "plain")
    assert text.startswith("**no LLM**") and "usable" not in text


def test_every_llm_setting_is_listed_by_run_help_and_the_readme(capsys):
    names = [f.name for f in fields(LLMConfig)]
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    helped = " ".join(capsys.readouterr().out.split())
    readme = Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `[llm]` |"))
    listed = re.findall(r"`(\w+)`", row.split("|")[2])
    for name in names:
        assert re.search(rf"\b{name}\b", helped), name
    assert listed == names
