"""The one clock the history's timestamps are read from."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC, without a time zone: DuckDB's TIMESTAMP columns hold naive times, and every
    process writing one history must agree on what they mean."""
    return datetime.now(UTC).replace(tzinfo=None)
