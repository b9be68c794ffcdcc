"""What a teacher asks of an LLM (``Request``) and what it gets back (``Reply``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from agents.llm.structured import wire_schema


@dataclass(frozen=True, slots=True)
class Request:
    """One chat call. ``role``, ``label`` and ``iteration`` say who asked and what for (they go
    to the log, not the cache key); ``seed`` and ``params`` are sent and cached under."""

    messages: tuple[tuple[str, str], ...]  # (role, content)
    schema: type[BaseModel] | None = None
    role: str = "teacher"
    label: str = ""
    iteration: int | None = None
    seed: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    # allowed values of the schema's string properties by name (``{"skill": skills}``)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "choices", MappingProxyType(
            {k: tuple(v) for k, v in self.choices.items()}))

    def logical(self, model: str, defaults: Mapping[str, Any],
                scope: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The cache identity: model, messages, schema, every sampling parameter, and the
        ``scope`` (the endpoint; the run, where each run keeps its own cache)."""
        params = {**defaults, **self.params}
        if self.seed is not None:
            params["seed"] = self.seed
        return {"model": model,
                "messages": [{"role": r, "content": c} for r, c in self.messages],
                "schema": wire_schema(self.schema, self.choices) if self.schema else None,
                "params": params, **({"scope": dict(scope)} if scope else {})}

    def identity(self, model: str, defaults: Mapping[str, Any],
                 scope: Mapping[str, str] | None = None) -> tuple[str, str]:
        """(cache key, the logical request as JSON) — the JSON is stored with the cache entry."""
        text = json.dumps(self.logical(model, defaults, scope), sort_keys=True,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest(), text

    def key(self, model: str, defaults: Mapping[str, Any],
            scope: Mapping[str, str] | None = None) -> str:
        return self.identity(model, defaults, scope)[0]


def chat(system: str, user: str, schema: type[BaseModel] | None = None, **kwargs: Any) -> Request:
    """A two-message request: ``chat(SYSTEM, prompt, PlanOut, role="policy", iteration=3)``."""
    return Request((("system", system), ("user", user)), schema, **kwargs)


@dataclass(frozen=True, slots=True)
class Reply:
    """A completed call: the raw content, the validated object, and where it came from."""

    request: Request
    call_id: str
    content: str
    parsed: Any
    cached: bool
    tokens_in: int
    tokens_out: int
