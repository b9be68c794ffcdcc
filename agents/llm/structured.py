"""Structured output: ask for a JSON schema, fall back to JSON mode, then to JSON in text.

A server that rejects ``response_format: json_schema`` is asked again in llama.cpp's own form,
``json_object`` with the schema beside it (``json_object_schema``: the server turns the schema
into a grammar, so even a small model writes the right shape); then with plain ``json_object``
and the schema in the prompt; one that rejects that too gets plain chat with the schema
written into the prompt. Whatever
came back is parsed and validated against the pydantic model here; output that is empty,
cut off, not JSON or not the schema raises ``OutputError`` with a ``kind`` saying which.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from agents.llm.errors import OutputError

MODES = ("json_schema", "json_object_schema", "json_object", "text")
ENFORCED = frozenset({"json_schema", "json_object_schema"})  # the server keeps to the schema
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


def next_mode(mode: str) -> str | None:
    """The mode to try when a server refuses ``mode``; None after plain text."""
    i = MODES.index(mode)
    return MODES[i + 1] if i + 1 < len(MODES) else None


@functools.cache
def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema (computed once: pydantic takes about a millisecond per call)."""
    return model.model_json_schema()


def wire_schema(model: type[BaseModel], choices: Mapping[str, Sequence[str]] | None = None
                ) -> dict[str, Any]:
    """The schema sent for ``model``: every string property named in ``choices`` may only take
    those values (a server that keeps to the schema then cannot write a skill that does not
    exist); the reply is still validated against ``model`` itself."""
    schema = schema_of(model)
    if not choices:
        return schema
    return _narrow(copy.deepcopy(schema), choices)


def _narrow(node: Any, choices: Mapping[str, Sequence[str]]) -> Any:
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if name in choices and isinstance(prop, dict) and prop.get("type") == "string":
                prop["enum"] = list(choices[name])
        for value in node.values():
            _narrow(value, choices)
    elif isinstance(node, list):
        for value in node:
            _narrow(value, choices)
    return node


def response_format(mode: str, model: type[BaseModel] | None,
                    choices: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any] | None:
    """The ``response_format`` request field for ``mode`` (None for plain text)."""
    if model is None or mode == "text":
        return None
    if mode == "json_object":
        return {"type": "json_object"}
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": wire_schema(model, choices)}
    return {"type": "json_schema", "json_schema": {
        "name": model.__name__, "schema": wire_schema(model, choices), "strict": False}}


def instruction(model: type[BaseModel], choices: Mapping[str, Sequence[str]] | None = None) -> str:
    """Appended to the system prompt when the server cannot enforce the schema itself."""
    return ("Reply with one JSON object only, no other text, matching this JSON schema:\n"
            + json.dumps(wire_schema(model, choices), separators=(",", ":")))


def parse(content: str | None, finish_reason: str | None,
          model: type[BaseModel] | None) -> BaseModel | str:
    """Validate one completion; plain text when no schema was asked for."""
    if content is None or not content.strip():
        raise OutputError("empty", "the completion has no content")
    if finish_reason == "length":
        raise OutputError("truncated", f"output cut off at the token limit after "
                                       f"{len(content)} characters", content)
    if model is None:
        return content
    data = extract_json(content)
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise OutputError("schema", f"{model.__name__}.{where}: {first['msg']}"
                                    f" ({e.error_count()} error(s))", content) from e


def extract_json(text: str) -> Any:
    """The JSON object in ``text``: the whole text, a fenced block, or the object that starts
    at the first brace (the objects nested in a broken one are fragments, not answers).
    Control characters inside strings (a raw newline, as small models write) are accepted."""
    candidates = [text.strip(), *(m.strip() for m in _FENCE.findall(text))]
    for candidate in candidates:
        try:
            return json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
    start = text.find("{")
    if start >= 0:
        try:
            value, _ = json.JSONDecoder(strict=False).raw_decode(text, start)
            return value
        except json.JSONDecodeError:
            pass
    raise OutputError("malformed", f"no JSON object in the output ({_preview(text)})", text)


def _preview(text: str, n: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat[:n] + ("…" if len(flat) > n else ""))
