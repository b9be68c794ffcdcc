"""The ``llm`` section of a run config: endpoint, model, sampling, limits, prices and budget.

The API key is never part of a config: it is read from the environment variable named by
``api_key_env`` (``OPENAI_API_KEY`` unless set otherwise), so configs can be shared and stored
in the history without leaking secrets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from students.errors import ConfigError

STRUCTURED_MODES = ("auto", "json_schema", "json_object", "text")


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """How to reach an OpenAI-compatible endpoint and how much of it to use."""

    base_url: str | None = None  # None: the openai client's default (api.openai.com)
    model: str = "gpt-4o-mini"
    temperature: float = 0.7
    max_tokens: int = 2048
    concurrency: int = 8
    timeout: float = 60.0  # seconds per HTTP request
    retries: int = 4  # extra attempts after a failed one (429, 5xx, timeout, bad output)
    backoff: float = 0.5  # first retry delay in seconds; doubles per attempt, with jitter
    structured: str = "auto"  # auto: json_schema, then json_object, then JSON in plain text
    prices: dict[str, Any] = field(default_factory=dict)  # model -> [usd/1M in, usd/1M out]
    budget_tokens: int | None = None
    budget_usd: float | None = None
    api_key_env: str = "OPENAI_API_KEY"

    def __post_init__(self) -> None:
        for name, kinds in (("temperature", (int, float)), ("max_tokens", int),
                            ("concurrency", int), ("timeout", (int, float)), ("retries", int),
                            ("backoff", (int, float)), ("budget_tokens", (int, type(None))),
                            ("budget_usd", (int, float, type(None))), ("prices", dict)):
            value = getattr(self, name)
            if not isinstance(value, kinds) or isinstance(value, bool):
                raise ConfigError(f"llm.{name} has the wrong type: {value!r}")
        if self.concurrency < 1:
            raise ConfigError(f"llm.concurrency must be >= 1, got {self.concurrency}")
        if self.retries < 0:
            raise ConfigError(f"llm.retries must be >= 0, got {self.retries}")
        if self.timeout <= 0 or self.max_tokens < 1:
            raise ConfigError("llm.timeout and llm.max_tokens must be positive")
        if self.structured not in STRUCTURED_MODES:
            raise ConfigError(f"unknown llm.structured {self.structured!r} "
                              f"(known: {', '.join(STRUCTURED_MODES)})")
        for name in ("budget_tokens", "budget_usd"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(f"llm.{name} must be positive, got {value}")

    def api_key(self) -> str:
        """The key from the environment; local servers (vLLM, Ollama, llama.cpp) need none."""
        return os.environ.get(self.api_key_env) or "EMPTY"

    def params(self) -> dict[str, Any]:
        """Sampling parameters sent with (and cached under) every call."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}
