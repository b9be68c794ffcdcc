"""Typed options: a frozen dataclass is its own schema, checked field by field.

Every configuration class (a run's sections) and every options class (of a student, task,
policy or engine) declares its fields with types and, where a value can be out of range, a
range in the field's metadata (``field(default=1, metadata=at_least(1))``). ``build`` makes
one from a mapping (a config file, the command line, the app's form); ``check``, called from
``__post_init__``, checks one constructed directly. Both fail with the same one-line
ConfigError naming the key, the value and what was expected, e.g.
``config key 'student.options.d_model' = 'abc': expected an integer``.

The types understood: ``int`` (not ``bool``; a whole float is accepted), ``float`` (an int
is accepted), ``str``, ``bool``, ``X | None``, ``Literal[...]``, enums, ``tuple[X, ...]``
and fixed tuples (lists accepted), ``dict[K, V]`` / ``Mapping``, nested dataclasses (built
from a table) and ``Any``.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from students.errors import ConfigError

T = TypeVar("T")
NONE_TEXTS = ("", "none", "null")  # text that means "no value" where None is allowed


@dataclass(frozen=True, slots=True)
class Range:
    """Bounds of a number; an open end excludes the bound itself."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def admits(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def __str__(self) -> str:
        if self.high is None:
            return f"{'more than' if self.low_open else 'at least'} {self.low}"
        if self.low is None:
            return f"{'less than' if self.high_open else 'at most'} {self.high}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"a value within {left}{self.low}, {self.high}{right}"


def at_least(low: float) -> dict[str, Any]:
    """Field metadata: the value (or each element) must be >= ``low``."""
    return {"range": Range(low)}


def above(low: float) -> dict[str, Any]:
    """Field metadata: the value must be > ``low``."""
    return {"range": Range(low, low_open=True)}


def within(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> dict[str, Any]:
    """Field metadata: the value must lie between ``low`` and ``high`` (closed unless told)."""
    return {"range": Range(low, high, low_open, high_open)}


def build(cls: type[T], data: Mapping[str, Any], where: str, *, text: bool = False) -> T:
    """An instance of the dataclass ``cls`` from ``data``; ``where`` is the key path of
    ``data`` in a run config (``"student.options"``), used in messages. Unknown keys and
    ill-typed or out-of-range values are a ConfigError. With ``text``, values may also come
    as text ("8", "0.1", "none", "a,b" for a tuple), as command-line options do."""
    if not isinstance(data, Mapping):
        raise _bad(where, data, "a table of settings")
    known = _fields(cls)
    for name in data:
        if name not in known:
            raise ConfigError(f"unknown config key {_key(where, name)!r} "
                              f"(known: {', '.join(known) or 'none'})")
    values = {name: _value(known[name], data[name], _key(where, name), text) for name in data}
    return cls(**values)


def check(obj: Any, where: str) -> None:
    """Check every field of a dataclass instance by its type and range (call it from
    ``__post_init__``); lists become tuples, ints become floats where the field says so."""
    for name, spec in _fields(type(obj)).items():
        value = _value(spec, getattr(obj, name), _key(where, name), False)
        object.__setattr__(obj, name, value)  # frozen: this is how __init__ sets it too


class Checked:
    """Base of the config and options classes: every field is checked on construction.

    A subclass is a frozen dataclass that names where its keys live in a run's config
    (``WHERE = "teacher.policy_options"``), so a bad value reads as that key."""

    __slots__ = ()
    WHERE: ClassVar[str] = ""

    def __post_init__(self) -> None:
        check(self, self.WHERE)


def fail(where: str, name: str, value: Any, expected: str) -> ConfigError:
    """The error for a rule across fields, in the same shape (``raise fail(...)``)."""
    return _bad(_key(where, name), value, expected)


# -- internals ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Spec:
    type: Any
    range: Range | None


@cache
def _fields(cls: type) -> dict[str, _Spec]:
    hints = get_type_hints(cls, include_extras=False)
    return {f.name: _Spec(hints[f.name], f.metadata.get("range"))
            for f in dataclasses.fields(cls) if f.init}


def _value(spec: _Spec, value: Any, key: str, text: bool) -> Any:
    value = _convert(spec.type, value, key, text)
    if spec.range is not None:
        for number in value if isinstance(value, tuple) else (value,):
            if isinstance(number, (int, float)) and not spec.range.admits(number):
                raise _bad(key, number, str(spec.range))
    return value


def _convert(tp: Any, value: Any, key: str, text: bool) -> Any:
    origin, args = get_origin(tp), get_args(tp)
    if tp is Any or tp is object:
        return value
    if origin in (Union, types.UnionType):
        return _union(args, value, key, text)
    if origin is Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return value
        raise _bad(key, value, _expected(tp))
    if origin is tuple or tp is tuple:
        return _tuple(tp, value, key, text)
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return _mapping(tp, value, key, text)
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if isinstance(value, Mapping):
            return build(tp, value, key, text=text)
        raise _bad(key, value, _expected(tp))
    return _scalar(tp, value, key, text)


def _union(args: tuple, value: Any, key: str, text: bool) -> Any:
    arms = [a for a in args if a is not type(None)]
    if len(arms) < len(args):  # None allowed
        if value is None or (text and isinstance(value, str) and value.strip().lower() in NONE_TEXTS):
            return None
    if len(arms) == 1:
        return _convert(arms[0], value, key, text)
    for arm in arms:
        try:
            return _convert(arm, value, key, text)
        except ConfigError:
            continue
    raise _bad(key, value, " or ".join(_expected(a) for a in args))


def _tuple(tp: Any, value: Any, key: str, text: bool) -> tuple:
    args = get_args(tp)
    if text and isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)):
        raise _bad(key, value, _expected(tp))
    if not args:
        return tuple(value)
    if len(args) == 2 and args[1] is Ellipsis:
        kinds = (args[0],) * len(value)
    elif len(args) == len(value):
        kinds = args
    else:
        raise _bad(key, value, _expected(tp))
    return tuple(_convert(k, v, f"{key}[{i}]", text) for i, (k, v) in enumerate(zip(kinds, value)))


def _mapping(tp: Any, value: Any, key: str, text: bool) -> dict:
    if not isinstance(value, Mapping):
        raise _bad(key, value, "a table")
    kt, vt = get_args(tp) or (Any, Any)
    return {_convert(kt, k, key, text): _convert(vt, v, f"{key}.{k}", text) for k, v in value.items()}


def _scalar(tp: Any, value: Any, key: str, text: bool) -> Any:
    if text and isinstance(value, str) and tp is not str:
        value = _parse(value)
    if tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        if isinstance(value, float) and not isinstance(value, bool) and value.is_integer():
            return int(value)
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        ok = isinstance(value, float) and math.isfinite(value)  # nan passes every comparison
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            ok = False
    elif isinstance(tp, type):
        ok = isinstance(value, tp)
    else:
        raise TypeError(f"options: cannot check values of type {tp!r} ({key})")
    if not ok:
        raise _bad(key, value, _expected(tp))
    return value


def _parse(text: str) -> Any:
    """A number or a boolean from its text; the text itself when it is neither."""
    word = text.strip()
    if word.lower() in ("true", "false"):
        return word.lower() == "true"
    for kind in (int, float):
        try:
            number = kind(word)
        except ValueError:
            continue
        return number if math.isfinite(number) else text
    return text


def _expected(tp: Any) -> str:
    origin, args = get_origin(tp), get_args(tp)
    if tp is type(None):
        return "null"
    if origin in (Union, types.UnionType):
        return " or ".join(_expected(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is tuple or tp is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_plural(args[0])}"
        if args and len(set(args)) == 1:
            return f"a list of {len(args)} {_plural(args[0])}"
        return f"a list of {len(args)} items" if args else "a list"
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return "a table"
    if dataclasses.is_dataclass(tp):
        return f"a table of {tp.__name__} settings"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    names = {bool: "true or false", int: "an integer", float: "a finite number", str: "a string"}
    return names.get(tp, f"a {getattr(tp, '__name__', tp)}")


def _plural(tp: Any) -> str:
    return {int: "integers", float: "numbers", str: "strings", bool: "booleans"}.get(tp, "items")


def _bad(key: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(f"config key {key!r} = {_show(value)}: expected {expected}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _key(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
