"""Secrets out of everything written: API keys, bearer tokens, credentials in URLs.

An endpoint's error body may echo the request's ``Authorization`` header, and a base URL may
carry ``user:password@``; every text that reaches the history, the terminal or a report goes
through ``redact`` first.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)(\s+|=)[A-Za-z0-9._~+/=\-]{6,}")
_KEYLIKE = re.compile(r"\b(sk|pk|rk|hf|gsk|xai|key)[-_][A-Za-z0-9_\-]{8,}")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@:]*(?::[^/\s@]*)?@")
_HEADER = re.compile(r"(?i)((?:authorization|api[-_]?key|x-api-key)[\"']?\s*[:=]\s*[\"']?)[^\"',}\s]+")


def redact(text: str | None, *secrets: str | None) -> str | None:
    """``text`` without the given secrets, bearer tokens, key-like strings and URL credentials."""
    if text is None:
        return None
    for secret in secrets:
        if secret and len(secret) >= 4 and secret != "EMPTY":
            text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + "@", text)
    text = _BEARER.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _HEADER.sub(lambda m: m.group(1) + MASK, text)
    return _KEYLIKE.sub(MASK, text)


def redact_env(text: str | None, key_env: str) -> str | None:
    """``redact`` with the key held in ``$key_env`` as a known secret."""
    return redact(text, os.environ.get(key_env))


def url_without_credentials(url: str | None) -> str | None:
    """``http://user:pw@host/v1`` -> ``http://host/v1`` (the form a URL is stored and keyed in)."""
    if not url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def endpoint_key(url: str | None) -> str:
    """The endpoint as capabilities and the cache key it: no credentials, no trailing slash."""
    return (url_without_credentials(url) or "https://api.openai.com/v1").rstrip("/")
