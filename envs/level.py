"""The environment level: one typed name for DataEnvGym's three levels.

A ``Level`` is a ``str`` (``Level.SKILL_TREE == "skill-tree"``), so configs, the history and
JSON keep the plain text while code names the level instead of spelling it.
"""

from __future__ import annotations

from enum import StrEnum

from students.errors import ConfigError


class Level(StrEnum):
    OPEN_ENDED = "open-ended"  # state: raw errors; action: free-form examples
    SKILL_LIST = "skill-list"  # state: per-skill scores; action: per-skill counts
    SKILL_TREE = "skill-tree"  # state: skill -> subskills forest; action: explore / exploit

    @classmethod
    def parse(cls, value: object) -> Level:
        """The level named by ``value``; a ConfigError lists the known ones."""
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(level.value for level in cls)
            raise ConfigError(f"unknown environment level {value!r} (known: {known})") from None
