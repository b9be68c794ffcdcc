"""The LLM client's errors: failed calls named by kind (and which kinds are worth another
attempt), unusable output, and a spent budget."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import openai

from agents.llm.capabilities import refused_feature
from agents.llm.redact import redact_env
from students.errors import CurriculabError

RETRYABLE = frozenset({"rate_limit", "server", "timeout", "connection", "api",
                       "empty", "truncated", "malformed", "schema"})


class LLMError(CurriculabError):
    """An LLM endpoint failed in a way retries could not fix, or its output was unusable."""


class EndpointUnusable(LLMError):
    """The endpoint cannot serve a teacher at all (unreachable, refusing the key, no chat)."""


class BudgetExceeded(CurriculabError):
    """A token or dollar budget is spent; the run stops at the end of the iteration."""


class OutputError(LLMError):
    """The endpoint answered, but its output is unusable (kind: empty, truncated, malformed,
    schema); ``raw`` is the text it gave, kept (bounded) with the failed attempt."""

    def __init__(self, kind: str, message: str, raw: str | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind, self.raw = kind, raw


class CallFailed(LLMError):
    """One failed attempt (or, returned to callers, the last of them).

    ``kind``: rate_limit, server, timeout, connection, api, empty, truncated, malformed, schema,
    refused (the server rejects a feature of the request: ``feature`` names it), auth,
    not_found, bad_request. ``raw``: the unusable output or error body, bounded.
    """

    def __init__(self, kind: str, message: str, attempts: int = 1,
                 retry_after: float | None = None, feature: str | None = None,
                 raw: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.attempts, self.retry_after = kind, attempts, retry_after
        self.feature, self.raw = feature, raw

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


RAW_CHARS = 4000  # raw output kept with a failed attempt


def classify(error: Exception, mode: str, key_env: str,
             body: Mapping[str, Any] | None = None) -> CallFailed:
    """Translate an exception of one attempt into a CallFailed, secrets redacted. ``body`` is
    what was sent: a refusal is matched against it to name the refused feature."""
    failure = _classify(error, mode, key_env, body or {})
    failure.args = (redact_env(str(failure), key_env),)
    failure.raw = redact_env(failure.raw[:RAW_CHARS], key_env) if failure.raw else None
    return failure


def _classify(error: Exception, mode: str, key_env: str, body: Mapping[str, Any]) -> CallFailed:
    if isinstance(error, OutputError):
        return CallFailed(error.kind, str(error), raw=error.raw)
    if isinstance(error, openai.APITimeoutError):  # before APIConnectionError: it is one
        return CallFailed("timeout", "the request timed out")
    if isinstance(error, openai.APIConnectionError):
        cause = error.__cause__ or error
        return CallFailed("connection", f"cannot reach the endpoint: {type(cause).__name__}:"
                                        f" {cause}"[:300])
    if isinstance(error, openai.APIStatusError):
        return _status(error, mode, key_env, body)
    if isinstance(error, ValueError):  # a 200 whose body does not parse as JSON
        return CallFailed("malformed", f"the response body is not JSON: {error}"[:300])
    return CallFailed("api", f"{type(error).__name__}: {error}"[:300])


def _status(error: openai.APIStatusError, mode: str, key_env: str,
            body: Mapping[str, Any]) -> CallFailed:
    code, text = error.status_code, _message(error)
    raw = _raw_body(error)
    feature = refused_feature(code, f"{text} {raw or ''}", body)
    if feature is None and code in (400, 422) and mode != "text" and body.get("response_format"):
        feature = mode  # a plain 400 to a structured request: the mode is what is new in it
    if feature is not None:
        return CallFailed("refused", f"HTTP {code}: the endpoint does not support {feature!r}:"
                                     f" {text}", feature=feature, raw=raw)
    if code == 429:
        return CallFailed("rate_limit", f"HTTP 429 rate limited: {text}",
                          retry_after=_retry_after(error), raw=raw)
    if code >= 500 or code in (408, 409):
        return CallFailed("server", f"HTTP {code}: {text}", raw=raw)
    if code in (401, 403):
        return CallFailed("auth", f"HTTP {code}: {text} (the API key comes from ${key_env})",
                          raw=raw)
    if code == 404:
        return CallFailed("not_found", f"HTTP 404: {text} (check llm.base_url and llm.model)",
                          raw=raw)
    return CallFailed("bad_request", f"HTTP {code}: {text}", raw=raw)


def _raw_body(error: openai.APIStatusError) -> str | None:
    try:
        return error.response.text[:RAW_CHARS]
    except Exception:  # noqa: BLE001 - a streamed or closed body: nothing to keep
        return None


def _message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
        if isinstance(body.get("detail"), (str, list)):
            return str(body["detail"])[:300]
    return " ".join(str(error.message).split())[:300]


def _retry_after(error: openai.APIStatusError) -> float | None:
    try:
        return float(error.response.headers.get("retry-after"))
    except (TypeError, ValueError, AttributeError):
        return None
