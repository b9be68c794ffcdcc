"""The OpenAI-compatible LLM client: config, structured output, retries, cache, budget."""

from agents.llm.client import LLMClient
from agents.llm.config import LLMConfig
from agents.llm.errors import CallFailed
from agents.llm.request import Reply, Request, chat

__all__ = ["CallFailed", "LLMClient", "LLMConfig", "Reply", "Request", "chat"]
