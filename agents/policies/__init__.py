"""Built-in policies; importing this package registers them."""

from agents.policies import uniform, weakest  # noqa: F401
