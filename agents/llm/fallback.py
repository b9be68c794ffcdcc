"""The client's fallback past what an endpoint refuses, and its memory of what it kept.

A request feature the endpoint refuses (a structured-output mode, a parameter such as
``seed``), whatever the status it answers with, is learnt once per endpoint and model
(``agents/llm/capabilities.py``): the call is asked again without it (json_schema ->
json_object with the schema -> json_object -> JSON in text) without spending a retry, and no
later call or run sends it again. A feature an answered request used is learnt as kept. While
a feature is still unknown, one call at a time tries it, so a refusal is met once, not once
per call in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from agents.llm.capabilities import MODES, Capabilities, CapabilityStore, write_rows
from agents.llm.config import LLMConfig
from agents.llm.errors import CallFailed
from agents.llm.request import Request
from agents.llm.store import Job
from agents.llm.structured import next_mode

T = TypeVar("T")
Learnt = Mapping[str, tuple[bool | None, str | None, str]]  # feature -> (ok, value, detail)


class Fallback:
    """The structured mode a client is at and the features it has learnt; ``put`` queues a
    write of what is learnt for the history (none is queued without one)."""

    def __init__(self, config: LLMConfig, capabilities: CapabilityStore, caps: Capabilities,
                 put: Callable[[Job], None]) -> None:
        self.config, self.capabilities, self.caps, self._put = config, capabilities, caps, put
        self.mode = (caps.mode("json_schema") if config.structured == "auto"
                     else config.structured)
        self._gate: asyncio.Lock | None = None  # one call at a time tries an unknown feature

    def open(self) -> None:
        """A fresh gate, for the event loop the calls now run on."""
        self._gate = asyncio.Lock()

    def current(self) -> str:
        """The structured mode the next attempt asks for."""
        return self.mode if self.config.structured == "auto" else self.config.structured

    def adopt(self, learnt: Learnt) -> None:
        """Take what a preflight check learnt (its rows are written by the caller)."""
        for feature, (ok, value, _) in learnt.items():
            if ok is not None:
                self.caps.known[feature] = ok
            if value is not None:
                self.caps.values[feature] = value
        if self.config.structured == "auto":
            self.mode = self.caps.mode("json_schema")

    def features(self, request: Request, mode: str) -> list[str]:
        """What this request would try: its structured mode and the parameters it sends."""
        used = [mode] if request.schema is not None and mode != "text" else []
        if request.seed is not None:
            used.append("seed")
        return used + [p for p in {**self.config.params(), **request.params}
                       if p not in self.caps.dropped()]

    async def gated(self, request: Request, mode: str,
                    attempt: Callable[[str], Awaitable[T]]) -> T:
        """``attempt(mode)``; while it would try a feature not known yet, one such attempt at
        a time, so that a refusal is met once, not once per call in flight."""
        if not self.caps.unknown(self.features(request, mode)):
            return await attempt(mode)
        assert self._gate is not None
        async with self._gate:
            if self.config.structured == "auto":
                mode = self.mode  # the call before us may have learnt a refusal
            if self.caps.unknown(self.features(request, mode)):
                return await attempt(mode)
        return await attempt(mode)  # learnt meanwhile: no queue

    def refused(self, failure: CallFailed) -> bool:
        """Remember a refused feature (in the history, for every later call and run); True when
        the call can go on without it."""
        feature = failure.feature
        if feature is None:
            return False
        self.learn({feature: (False, None, str(failure)[:300])})
        if feature in MODES:
            if self.config.structured != "auto" or next_mode(feature) is None:
                return False
            self.mode = self.caps.mode(self.mode)
            return True
        return True  # a parameter: left out of every later body

    def supported(self, request: Request, mode: str) -> None:
        """The endpoint answered a request that used these features: it supports them."""
        unknown = self.caps.unknown(self.features(request, mode))
        if unknown:
            self.learn({f: (True, None, "answered") for f in unknown})

    def learn(self, learnt: Learnt) -> None:
        new = {f: v for f, v in learnt.items() if self.caps.known.get(f) != v[0]}
        if not new:
            return
        for feature, (ok, _, _) in new.items():
            if ok is not None:
                self.caps.known[feature] = ok
        rows = self.capabilities.rows(new)
        if self.capabilities.history is not None:
            self._put(lambda con: write_rows(con, rows))
