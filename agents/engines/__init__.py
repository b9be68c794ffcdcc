"""Built-in engines; importing this package registers them."""

from agents.engines import procedural  # noqa: F401
