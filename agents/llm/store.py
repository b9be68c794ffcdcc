"""LLM calls and the call cache in the history: one short transaction per batch of records.

Opening a DuckDB file costs tens of milliseconds, so concurrent calls are not written one by
one: ``GroupWriter`` gathers whatever finished while the previous write was running and lands
it in a single transaction (group commit). A call counts as done only once its cache entry is
durable, so a run killed at any moment repeats no call the history holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone

import pandas as pd

from envs.history import History, insert_frame


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


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


class CallStore:
    """Reads and writes of ``llm_calls`` and ``llm_cache``; a no-op without a history."""

    def __init__(self, history: History | None, run_id: str | None = None) -> None:
        self.history, self.run_id = history, run_id

    def lookup(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        """Cached responses for ``keys``, in one read."""
        if self.history is None or not keys:
            return {}
        names = ", ".join(f.name for f in fields(CacheEntry))
        rows = self.history.rows(
            f"SELECT {names} FROM llm_cache WHERE cache_key IN (SELECT unnest(?::VARCHAR[]))",
            [list(dict.fromkeys(keys))])
        return {row[0]: CacheEntry(*row) for row in rows}

    def write(self, calls: Sequence[CallRecord], entries: Sequence[CacheEntry]) -> None:
        """Land call records and cache entries in one transaction."""
        if self.history is None or not (calls or entries):
            return
        with self.history.transaction() as con:
            insert_frame(con, "llm_calls", pd.DataFrame([asdict(c) for c in calls]))
            for e in entries:  # a key another process cached meanwhile is kept as it is
                con.execute(
                    "INSERT OR IGNORE INTO llm_cache (cache_key, model, request, content,"
                    " finish_reason, tokens_in, tokens_out, call_id, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [e.cache_key, e.model, e.request, e.content, e.finish_reason, e.tokens_in,
                     e.tokens_out, e.call_id, utcnow()])

    def spent(self) -> tuple[int, float]:
        """Tokens and dollars this run has paid for so far (cache hits are free)."""
        if self.history is None or self.run_id is None:
            return 0, 0.0
        row = self.history.rows(
            "SELECT coalesce(sum(tokens_in + tokens_out), 0), coalesce(sum(cost_usd), 0)"
            " FROM llm_calls WHERE run_id = ? AND NOT cache_hit", [self.run_id])[0]
        return int(row[0]), float(row[1])


class GroupWriter:
    """Group commit for concurrent calls: ``await put(...)`` returns once the record is durable.

    A flush waits until no record has arrived for ``quiet`` seconds (at most ``gather``), so a
    wave of calls finishing together lands in one transaction instead of one per call.
    """

    def __init__(self, store: CallStore, *, quiet: float = 0.01, gather: float = 0.05) -> None:
        self.store, self.quiet, self.gather = store, quiet, gather
        self._pending: list[tuple[CallRecord, CacheEntry | None, asyncio.Future]] = []
        self._task: asyncio.Task | None = None

    async def put(self, call: CallRecord, entry: CacheEntry | None = None) -> None:
        if self.store.history is None:
            return
        future = asyncio.get_running_loop().create_future()
        self._pending.append((call, entry, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._pending:
            await self._settle()
            batch, self._pending = self._pending, []
            calls = [c for c, _, _ in batch]
            entries = [e for _, e, _ in batch if e is not None]
            try:
                await asyncio.to_thread(self.store.write, calls, entries)
            except Exception as e:  # every waiter learns the write failed
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(e)
            else:
                for _, _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def _settle(self) -> None:
        waited, seen = 0.0, -1
        while len(self._pending) != seen and waited < self.gather:
            seen = len(self._pending)
            await asyncio.sleep(self.quiet)
            waited += self.quiet
