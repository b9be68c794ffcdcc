"""Built-in policies; importing this package registers them."""

from agents.policies import llm, uniform, weakest  # noqa: F401
