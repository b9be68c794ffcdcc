"""The OpenAI-compatible LLM client: config, structured output, retries, cache, budget.

Names are loaded on first use, so reading a run config does not import the ``openai`` package.
"""

from typing import Any

_EXPORTS = {
    "LLMClient": "agents.llm.client", "LLMConfig": "agents.llm.config",
    "CallFailed": "agents.llm.errors", "Reply": "agents.llm.request",
    "Request": "agents.llm.request", "chat": "agents.llm.request",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'agents.llm' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)


__all__ = sorted(_EXPORTS)
