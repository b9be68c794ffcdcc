"""TOML text from plain data (what ``RunConfig.to_dict`` returns), for ``--print-config``.

Python reads TOML (``tomllib``) but does not write it, and the little a run config needs
does not warrant a dependency. TOML has no null: a None value is left out, so reading the
text back gives the field its default; every field and built-in option that may be None
has None as its default, so the round trip is exact. None inside a list cannot be written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from students.errors import ConfigError

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def dumps(data: Mapping[str, Any]) -> str:
    """``data`` as a TOML document: its plain values first, then one table per mapping."""
    lines: list[str] = []
    _table(lines, (), data)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(lines: list[str], path: tuple[str, ...], data: Mapping[str, Any]) -> None:
    plain = {k: v for k, v in data.items() if v is not None and not isinstance(v, Mapping)}
    tables = {k: v for k, v in data.items() if isinstance(v, Mapping)}
    if path and (plain or not tables):  # an empty table still needs its header to exist
        lines += ["", f"[{'.'.join(_key(p) for p in path)}]"]
    lines += [f"{_key(k)} = {_value(v, (*path, k))}" for k, v in plain.items()]
    for key, value in tables.items():
        _table(lines, (*path, key), value)


def _value(value: Any, path: tuple[str, ...]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        # JSON's escapes are TOML's; TOML wants DEL escaped as well
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v, path) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(v, (*path, k))}"
                               for k, v in value.items() if v is not None) + "}"
    where = ".".join(path)
    raise ConfigError(f"config key {where!r} = {value!r}: cannot be written as TOML")


def _key(key: Any) -> str:
    key = str(key)
    return key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
