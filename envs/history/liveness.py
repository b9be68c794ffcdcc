"""Whether a run recorded as running is still alive: its process beats a heartbeat into the
history while it runs, and a run whose heartbeat has gone stale (the process was killed with
SIGKILL, the machine lost power) is shown as ``interrupted`` and may be resumed.

The one rule, in Python and in SQL: a heartbeat older than ``STALE_S`` seconds, and older than
three of the run's mean iterations, is stale. Resuming also needs no wait for a run whose
process ran on this host and no longer exists (its row names host and process id).
"""

from __future__ import annotations

import math
import os
import socket
from datetime import datetime
from typing import Any

from envs.history.clock import utcnow
from envs.history.database import History
from envs.history.queries import mean_iteration_seconds
from students.errors import ConfigError

STALE_S = 120.0  # a process beats every BEAT_S; this leaves room for a machine under load
BEAT_S = 10.0  # how often a running run's process writes its heartbeat
STALE_ITERATIONS = 3
INTERRUPTED = "interrupted"  # the status shown for a "running" run whose heartbeat is stale

# The last sign of life of a run row ``r``: its heartbeat, else when it was last written.
LAST_SEEN_SQL = "coalesce(r.heartbeat_at, r.updated_at, r.created_at)"
# The shown status of a run row ``r`` joined with ``m`` (its ``mean_s`` per iteration); one
# parameter, now (UTC).
SHOWN_STATUS_SQL = (
    f"CASE WHEN r.status = 'running' AND {LAST_SEEN_SQL} < ?::TIMESTAMP - to_seconds("
    f"greatest({STALE_S}, {STALE_ITERATIONS} * coalesce(m.mean_s, 0))) "
    f"THEN '{INTERRUPTED}' ELSE r.status END")
MEAN_SQL = ("SELECT run_id, avg(t_total) AS mean_s FROM iterations WHERE iteration > 0"
            " GROUP BY run_id")


def stale_after_s(mean_iteration_s: float | None) -> float:
    """Seconds of silence after which a running run is presumed dead."""
    mean = 0.0 if mean_iteration_s is None or mean_iteration_s != mean_iteration_s else mean_iteration_s
    return max(STALE_S, STALE_ITERATIONS * mean)


def age_s(moment: Any, now: datetime | None = None) -> float:
    """Seconds since a recorded (UTC, naive) timestamp; infinite when there is none."""
    if moment is None or moment != moment:
        return math.inf
    if hasattr(moment, "to_pydatetime"):
        moment = moment.to_pydatetime()
    return ((now or utcnow()) - moment.replace(tzinfo=None)).total_seconds()


def last_seen(row: dict[str, Any]) -> Any:
    for key in ("heartbeat_at", "updated_at", "created_at"):
        value = row.get(key)
        if value is not None and value == value:
            return value
    return None


def owner() -> tuple[str, int]:
    """This process, as a run row records who runs it: host name and process id."""
    return socket.gethostname(), os.getpid()


def is_alive(row: dict[str, Any], mean_iteration_s: float | None) -> bool:
    """A run row recorded as running whose process has beaten its heartbeat recently, unless
    that process ran on this host and is gone (a SIGKILL is then known at once)."""
    if row.get("status") != "running" or age_s(last_seen(row)) > stale_after_s(mean_iteration_s):
        return False
    pid = row.get("pid")
    if row.get("host") != socket.gethostname() or pid is None or pid != pid:
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: alive
        return True
    return True


def shown_status(row: dict[str, Any], mean_iteration_s: float | None) -> str:
    """The status to show a person: ``interrupted`` for a running run whose heartbeat is stale."""
    if row.get("status") == "running" and not is_alive(row, mean_iteration_s):
        return INTERRUPTED
    return row.get("status")


def busy_error(run_id: str, row: dict[str, Any]) -> ConfigError:
    return ConfigError(
        f"run {run_id} is running in another process (heartbeat {age_s(last_seen(row)):.0f} s ago);"
        f" stop it before resuming (a killed run can be resumed once its heartbeat is"
        f" {STALE_S:.0f} s old)")


def ensure_idle(history: History, run_id: str, row: dict[str, Any]) -> None:
    """ConfigError when ``run_id`` (its row ``row``) is alive in some process."""
    if is_alive(row, mean_iteration_seconds(history, run_id)):
        raise busy_error(run_id, row)

