"""LLM calls and the call cache in the history: one short transaction per batch of records.

Opening a DuckDB file costs tens of milliseconds, so concurrent calls are not written one by
one: ``GroupWriter`` gathers whatever finished while the previous write was running and lands
it in a single transaction (group commit), in the background, between bursts of calls. A run
killed at any moment loses at most the calls of its last two seconds or so; every call the
history holds as done is replayed from the cache, never asked again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime

import duckdb
import pandas as pd

from envs.history.clock import utcnow
from envs.history.database import History, insert_frame


Job = Callable[[duckdb.DuckDBPyConnection], None]  # a write to run in the next transaction


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One attempt at one call, as the ``llm_calls`` table holds it."""

    call_id: str
    run_id: str | None
    iteration: int | None
    role: str
    label: str
    model: str
    cache_key: str
    mode: str
    attempt: int
    status: str  # ok | cached | error
    error_kind: str | None = None
    error: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0
    cost_usd: float | None = None
    cache_hit: bool = False
    created_at: datetime | None = None
    base_url: str | None = None  # the endpoint, without credentials
    feature: str | None = None  # what a refusal (error_kind 'refused') was about
    raw: str | None = None  # the unusable output or error body, bounded


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A completed call's raw response (``llm_cache``)."""

    cache_key: str
    model: str
    request: str  # the logical request as JSON, for inspection
    content: str
    finish_reason: str | None
    tokens_in: int
    tokens_out: int
    call_id: str
    base_url: str | None = None


class CallStore:
    """Reads and writes of ``llm_calls`` and ``llm_cache``; a no-op without a history."""

    def __init__(self, history: History | None, run_id: str | None = None) -> None:
        self.history, self.run_id = history, run_id

    def readable(self) -> bool:
        """A history to read (a read never creates the file)."""
        return self.history is not None and self.history.path.exists()

    def cached_keys(self, model: str) -> set[str]:
        """The keys cached for ``model``, so a fresh request needs no read to know it is new."""
        if not self.readable():
            return set()
        return {row[0] for row in self.history.rows(
            "SELECT cache_key FROM llm_cache WHERE model = ?", [model])}

    def lookup(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        """Cached responses for ``keys``, in one read."""
        if not self.readable() or not keys:
            return {}
        names = ", ".join(f.name for f in fields(CacheEntry))
        rows = self.history.rows(
            f"SELECT {names} FROM llm_cache WHERE cache_key IN (SELECT unnest(?::VARCHAR[]))",
            [list(dict.fromkeys(keys))])
        return {row[0]: CacheEntry(*row) for row in rows}

    def write(self, calls: Sequence[CallRecord], entries: Sequence[CacheEntry],
              jobs: Sequence[Job] = ()) -> None:
        """Land call records, cache entries and other queued writes in one transaction."""
        if self.history is None or not (calls or entries or jobs):
            return
        with self.history.transaction() as con:
            for job in jobs:
                job(con)
            insert_frame(con, "llm_calls", pd.DataFrame([asdict(c) for c in calls]))
            for e in entries:  # a key another process cached meanwhile is kept as it is
                con.execute(
                    "INSERT OR IGNORE INTO llm_cache (cache_key, model, request, content,"
                    " finish_reason, tokens_in, tokens_out, call_id, created_at, base_url)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [e.cache_key, e.model, e.request, e.content, e.finish_reason, e.tokens_in,
                     e.tokens_out, e.call_id, utcnow(), e.base_url])

    def spent(self) -> tuple[int, float]:
        """Tokens and dollars this run has paid for so far (cache hits are free)."""
        if not self.readable() or self.run_id is None:
            return 0, 0.0
        row = self.history.rows(
            "SELECT coalesce(sum(tokens_in + tokens_out), 0), coalesce(sum(cost_usd), 0)"
            " FROM llm_calls WHERE run_id = ? AND NOT cache_hit", [self.run_id])[0]
        return int(row[0]), float(row[1])


class GroupWriter:
    """Writes in the background, in group commits: whatever concurrent calls queued while the
    previous transaction ran lands in the next one. Nobody waits on the call path; ``drain``
    waits until everything queued is durable (and raises a write that failed).

    A flush waits for a quiet moment: nothing new for ``quiet`` seconds and, per ``busy``, no
    call in flight, so a burst of calls lands in one transaction and the write does not compete
    with the calls for the CPU; but it waits at most ``gather`` seconds, which bounds what a
    killed run can lose.
    """

    def __init__(self, store: CallStore, *, busy: Callable[[], bool] = lambda: False,
                 quiet: float = 0.05, gather: float = 2.0) -> None:
        self.store, self.busy, self.quiet, self.gather = store, busy, quiet, gather
        self._calls: list[CallRecord] = []
        self._entries: list[CacheEntry] = []
        self._jobs: list[Job] = []
        self._task: asyncio.Task | None = None
        self._error: BaseException | None = None

    def put(self, call: CallRecord | None = None, entry: CacheEntry | None = None,
            job: Job | None = None) -> None:
        """Queue a record (call on the writer's event loop)."""
        if self.store.history is None:
            return
        self._calls += [call] if call is not None else []
        self._entries += [entry] if entry is not None else []
        self._jobs += [job] if job is not None else []
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush())

    async def drain(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])
        self.raise_error()

    def raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    async def _flush(self) -> None:
        while self._calls or self._entries or self._jobs:
            await self._settle()
            calls, entries, jobs = self._calls, self._entries, self._jobs
            self._calls, self._entries, self._jobs = [], [], []
            try:
                await asyncio.to_thread(self.store.write, calls, entries, jobs)
            except Exception as e:  # kept for the next drain or call to raise
                self._error = e

    async def _settle(self) -> None:
        loop = asyncio.get_running_loop()
        deadline, seen = loop.time() + self.gather, -1
        while loop.time() < deadline:
            if self._size() == seen and not self.busy():
                return
            seen = self._size()
            await asyncio.sleep(self.quiet)

    def _size(self) -> int:
        return len(self._calls) + len(self._entries) + len(self._jobs)
