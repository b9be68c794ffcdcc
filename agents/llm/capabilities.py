"""What an endpoint and model support, learnt once and kept in the history.

A feature is a structured-output mode (``json_schema``, ``json_object_schema``,
``json_object``) or a request
parameter (``seed``, ``temperature``, ...); ``slots`` and ``latency_s`` are measurements of
the endpoint (``curriculab llm check``). A feature is learnt from a probe or from the first
refusal a call meets, and every later call and run of the same base URL and model reads it,
so no refusal is met twice.

A server says "I do not support this" with whatever status it likes (llama.cpp's Python
server answers HTTP 500 with a validation message); ``refused_feature`` reads the status and
the message against what the request sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from envs.history import History
from envs.history.clock import utcnow

MODES = ("json_schema", "json_object_schema", "json_object", "text")
# request fields that are the call itself, never dropped
CORE = frozenset({"model", "messages", "response_format", "stream"})
_NOT_FEATURE = (401, 403, 404, 408, 409, 429)
_FORMAT_WORDS = re.compile(r"(?i)response_format|json_schema|json_object|grammar|'text'|"
                           r"structured output|schema")
_REJECT_WORDS = re.compile(r"(?i)unsupported|not supported|unrecognized|unknown|not permitted|"
                           r"extra inputs|extra_forbidden|unexpected|invalid|not allowed|"
                           r"input should be|does not support|not implemented")


def refused_feature(status: int | None, message: str, body: Mapping[str, Any]) -> str | None:
    """The feature of ``body`` that a status-``status`` answer saying ``message`` rejects, or
    None when the answer is about something else (a transient error, auth, a bad model)."""
    if status is None or status < 400 or status in _NOT_FEATURE:
        return None
    response_format = body.get("response_format") or {}
    fmt = response_format.get("type")
    if fmt in ("json_schema", "json_object") and _FORMAT_WORDS.search(message):
        if fmt == "json_object" and "schema" in response_format:
            # the schema beside json_object, unless the complaint is about the type itself
            return "json_object_schema" if re.search(r"(?i)schema", message) else "json_object"
        return fmt
    if not _REJECT_WORDS.search(message):
        return None
    for name in body:
        if name not in CORE and re.search(rf"(?<![a-z_]){re.escape(name)}(?![a-z_])", message):
            return name
    return None


@dataclass
class Capabilities:
    """The features known for one endpoint and model (``None``: not known yet)."""

    base_url: str
    model: str
    known: dict[str, bool] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)

    def mode(self, wanted: str) -> str:
        """The best structured mode at or below ``wanted`` that is not known to be refused."""
        for mode in MODES[MODES.index(wanted):]:
            if mode == "json_object_schema":
                # only once seen kept to (a server may take the form and ignore the schema)
                if self.known.get(mode) is True and self.known.get("json_object") is not False:
                    return mode
                continue
            if mode == "text" or self.known.get(mode) is not False:
                return mode
        return "text"

    def unknown(self, features: list[str]) -> list[str]:
        return [f for f in features if f not in self.known]

    def dropped(self) -> set[str]:
        """Request parameters the endpoint refuses (never sent)."""
        return {f for f, ok in self.known.items() if not ok and f not in MODES}

    def number(self, name: str) -> float | None:
        try:
            return float(self.values[name])
        except (KeyError, ValueError):
            return None


class CapabilityStore:
    """``llm_capabilities`` rows for one endpoint and model; a no-op without a history."""

    def __init__(self, history: History | None, base_url: str, model: str) -> None:
        self.history, self.base_url, self.model = history, base_url, model

    def load(self) -> Capabilities:
        caps = Capabilities(self.base_url, self.model)
        if self.history is None or not self.history.path.exists():
            return caps
        for feature, supported, value in self.history.rows(
                "SELECT feature, supported, value FROM llm_capabilities"
                " WHERE base_url = ? AND model = ?", [self.base_url, self.model]):
            if supported is not None:
                caps.known[feature] = bool(supported)
            if value is not None:
                caps.values[feature] = value
        return caps

    def rows(self, learnt: Mapping[str, tuple[bool | None, str | None, str]]) -> list[list]:
        """Insert parameters for ``feature -> (supported, value, detail)``."""
        now = utcnow()
        return [[self.base_url, self.model, f, ok, value, detail, now]
                for f, (ok, value, detail) in learnt.items()]

    def save(self, learnt: Mapping[str, tuple[bool | None, str | None, str]]) -> None:
        if self.history is None or not learnt:
            return
        with self.history.transaction() as con:
            write_rows(con, self.rows(learnt))


def write_rows(con: Any, rows: list[list]) -> None:
    for row in rows:
        con.execute("INSERT OR REPLACE INTO llm_capabilities (base_url, model, feature,"
                    " supported, value, detail, learnt_at) VALUES (?, ?, ?, ?, ?, ?, ?)", row)
