"""The ``llm`` section of a run config: endpoint, model, sampling, limits, prices and budget.

The API key is never part of a config: it is read from the environment variable named by
``api_key_env`` (``OPENAI_API_KEY`` unless set otherwise), so configs can be shared and stored
in the history without leaking secrets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from students.options import Checked, above, at_least

# auto: json_schema, then json_object with the schema beside it (llama.cpp's form), then
# json_object, then JSON in plain text
Structured = Literal["auto", "json_schema", "json_object_schema", "json_object", "text"]
STRUCTURED_MODES: tuple[str, ...] = get_args(Structured)
# shared: one cache for every run (keyed by endpoint, model, request); run: each run its own
# (a resumed run still replays its calls); off: every call is sent and nothing is cached
Cache = Literal["shared", "run", "off"]


@dataclass(frozen=True, slots=True)
class LLMConfig(Checked):
    """How to reach an OpenAI-compatible endpoint and how much of it to use."""

    base_url: str | None = None  # None: the openai client's default (api.openai.com)
    model: str = "gpt-4o-mini"
    temperature: float = field(default=0.7, metadata=at_least(0))
    max_tokens: int = field(default=2048, metadata=at_least(1))
    # calls in flight at once; None: the endpoint's slots as the check measured them (at most
    # 8; 8 when unknown), so a one-slot server is not sent calls that only queue and time out
    concurrency: int | None = field(default=None, metadata=at_least(1))
    # seconds per HTTP request; None: 60, or longer where the check measured an endpoint too
    # slow to write max_tokens in that time (2.5 times its measured time for them)
    timeout: float | None = field(default=None, metadata=above(0))
    # extra attempts after a failed one (429, 5xx, timeout, bad output)
    retries: int = field(default=4, metadata=at_least(0))
    # first retry delay in seconds; doubles per attempt, with jitter
    backoff: float = field(default=0.5, metadata=at_least(0))
    structured: Structured = "auto"
    prices: dict[str, Any] = field(default_factory=dict)  # model -> [usd/1M in, usd/1M out]
    budget_tokens: int | None = field(default=None, metadata=at_least(1))
    budget_usd: float | None = field(default=None, metadata=above(0))
    api_key_env: str = "OPENAI_API_KEY"
    cache: Cache = "shared"
    check: bool = True  # probe the endpoint before iteration 0; a run that cannot use it fails

    WHERE = "llm"

    def api_key(self) -> str:
        """The key from the environment; local servers (vLLM, Ollama, llama.cpp) need none."""
        return os.environ.get(self.api_key_env) or "EMPTY"

    def params(self) -> dict[str, Any]:
        """Sampling parameters sent with (and cached under) every call."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}
