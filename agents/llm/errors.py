"""The LLM client's errors: failed calls named by kind (and which kinds are worth another
attempt), unusable output, and a spent budget."""

from __future__ import annotations

import openai

from students.errors import CurriculabError

RETRYABLE = frozenset({"rate_limit", "server", "timeout", "connection", "api",
                       "empty", "truncated", "malformed", "schema"})


class LLMError(CurriculabError):
    """An LLM endpoint failed in a way retries could not fix, or its output was unusable."""


class BudgetExceeded(CurriculabError):
    """A token or dollar budget is spent; the run stops at the end of the iteration."""


class OutputError(LLMError):
    """The endpoint answered, but its output is unusable (kind: empty, truncated, malformed,
    schema)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class CallFailed(LLMError):
    """One failed attempt (or, returned to callers, the last of them).

    ``kind``: rate_limit, server, timeout, connection, api, empty, truncated, malformed, schema,
    refused (the server rejects the structured-output mode), auth, not_found, bad_request.
    """

    def __init__(self, kind: str, message: str, attempts: int = 1,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind, self.attempts, self.retry_after = kind, attempts, retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


def classify(error: Exception, mode: str, key_env: str) -> CallFailed:
    """Translate an ``openai`` exception or an output problem into a CallFailed."""
    if isinstance(error, OutputError):
        return CallFailed(error.kind, str(error))
    if isinstance(error, openai.APITimeoutError):  # before APIConnectionError: it is one
        return CallFailed("timeout", "the request timed out")
    if isinstance(error, openai.APIConnectionError):
        return CallFailed("connection", f"cannot reach the endpoint: {error}")
    if isinstance(error, openai.APIStatusError):
        return _status(error, mode, key_env)
    return CallFailed("api", f"{type(error).__name__}: {error}")


def _status(error: openai.APIStatusError, mode: str, key_env: str) -> CallFailed:
    code, text = error.status_code, _message(error)
    if code == 429:
        return CallFailed("rate_limit", f"HTTP 429 rate limited: {text}",
                          retry_after=_retry_after(error))
    if code >= 500 or code in (408, 409):
        return CallFailed("server", f"HTTP {code}: {text}")
    if code in (401, 403):
        return CallFailed("auth", f"HTTP {code}: {text} (the API key comes from ${key_env})")
    if code == 404:
        return CallFailed("not_found", f"HTTP 404: {text} (check llm.base_url and llm.model)")
    if code in (400, 422) and mode != "text":
        return CallFailed("refused", f"HTTP {code} in {mode} mode: {text}")
    return CallFailed("bad_request", f"HTTP {code}: {text}")


def _message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
    return str(error.message)[:300]


def _retry_after(error: openai.APIStatusError) -> float | None:
    try:
        return float(error.response.headers.get("retry-after"))
    except (TypeError, ValueError, AttributeError):
        return None
