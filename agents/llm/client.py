"""The one LLM client: any OpenAI-compatible endpoint through the ``openai`` package.

Every call goes: cache lookup -> (concurrency slot -> HTTP call -> parse) with retries ->
record (in the background, in group commits). Retries back off on 429, 5xx, timeouts and
dropped connections and re-ask on output that is empty, cut off, not JSON or not the schema.
A request feature the endpoint refuses (a structured-output mode, a parameter such as
``seed``) is learnt once and the call asked again without it, without spending a retry
(``agents/llm/fallback.py``). Every attempt is a row of ``llm_calls``; a completed call is a
row of ``llm_cache`` (unless ``llm.cache`` is off), so a resumed or repeated run replays it
instead of paying again. Nothing secret is written.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import random
import secrets
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion

from agents.llm.budget import Budget
from agents.llm.capabilities import Capabilities, CapabilityStore, write_rows
from agents.llm.config import LLMConfig
from agents.llm.errors import CallFailed, EndpointUnusable, classify
from agents.llm.check import CheckReport
from agents.llm.fallback import Fallback
from agents.llm.loop import LoopThread
from agents.llm.prices import price_for
from agents.llm.redact import endpoint_key
from agents.llm.request import Reply, Request
from agents.llm.store import CacheEntry, CallRecord, CallStore, GroupWriter, Job
from agents.llm.structured import ENFORCED, OutputError, instruction, parse, response_format
from envs.history import History
from envs.history.clock import utcnow
from students.errors import ConfigError
from agents.llm.errors import LLMError
from students.seeding import derive_seed

T = TypeVar("T")
MAX_WAIT_S = 30.0
IDLE_S = 0.25  # a pause this long between calls counts as idle for the call-log writer


class LLMClient:
    """Built from a run's ``llm`` config; ``history`` and ``run_id`` say where calls are logged."""

    def __init__(self, config: LLMConfig, *, history: History | None = None,
                 run_id: str | None = None) -> None:
        if config.base_url is None and not os.environ.get(config.api_key_env):
            raise ConfigError("no LLM endpoint: set llm.base_url (--base-url) for a local server,"
                              f" or ${config.api_key_env} to use api.openai.com")
        self.config = config
        self.store = CallStore(history, run_id)
        self.price = price_for(config.model, config.prices)
        if config.budget_usd is not None and self.price is None:
            raise ConfigError(f"llm.budget_usd needs a price for model {config.model!r}:"
                              " add it under llm.prices as [usd per 1M input, usd per 1M output]")
        self.budget = Budget(config.budget_tokens, config.budget_usd, *self.store.spent())
        self.endpoint = endpoint_key(config.base_url)
        self.capabilities = CapabilityStore(history, self.endpoint, config.model)
        self.caps: Capabilities = self.capabilities.load()
        self.stats = {"calls": 0, "cached": 0, "errors": 0}
        self.check: CheckReport | None = None  # the last preflight check
        self._pending: list[CallRecord] = []  # the check's rows, written with the first calls
        self._pending_job: Job | None = None
        self._loop: LoopThread | None = None
        self._api: openai.AsyncOpenAI | None = None
        self._slots: asyncio.Semaphore | None = None
        self._in_flight, self._active_at = 0, 0.0  # the log is written between bursts of calls
        self._writer = GroupWriter(self.store, busy=self._busy)
        self.fallback = Fallback(config, self.capabilities, self.caps,
                                 put=lambda job: self._writer.put(job=job))
        self._recent: dict[str, CacheEntry] = {}  # completed here; the write may still be queued
        self._known = (self.store.cached_keys(config.model) if config.cache != "off"
                       else set())  # in the cache when we started

    @property
    def concurrency(self) -> int:
        """Calls in flight at most: the setting, else the endpoint's measured slots (<= 8)."""
        if self.config.concurrency is not None:
            return self.config.concurrency
        slots = self.caps.number("slots")
        return max(1, min(8, int(slots))) if slots else 8

    @property
    def timeout(self) -> float:
        """Seconds per request: the setting, else enough for ``max_tokens`` at the speed the
        check measured (at least 60)."""
        if self.config.timeout is not None:
            return self.config.timeout
        per_token = self.caps.number("seconds_per_token")
        if not per_token:
            return 60.0
        return max(60.0, 2.5 * per_token * self.config.max_tokens + 5.0)

    def scope(self) -> dict[str, str]:
        """What the cache key holds besides the request: the endpoint, and the run when each
        run keeps its own cache."""
        scope = {"endpoint": self.endpoint}
        if self.config.cache == "run":
            scope["run"] = self.store.run_id or ""
        return scope

    # -- public, synchronous -------------------------------------------------------------
    def preflight(self) -> CheckReport:
        """Probe the endpoint (``agents/llm/check.py``) and raise ``EndpointUnusable`` when a
        teacher cannot use it. Writes nothing yet: what it learnt lands with the first calls,
        so a run that fails before it is recorded leaves the history as it was."""
        from agents.llm.check import check_endpoint

        report = check_endpoint(self.config, known=self.caps.known)
        self.check = report
        if not report.usable:
            raise EndpointUnusable(f"the LLM endpoint cannot serve a teacher: {report.problem}"
                                   " (`curriculab llm check` probes it)")
        self.fallback.adopt(report.learnt)
        self._pending = [replace(c, run_id=self.store.run_id) for c in report.calls]
        rows = self.capabilities.rows(report.learnt)
        self._pending_job = lambda con: write_rows(con, rows)
        return report

    def _flush_pending(self) -> None:
        """The preflight's rows, into the next background write (or now, without a loop)."""
        if not self._pending and self._pending_job is None:
            return
        calls, job = self._pending, self._pending_job
        self._pending, self._pending_job = [], None
        if self.store.history is None:
            return
        if self._loop is None:
            self.store.write(calls, [], [job] if job else [])
            return
        for record in calls:
            self._writer.put(record)
        if job is not None:
            self._writer.put(job=job)

    def complete(self, request: Request) -> Reply:
        """One call; raises LLMError when every attempt failed."""
        result = self.complete_all([request])[0]
        if isinstance(result, LLMError):
            raise result
        return result

    def complete_all(self, requests: Sequence[Request]) -> list[Reply | CallFailed]:
        """Many calls at once (at most ``concurrency`` in flight); a failure is returned in
        its slot, so the caller keeps everything that worked."""
        return self._run(self._complete_all(requests))

    def defer(self, job: Job) -> None:
        """Run ``job(connection)`` in the next background write of the call log."""
        if self._loop is None:
            self.store.write([], [], [job])
        else:
            self._loop.loop.call_soon_threadsafe(self._writer.put, None, None, job)

    def flush(self) -> None:
        """Wait until every call and deferred write so far is in the history."""
        if self._loop is not None:
            self._loop.run(self._writer.drain())

    def close(self) -> None:
        """Flush, then close the connections and the event loop thread (a later call reopens
        them)."""
        if self._loop is None:
            self._flush_pending()
        if self._loop is not None:
            try:
                self._loop.run(self._pending_now())
                self.flush()
            finally:
                if self._api is not None:
                    self._loop.run(self._api.close())
                self._loop.close()
        self._loop, self._api = None, None
        _OPEN.discard(self)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            self._loop = LoopThread()
            _OPEN.add(self)
        return self._loop.run(coro)

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- async core (runs on the client's own loop) --------------------------------------
    async def _complete_all(self, requests: Sequence[Request]) -> list[Reply | CallFailed]:
        self._flush_pending()
        defaults, scope = self.config.params(), self.scope()
        identities = [r.identity(self.config.model, defaults, scope) for r in requests]
        keys = [key for key, _ in identities]
        self._writer.raise_error()  # a failed background write fails the next call
        cached = ({k: self._recent[k] for k in keys if k in self._recent}
                  if self.config.cache != "off" else {})
        stored = [k for k in keys if k in self._known and k not in cached]
        if stored:  # only keys known to be cached are read: a fresh request costs no read
            cached.update(await asyncio.to_thread(self.store.lookup, stored))
        if self._api is None:  # retries are ours (each attempt is logged): the client's are off
            self._api = openai.AsyncOpenAI(
                base_url=self.config.base_url, api_key=self.config.api_key(),
                timeout=self.timeout, max_retries=0)
            self._slots = asyncio.Semaphore(self.concurrency)  # shared by every caller
            self.fallback.open()
        batch = _Batch(self._api, self._slots, self._writer)
        firsts = {k: (r, text) for (k, text), r in zip(identities, requests)}  # one call each
        results = await asyncio.gather(*(
            self._one(batch, _Call(request, key, text, secrets.token_hex(8)), cached.get(key))
            for key, (request, text) in firsts.items()))
        by_key = dict(zip(firsts, results))
        return [by_key[k] for k in keys]

    async def _one(self, batch: _Batch, call: _Call, hit: CacheEntry | None) -> Reply | CallFailed:
        """Every attempt of one logical call shares its ``call_id`` (a replay shares the id of
        the call that made the cached content)."""
        if hit is not None:
            reply = await self._replay(batch, call, hit)
            if reply is not None:
                return reply
        attempt, tries = 0, 0
        while True:
            outcome = await self.fallback.gated(
                call.request, self.fallback.current(),
                lambda mode, n=attempt: self._attempt(batch, call, mode, n))
            attempt += 1
            if isinstance(outcome, Reply):
                return outcome
            if outcome.kind == "refused" and self.fallback.refused(outcome):
                continue  # a refused feature is not the endpoint failing: no retry is used up
            tries += 1
            if not outcome.retryable or tries > self.config.retries:
                return CallFailed(outcome.kind, f"{call.request.role} call {call.request.label!r}"
                                  f" failed after {attempt} attempt(s): {outcome}", attempt)
            await asyncio.sleep(self._delay(tries, outcome))

    async def _replay(self, batch: _Batch, call: _Call, hit: CacheEntry) -> Reply | None:
        try:
            parsed = parse(hit.content, hit.finish_reason, call.request.schema)
        except OutputError:
            return None  # the parser changed under the cache: ask again
        call.call_id = hit.call_id
        record = self._record(call, "cache", 0, "cached", tokens=(hit.tokens_in, hit.tokens_out),
                              hit=True)
        self.stats["cached"] += 1
        batch.writer.put(record)
        return Reply(call.request, call.call_id, hit.content, parsed, True, hit.tokens_in,
                     hit.tokens_out)

    async def _attempt(self, batch: _Batch, call: _Call, mode: str, attempt: int) -> Reply | CallFailed:
        request, t0, tokens = call.request, time.perf_counter(), (0, 0)
        body = self._body(request, mode, attempt)
        answered = False
        try:
            async with batch.slots, self._flying():
                t0 = time.perf_counter()
                # The body is plain JSON already: posted as it is, without the typed transform
                # of ``chat.completions.create`` (a third of the client's CPU time per call).
                completion = await batch.api.post("/chat/completions", cast_to=ChatCompletion,
                                                  body=body)
            answered = True
            latency = time.perf_counter() - t0
            content, finish, tokens = _unpack(completion)
            parsed = parse(content, finish, request.schema)
        except Exception as e:  # noqa: BLE001 - every failure of an attempt is recorded
            if isinstance(e, asyncio.CancelledError):
                raise
            failure = classify(e, mode, self.config.api_key_env, body)
            if answered:
                self.fallback.supported(request, mode)
            self.stats["errors"] += 1
            batch.writer.put(self._record(call, mode, attempt, "error", tokens=tokens,
                                          latency=time.perf_counter() - t0, failure=failure))
            return failure
        self.fallback.supported(request, mode)
        record = self._record(call, mode, attempt, "ok", tokens=tokens, latency=latency)
        entry = (CacheEntry(call.key, self.config.model, call.logical, content, finish, *tokens,
                            call.call_id, self.endpoint) if self.config.cache != "off" else None)
        self.stats["calls"] += 1
        if entry is not None:
            self._recent[call.key] = entry
        batch.writer.put(record, entry)
        return Reply(request, call.call_id, content, parsed, False, *tokens)

    async def _pending_now(self) -> None:
        self._flush_pending()

    @contextlib.asynccontextmanager
    async def _flying(self) -> AsyncIterator[None]:
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._active_at = time.monotonic()

    def _busy(self) -> bool:
        """Calls in flight, or some just ended: more are likely to follow (the next round, the
        engine after the plan), so the writer waits for a real pause."""
        return self._in_flight > 0 or time.monotonic() - self._active_at < IDLE_S

    def _body(self, request: Request, mode: str, attempt: int) -> dict[str, Any]:
        messages = [{"role": r, "content": c} for r, c in request.messages]
        if request.schema is not None and mode not in ENFORCED:
            messages = _with_instruction(messages, instruction(request.schema, request.choices))
        dropped = self.caps.dropped()
        body: dict[str, Any] = {"model": self.config.model, "messages": messages,
                                **{k: v for k, v in {**self.config.params(), **request.params}.items()
                                   if k not in dropped}}
        if request.seed is not None and "seed" not in dropped:  # a re-ask samples afresh
            body["seed"] = request.seed if attempt == 0 else derive_seed(request.seed, "retry",
                                                                         attempt)
        fmt = response_format(mode, request.schema, request.choices)
        if fmt is not None:
            body["response_format"] = fmt
        return body

    def _record(self, call: _Call, mode: str, attempt: int, status: str, *,
                tokens: tuple[int, int] = (0, 0), latency: float = 0.0,
                failure: CallFailed | None = None, hit: bool = False) -> CallRecord:
        cost = None if hit or self.price is None else self.price.cost(*tokens)
        if not hit:
            self.budget.add(sum(tokens), cost)
        request = call.request
        return CallRecord(
            call.call_id, self.store.run_id, request.iteration, request.role,
            request.label, self.config.model, call.key, mode, attempt, status,
            failure.kind if failure else None, str(failure) if failure else None,
            tokens[0], tokens[1], latency, cost, hit, utcnow(), self.endpoint,
            failure.feature if failure else None, failure.raw if failure else None)

    def _delay(self, tries: int, failure: CallFailed) -> float:
        delay = self.config.backoff * 2 ** (tries - 1) * (0.5 + random.random())
        if failure.retry_after is not None:
            delay = max(delay, failure.retry_after)
        return min(delay, MAX_WAIT_S)


@dataclass(slots=True)
class _Call:
    """One logical call: what is asked, its cache key, and the id its attempts share."""

    request: Request
    key: str
    logical: str  # the request as JSON, kept with the cache entry
    call_id: str


@dataclass(frozen=True, slots=True)
class _Batch:
    """What the calls of one ``complete_all`` share."""

    api: openai.AsyncOpenAI
    slots: asyncio.Semaphore
    writer: GroupWriter


def _unpack(completion: Any) -> tuple[str | None, str | None, tuple[int, int]]:
    """Content, finish reason and (prompt, completion) tokens of a chat completion."""
    usage = getattr(completion, "usage", None)
    tokens = (int(getattr(usage, "prompt_tokens", 0) or 0),
              int(getattr(usage, "completion_tokens", 0) or 0))
    if isinstance(completion, str):  # a 200 whose body is not JSON (an HTML page, say)
        flat = " ".join(completion.split())
        raise OutputError("malformed", f"the response body is not a chat completion:"
                                       f" {flat[:80]!r}", completion)
    choices = getattr(completion, "choices", None) or []
    if not choices:
        raise OutputError("empty", "the completion has no choices")
    choice = choices[0]
    return choice.message.content, choice.finish_reason, tokens


def _with_instruction(messages: list[dict[str, str]], text: str) -> list[dict[str, str]]:
    if messages and messages[0]["role"] == "system":
        return [{"role": "system", "content": messages[0]["content"] + "\n\n" + text},
                *messages[1:]]
    return [{"role": "system", "content": text}, *messages]



_OPEN: set[LLMClient] = set()  # clients with a running loop; strong, so none is lost unclosed


@atexit.register
def _close_open_clients() -> None:
    # A client nobody closed: write its queued call log and stop its loop before the
    # interpreter tears down (no thread may be left holding DuckDB objects at exit).
    for client in list(_OPEN):
        try:
            client.close()
        except Exception:  # noqa: BLE001 - nothing left to report to at exit
            pass
