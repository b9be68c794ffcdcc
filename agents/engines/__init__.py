"""Built-in engines; importing this package registers them."""

from agents.engines import llm, procedural  # noqa: F401
