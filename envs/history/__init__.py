"""The DuckDB history, the single source of truth for runs: the database, its numbered
migrations, the run log that writes a run, and every read of it (resume, command line, app)."""

from envs.history.database import History, HistoryError

__all__ = ["History", "HistoryError"]
