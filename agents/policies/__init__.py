"""Built-in policies; importing this package registers them."""

from agents.policies import (alp, explore_exploit, frontier, llm, oracle, sec, uniform,  # noqa: F401
                             weakest)
