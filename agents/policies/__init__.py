"""Built-in policies; importing this package registers them."""

from agents.policies import alp, explore_exploit, frontier, llm, sec, uniform, weakest  # noqa: F401
