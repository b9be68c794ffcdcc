"""Probe an OpenAI-compatible endpoint in a few seconds: can it serve a teacher, and how.

    report = check_endpoint(LLMConfig(base_url="http://127.0.0.1:8080/v1", model="m"))
    print(report.table()); report.problem  # None when a teacher can use it

The probes, in order: the model list (reachable? auth? which models?), a plain chat call
(latency, token usage), JSON mode, JSON schema (and, where that is refused, the schema in
llama.cpp's json_object form), ``seed``, and a few calls at once (the slots the server runs in
parallel). A transient failure (429, a 5xx that names no feature, a timeout, a dropped
connection) is tried up to four more times, so that a flaky endpoint still has its features
learnt; a refusal is not tried again. What was learnt goes to ``llm_capabilities``, so calls
never try a refused feature, and each probe is a ``role='check'`` row of ``llm_calls``: both
only once the caller has decided to record them.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import openai

from agents.llm.capabilities import CapabilityStore, write_rows
from agents.llm.config import LLMConfig
from agents.llm.errors import CallFailed, classify
from agents.llm.redact import endpoint_key, redact_env
from agents.llm.store import CallRecord, CallStore
from envs.history import History
from envs.history.clock import utcnow

TRANSIENT = frozenset({"rate_limit", "server", "timeout", "connection", "api", "malformed",
                       "empty"})
_SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
_ASK = "Reply with the JSON object {\"ok\": true} and nothing else."
# the grammar probe's schema: a server that keeps to it adds the number the question omits
_KEPT = {"type": "object", "required": ["ok", "checked"],
         "properties": {"ok": {"type": "boolean"}, "checked": {"type": "integer"}}}
SLOT_CALLS = 3
QUICK_S = 0.2  # calls this quick tell nothing about slots


@dataclass(frozen=True, slots=True)
class Probe:
    """One line of the check's table: ``ok`` None when the probe did not run."""

    name: str
    ok: bool | None
    detail: str


@dataclass
class CheckReport:
    base_url: str
    model: str
    probes: list[Probe] = field(default_factory=list)
    problem: str | None = None  # why a teacher cannot use the endpoint (one line)
    learnt: dict[str, tuple[bool | None, str | None, str]] = field(default_factory=dict)
    calls: list[CallRecord] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def usable(self) -> bool:
        return self.problem is None

    def table(self) -> str:
        width = max(len(p.name) for p in self.probes) if self.probes else 10
        mark = {True: "yes", False: "no", None: "-"}
        lines = [f"endpoint {self.base_url}, model {self.model!r}"]
        lines += [f"  {p.name:<{width}}  {mark[p.ok]:<3}  {' '.join(p.detail.split())[:150]}"
                  for p in self.probes]
        lines.append(f"checked in {self.seconds:.1f}s: " + (
            "a teacher can use it" if self.usable else f"not usable: {self.problem}"))
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model": self.model, "usable": self.usable,
                "problem": self.problem, "seconds": round(self.seconds, 3),
                "probes": [{"name": p.name, "ok": p.ok, "detail": p.detail} for p in self.probes]}

    def record(self, history: History, run_id: str | None) -> None:
        """Land the probes' call rows and what was learnt, in one transaction."""
        calls = [CallRecord(**{**_fields(c), "run_id": run_id}) for c in self.calls]
        rows = CapabilityStore(history, self.base_url, self.model).rows(self.learnt)
        CallStore(history, run_id).write(calls, [], [lambda con: write_rows(con, rows)])


def _fields(record: CallRecord) -> dict[str, Any]:
    return {f: getattr(record, f) for f in record.__dataclass_fields__}


class _Prober:
    def __init__(self, config: LLMConfig, report: CheckReport) -> None:
        self.config, self.report = config, report
        self.api = openai.OpenAI(base_url=config.base_url, api_key=config.api_key(),
                                 timeout=config.timeout or 120.0, max_retries=0)

    def post(self, label: str, body: dict[str, Any], tries: int = 5) -> tuple[Any, float] | CallFailed:
        """One probe call, tried again on a transient failure; every attempt is recorded."""
        call_id = secrets.token_hex(8)
        failure: CallFailed | None = None
        for attempt in range(tries):
            t0 = time.perf_counter()
            try:
                out = self.api.post("/chat/completions", cast_to=object, body=body)
                if not isinstance(out, dict) or not out.get("choices"):
                    raise ValueError(f"not a chat completion: {' '.join(str(out).split())[:80]!r}")
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                failure = classify(e, _mode(body), self.config.api_key_env, body)
                self._log(call_id, label, body, attempt, failure, time.perf_counter() - t0)
                if failure.kind not in TRANSIENT:
                    return failure
                time.sleep(0.2 * (attempt + 1))
                continue
            latency = time.perf_counter() - t0
            self._log(call_id, label, body, attempt, None, latency, _usage(out))
            return out, latency
        assert failure is not None
        return failure

    def _log(self, call_id: str, label: str, body: dict[str, Any], attempt: int,
             failure: CallFailed | None, latency: float, tokens: tuple[int, int] = (0, 0)) -> None:
        self.report.calls.append(CallRecord(
            call_id, None, None, "check", label, self.config.model, "", _mode(body), attempt,
            "error" if failure else "ok", failure.kind if failure else None,
            str(failure) if failure else None, tokens[0], tokens[1], latency, None, False,
            utcnow(), self.report.base_url, failure.feature if failure else None,
            failure.raw if failure else None))


def check_endpoint(config: LLMConfig, known: Mapping[str, bool] | None = None) -> CheckReport:
    """Probe ``config``'s endpoint and model; never raises for what the endpoint does.
    ``known``: what the history already holds for them (a run's check passes it). A feature
    refused before, or a schema form already seen kept to or not, is not probed again, so a
    refusal is met once per endpoint and model over all runs; `curriculab llm check` passes
    nothing and probes everything afresh."""
    report = CheckReport(endpoint_key(config.base_url), config.model)
    t0 = time.perf_counter()
    try:
        _probe(_Prober(config, report), config, report, dict(known or {}))
    finally:
        report.seconds = time.perf_counter() - t0
    if report.problem:
        report.problem = redact_env(report.problem, config.api_key_env)
    return report


def _probe(p: _Prober, config: LLMConfig, report: CheckReport, known: dict[str, bool]) -> None:
    add = report.probes.append
    listed = _models(p, config, report)
    if report.problem:
        return
    add(Probe("models listed", listed[0], listed[1]))
    messages = [{"role": "user", "content": "Say ok."}]
    chat = p.post("chat", {"model": config.model, "messages": messages, "max_tokens": 8,
                           "temperature": 0})
    if isinstance(chat, CallFailed):
        add(Probe("chat", False, str(chat)))
        report.problem = f"a chat call to model {config.model!r} failed: {chat}"
        return
    out, latency = chat
    tokens = _usage(out)
    add(Probe("chat", True, f"answered {_content(out)[:30]!r}"))
    learnt = report.learnt
    for feature, extra in (("json_object", {"response_format": {"type": "json_object"}}),
                           ("json_schema", {"response_format": {
                               "type": "json_schema",
                               "json_schema": {"name": "Ok", "schema": _SCHEMA}}}),
                           ("seed", {"seed": 1})):
        body = {"model": config.model, "max_tokens": 16, "temperature": 0,
                "messages": [{"role": "user", "content": _ASK}], **extra}
        name = {"json_object": "JSON mode", "json_schema": "JSON schema"}.get(feature, feature)
        if known.get(feature) is False:
            add(Probe(name, False, "refused before (llm_capabilities): not asked again"))
            continue
        got = p.post(feature, body)
        if isinstance(got, CallFailed) and got.kind == "refused":
            learnt[got.feature or feature] = (False, None, str(got)[:300])
            add(Probe(name, False, f"refused: {str(got)[:120]}"))
        elif isinstance(got, CallFailed):
            add(Probe(name, None, f"not known: {str(got)[:120]}"))
        else:
            learnt[feature] = (True, None, "answered")
            add(Probe(name, True, f"answered {_content(got[0])[:30]!r}"))
    now = {**known, **{f: v[0] for f, v in learnt.items()}}
    if now.get("json_schema") is False and now.get("json_object") is not False:
        # also when JSON mode's probe met only transient failures: the schema form answers for it
        after = next(i for i, probe in enumerate(report.probes) if probe.name == "JSON schema")
        report.probes.insert(after + 1, _grammar_probe(p, config, learnt,
                                                       known.get("json_object_schema")))
    learnt["temperature"] = learnt["max_tokens"] = (True, None, "answered")
    add(Probe("token usage", tokens != (0, 0),
              f"{tokens[0]} in, {tokens[1]} out" if tokens != (0, 0) else "not reported"))
    slots = _slots(p, config)
    learnt["latency_s"] = (None, f"{latency:.3f}", "a short chat call")
    if slots is not None:
        learnt["slots"] = (None, str(slots), f"{SLOT_CALLS} calls at once")
    if tokens[1]:
        learnt["seconds_per_token"] = (None, f"{latency / tokens[1]:.4f}",
                                       f"{tokens[1]} tokens written in {latency:.2f}s")
    add(Probe("latency", True, f"{latency:.2f}s for a short call" + (
        f" ({tokens[1] / latency:.1f} tokens/s)" if tokens[1] and latency else "")))
    add(Probe("parallel slots", True, "too quick to tell: not limited" if slots is None else
              f"{slots} (calls in flight at once when llm.concurrency is not set)"))


def _grammar_probe(p: _Prober, config: LLMConfig, learnt: dict, before: bool | None) -> Probe:
    """JSON schema in llama.cpp's form (``json_object`` with the schema beside it), for an
    endpoint that refused ``json_schema``. A server may accept the form and ignore the schema,
    so the probe asks for ``{"ok": true}`` under a schema that also requires a number: only a
    server that keeps to the schema writes it."""
    name = "JSON schema (json_object form)"
    if before is not None:
        return Probe(name, before, "kept to before (llm_capabilities)" if before else
                     "refused or ignored before (llm_capabilities): not asked again")
    body = {"model": config.model, "max_tokens": 32, "temperature": 0,
            "messages": [{"role": "user", "content": _ASK}],
            "response_format": {"type": "json_object", "schema": _KEPT}}
    got = p.post("json_object_schema", body)
    if isinstance(got, CallFailed) and got.kind == "refused":
        learnt["json_object_schema"] = (False, None, str(got)[:300])
        return Probe(name, False, f"refused: {str(got)[:120]}")
    if isinstance(got, CallFailed):
        return Probe(name, None, f"not known: {str(got)[:120]}")
    text = _content(got[0])
    try:
        kept = isinstance(json.loads(text, strict=False).get("checked"), int)
    except (ValueError, AttributeError):
        kept = False
    learnt["json_object_schema"] = (kept, None, "kept to the schema" if kept else
                                    f"answered without keeping to the schema: {text[:80]!r}")
    if "json_object" not in learnt:  # its own probe met only transient failures
        learnt["json_object"] = (True, None, "answered, with a schema beside it")
    return Probe(name, kept, f"answered {text[:30]!r}" if kept else
                 f"schema ignored: answered {text[:30]!r}")


def _models(p: _Prober, config: LLMConfig, report: CheckReport) -> tuple[bool | None, str]:
    add = report.probes.append
    failure: CallFailed | None = None
    for attempt in range(3):
        try:
            out = p.api.get("/models", cast_to=object)
        except Exception as e:  # noqa: BLE001
            failure = classify(e, "text", config.api_key_env, {})
            if failure.kind in ("connection", "timeout", "server", "rate_limit") and attempt < 2:
                time.sleep(0.2 * (attempt + 1))
                continue
            break
        else:
            failure = None
            break
    if failure is not None:
        if failure.kind in ("connection", "timeout"):
            add(Probe("reachable", False, str(failure)))
            report.problem = f"{report.base_url}: {failure}"
        elif failure.kind == "auth":
            add(Probe("reachable", True, "answers"))
            add(Probe("auth", False, str(failure)))
            report.problem = f"{report.base_url} refuses the API key: {failure}"
        else:  # some servers list no models: the chat call decides
            add(Probe("reachable", True, "answers"))
            add(Probe("auth", None, "not asked for"))
            return None, f"no model list ({failure})"
        return None, ""
    add(Probe("reachable", True, "answers"))
    if not isinstance(out, dict):
        flat = " ".join(str(out).split())
        report.problem = (f"{report.base_url} answers, but not as an OpenAI-compatible API"
                          f" (the model list is {flat[:60]!r}); check llm.base_url (often"
                          " it ends in /v1)")
        return None, ""
    add(Probe("auth", True, "accepted"))
    ids = [str(m.get("id")) for m in out.get("data", []) if isinstance(m, dict)]
    named = config.model in ids
    return named, (f"{len(ids)} model(s): " + ", ".join(x[-40:] for x in ids[:3])
                   + ("" if named else f"; {config.model!r} is not listed (some servers"
                                       " serve any name)"))


def _slots(p: _Prober, config: LLMConfig) -> int | None:
    """Calls the server runs at once: ``SLOT_CALLS`` short calls sent together take about
    ``SLOT_CALLS`` times the quickest of them on a one-slot server, about as long on a server
    with that many slots."""
    body = {"model": config.model, "max_tokens": 8, "temperature": 0,
            "messages": [{"role": "user", "content": "Say ok."}]}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(SLOT_CALLS) as pool:
        outs = list(pool.map(lambda _: p.post("parallel", body, tries=1), range(SLOT_CALLS)))
    wall = time.perf_counter() - t0
    done = [latency for o in outs if not isinstance(o, CallFailed) for latency in [o[1]]]
    if len(done) < SLOT_CALLS:
        return 1
    if max(done) < QUICK_S:  # answered before any queue could show: no limit worth keeping
        return None
    return max(1, min(SLOT_CALLS, round(SLOT_CALLS * min(done) / max(wall, 1e-6))))


def _mode(body: dict[str, Any]) -> str:
    return (body.get("response_format") or {}).get("type", "text")


def _usage(out: dict[str, Any]) -> tuple[int, int]:
    usage = out.get("usage") or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def _content(out: dict[str, Any]) -> str:
    try:
        return str(out["choices"][0]["message"]["content"] or "")
    except (KeyError, IndexError, TypeError):
        return json.dumps(out)[:60]
