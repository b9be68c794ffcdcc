"""Writes of one run into the history: the run row, live phase, and one transaction per iteration.

An iteration lands whole or not at all, so a run killed at any moment leaves the history at
its last completed iteration, which is where ``--resume`` continues.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from envs.history.clock import utcnow
from envs.history.database import History, insert_rows
from envs.history.heartbeat import Heartbeat
from envs.history.liveness import busy_error, is_alive, owner
from envs.history.phase import DETAIL_S, PhaseWriter
from envs.records import Alert, Plan, SkillProfile, Subskill, Verdict
from students.base import TrainReport
from students.errors import ConfigError, CurriculabError

PHASES = ("evaluate", "plan", "generate", "check", "train")
MAX_TRACE = 100  # training losses kept for the live loss curve (thinned beyond)
# Tables with run_id and iteration that a resume keeps whole: every attempt at an LLM call was
# paid for (the run's budget counts it) and its cache entry names it, so it stays recorded.
KEPT_ON_RESUME = frozenset({"llm_calls"})


def iteration_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table holding rows per run and iteration, read from the schema (so a table a
    migration adds is covered), less those in ``KEPT_ON_RESUME``."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.columns"
        " WHERE column_name IN ('run_id', 'iteration') AND table_schema = current_schema()"
        " GROUP BY table_name HAVING count(DISTINCT column_name) = 2 ORDER BY table_name").fetchall()
    return [table for (table,) in rows if table not in KEPT_ON_RESUME]


def new_run_id() -> str:
    return time.strftime("run-%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(2)


_ADJECTIVES = ("amber", "brisk", "calm", "crisp", "eager", "fuzzy", "gentle", "hazel", "ivory",
               "jolly", "keen", "lucid", "mellow", "nimble", "olive", "plucky", "quiet", "rapid",
               "sunny", "tidy", "vivid", "witty", "young", "zesty")
_NOUNS = ("otter", "heron", "maple", "comet", "falcon", "badger", "cedar", "lynx", "pebble",
          "river", "sparrow", "tulip", "walrus", "willow", "yak", "zephyr", "koala", "meadow",
          "orchid", "puffin", "quartz", "robin", "salmon", "thistle")
MAX_NAME = 80


def readable_name(count: int, salt: str) -> str:
    """A name a person can say, ``brisk-otter-7``: two words drawn from ``salt`` (the run id)
    and the run's number in its history."""
    k = int.from_bytes(salt.encode()[-4:].rjust(4, b"\0"), "big") ^ count * 7919
    return f"{_ADJECTIVES[k % len(_ADJECTIVES)]}-{_NOUNS[k // len(_ADJECTIVES) % len(_NOUNS)]}-{count}"


def clean_tags(tags: Sequence[str] | str) -> list[str]:
    """Tags as a sorted list without blanks or repeats (a string is split at commas)."""
    items = tags.split(",") if isinstance(tags, str) else tags
    found = sorted({str(t).strip() for t in items if str(t).strip()})
    for tag in found:
        if len(tag) > MAX_NAME:
            raise ConfigError(f"tag {tag[:20]!r}… is longer than {MAX_NAME} characters")
    return found


def checked_name(name: str) -> str:
    """A run name stripped of blanks at its ends; ConfigError when empty or too long."""
    name = str(name).strip()
    if not name or len(name) > MAX_NAME:
        raise ConfigError(f"a run name needs 1 to {MAX_NAME} characters, got {len(name)}")
    return name


def label_run(history: History, run_id: str, *, name: str | None = None,
              tags: Sequence[str] | str | None = None, notes: str | None = None) -> None:
    """Rename a run, replace its tags or its notes (None leaves one as it is)."""
    sets: list[str] = []
    values: list[Any] = []
    if name is not None:
        sets.append("name = ?")
        values.append(checked_name(name))
    if tags is not None:
        sets.append("tags = ?")
        values.append(json.dumps(clean_tags(tags)))
    if notes is not None:
        sets.append("notes = ?")
        values.append(notes)
    if not sets:
        return
    with history.transaction() as con:
        if con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is None:
            raise ConfigError(f"no run {run_id!r} in {history.path}")
        con.execute(f"UPDATE runs SET {', '.join(sets)} WHERE run_id = ?", [*values, run_id])


@dataclass(frozen=True, slots=True)
class IterationRecord:
    """Everything one completed iteration adds to the history."""

    iteration: int
    started_at: datetime
    ended_at: datetime
    timings: Mapping[str, float]
    val: SkillProfile
    test: SkillProfile
    plan: Plan | None = None
    verdicts: Sequence[Verdict] = ()
    train: TrainReport | None = None
    reward: float | None = None
    examples_used: int = 0
    checkpoint: str | None = None
    policy_state: Mapping[str, Any] = field(default_factory=dict)
    alerts: Sequence[Alert] = ()
    forest: Sequence[Subskill] = ()  # the Skill-Tree state after this iteration


class RunLog:
    """The writer for one run."""

    def __init__(self, history: History, run_id: str) -> None:
        self.history, self.run_id = history, run_id
        self._phases = PhaseWriter(self._write_phase)
        self._at: tuple[str | None, int] = (None, 0)  # the phase and iteration now
        self._losses: list[float] = []  # the current training's losses, thinned
        self._posted = self._since = 0.0
        self._beat = Heartbeat(self._write_beat)

    @classmethod
    def create(cls, history: History, run_id: str, *, config: Mapping[str, Any],
               summary: Mapping[str, Any], versions: Mapping[str, str]) -> RunLog:
        """Insert the run row; ``summary`` holds task, level, policy, engine, student, seed,
        iterations, budget and checkpoint_dir, and may hold a name, tags (a list) and the
        command line; a run without a name gets a readable one."""
        summary = {**summary, "tags": json.dumps(clean_tags(summary.get("tags") or []))}
        with history.transaction() as con:
            if summary.get("name") is None:
                count = con.execute("SELECT count(*) FROM runs").fetchone()[0]
                summary["name"] = readable_name(count + 1, run_id)
            summary["name"] = checked_name(summary["name"])
            columns = ["run_id", "status", "config", "versions", "created_at", "updated_at",
                       "heartbeat_at", "host", "pid", *summary]
            values = [run_id, "running", json.dumps(config), json.dumps(versions), utcnow(),
                      utcnow(), utcnow(), *owner(), *summary.values()]
            marks = ", ".join("?" for _ in columns)
            con.execute(f"INSERT INTO runs ({', '.join(columns)}) VALUES ({marks})", values)
        log = cls(history, run_id)
        log._beat.start()
        return log

    def claim(self, message: str) -> None:
        """Mark the run running again (a resume), refusing, in the same transaction, a run
        whose process is still alive: two processes never write one run."""
        with self.history.transaction() as con:
            names = ("status", "heartbeat_at", "updated_at", "created_at", "host", "pid")
            found = con.execute(f"SELECT {', '.join(names)} FROM runs WHERE run_id = ?",
                                [self.run_id]).fetchone()
            mean = con.execute("SELECT avg(t_total) FROM iterations WHERE run_id = ?"
                               " AND iteration > 0", [self.run_id]).fetchone()[0]
            if found is None:
                raise ConfigError(f"no run {self.run_id!r} in {self.history.path}")
            row = dict(zip(names, found))
            if is_alive(row, mean):
                raise busy_error(self.run_id, row)
            con.execute(
                "UPDATE runs SET status = 'running', message = ?, updated_at = ?, heartbeat_at = ?,"
                " host = ?, pid = ? WHERE run_id = ?",
                [message, utcnow(), utcnow(), *owner(), self.run_id])
        self._beat.start()

    def close(self) -> None:
        """Write any phase still pending and stop beating the heartbeat (the run has ended,
        in whatever status): nothing of the run's is written after this."""
        self._beat.stop()
        try:
            self._phases.flush()
        except CurriculabError:  # a watcher's phase that could not be written: the run is over
            pass

    def set_status(self, status: str, message: str | None = None) -> None:
        with self.history.transaction() as con:
            con.execute(
                "UPDATE runs SET status = ?, message = ?, updated_at = ?, heartbeat_at = ?"
                " WHERE run_id = ?", [status, message, utcnow(), utcnow(), self.run_id])

    def set_phase(self, phase: str, iteration: int, progress: float | None = None, *,
                  wait: bool = False, detail: Mapping[str, Any] | None = None) -> None:
        """Live progress for watchers (the app's Live view), written in the background so
        the loop never waits on the file for it; ``wait`` writes it (and any pending one)
        before returning. ``detail`` is the work done within the phase so far
        (``{"unit", "done", "total", "loss"}``)."""
        if (phase, iteration) != self._at:
            self._at, self._losses, self._since = (phase, iteration), [], time.monotonic()
        values = [phase, iteration, progress, json.dumps(dict(detail)) if detail else None,
                  utcnow(), self.run_id]
        if wait:
            self._phases.flush()
            self._write_phase(values)
        else:
            self._phases.post(values)

    def progress(self, unit: str, done: int, total: int, loss: float | None = None) -> None:
        """Work done within the current phase (a ``students.progress`` listener): posted at
        most every ``DETAIL_S`` seconds and at the end; a training loss joins a short trace."""
        if loss is not None:
            self._losses.append(round(float(loss), 4))
            if len(self._losses) > 2 * MAX_TRACE:  # keep every other point: the shape stays
                self._losses = self._losses[::2]
        now = time.monotonic()
        if done < total and now - self._posted < DETAIL_S:
            return
        self._posted = now
        detail: dict[str, Any] = {"unit": unit, "done": int(done), "total": int(total),
                                  "seconds": round(now - self._since, 2)}
        if loss is not None:
            detail.update(loss=round(float(loss), 4), losses=self._losses[-2 * MAX_TRACE:])
        phase, iteration = self._at
        if phase is not None:
            self.set_phase(phase, iteration, done / total if total else None, detail=detail)

    def _write_phase(self, values: list[Any]) -> None:
        with self.history.transaction() as con:
            con.execute("UPDATE runs SET phase = ?, phase_iteration = ?, phase_progress = ?,"
                        " phase_detail = ?, heartbeat_at = ? WHERE run_id = ?", values)

    def label(self, *, name: str | None = None, tags: Sequence[str] | None = None,
              notes: str | None = None) -> None:
        """Rename the run, replace its tags or its notes (None leaves one as it is)."""
        label_run(self.history, self.run_id, name=name, tags=tags, notes=notes)

    def _write_beat(self) -> bool:
        """The heartbeat, while the run is recorded as running; False once it is not."""
        with self.history.transaction() as con:
            changed = con.execute("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?"
                                  " AND status = 'running'", [utcnow(), self.run_id]).fetchone()
        return bool(changed and changed[0])

    def drop_after(self, iteration: int) -> None:
        """Remove any rows past ``iteration`` (a resume starts from a clean boundary)."""
        with self.history.transaction() as con:
            for table in iteration_tables(con):
                con.execute(f"DELETE FROM {table} WHERE run_id = ? AND iteration > ?",
                            [self.run_id, iteration])

    def record_iteration(self, rec: IterationRecord) -> None:
        """Write one completed iteration in a single transaction."""
        run, it = self.run_id, rec.iteration
        tables = {
            "iterations": self._iteration_rows(rec),
            "skill_scores": self._scores_rows(rec),
            "answers": self._answers_rows(rec),
            "examples": self._examples_rows(rec),
            "yields": self._yields_rows(rec),
            "alerts": _columns(len(rec.alerts), run_id=run,
                               iteration=[a.iteration for a in rec.alerts],
                               skill=[a.skill for a in rec.alerts],
                               best=[a.best for a in rec.alerts],
                               best_iteration=[a.best_iteration for a in rec.alerts],
                               accuracy=[a.accuracy for a in rec.alerts]),
            "forest": _columns(len(rec.forest), run_id=run, iteration=it,
                               seq=list(range(len(rec.forest))),
                               skill=[n.skill for n in rec.forest],
                               subskill=[n.name for n in rec.forest],
                               description=[n.description for n in rec.forest],
                               allocation=[n.allocation for n in rec.forest],
                               generated=[n.generated for n in rec.forest],
                               kept=[n.kept for n in rec.forest],
                               fresh=[json.dumps(list(n.fresh)) for n in rec.forest],
                               added=[n.added for n in rec.forest]),
        }
        if rec.plan is not None:
            tables["plans"] = _columns(
                1, run_id=run, iteration=it, reasoning=[rec.plan.reasoning],
                values=[json.dumps(dict(rec.plan.values), default=str)],
                edited_by=[rec.plan.edited_by], total=[rec.plan.total])
            tables["allocations"] = self._allocations_rows(it, rec.plan)
        with self.history.transaction() as con:
            for table, columns in tables.items():
                insert_rows(con, table, columns)
            con.execute("UPDATE runs SET updated_at = ?, heartbeat_at = ? WHERE run_id = ?",
                        [utcnow(), utcnow(), self.run_id])

    # -- rows, as columns --------------------------------------------------------------
    def _iteration_rows(self, rec: IterationRecord) -> dict[str, list[Any]]:
        t = {f"t_{p}": float(rec.timings.get(p, 0.0)) for p in PHASES}
        kept = sum(v.kept for v in rec.verdicts)
        return _columns(1, **{
            "run_id": self.run_id, "iteration": rec.iteration,
            "started_at": rec.started_at, "ended_at": rec.ended_at, **t,
            "t_total": (rec.ended_at - rec.started_at).total_seconds(),
            "examples_generated": len(rec.verdicts), "examples_kept": kept,
            "examples_used": rec.examples_used,
            "loss_first": rec.train.loss_first if rec.train else None,
            "loss_last": rec.train.loss_last if rec.train else None,
            "reward": rec.reward, "val_mean": rec.val.mean_accuracy,
            "test_mean": rec.test.mean_accuracy, "checkpoint": rec.checkpoint,
            "policy_state": json.dumps(dict(rec.policy_state), default=str)})

    def _scores_rows(self, rec: IterationRecord) -> dict[str, list[Any]]:
        pairs = [(p.split, s) for p in (rec.val, rec.test) for s in p.scores]
        return _columns(len(pairs), run_id=self.run_id, iteration=rec.iteration,
                        split=[split for split, _ in pairs], skill=[s.skill for _, s in pairs],
                        n=[s.n for _, s in pairs], correct=[s.correct for _, s in pairs],
                        accuracy=[s.accuracy for _, s in pairs],
                        change=[s.change for _, s in pairs])

    def _answers_rows(self, rec: IterationRecord) -> dict[str, list[Any]]:
        answers = [a for p in (rec.val, rec.test) for a in p.answers]
        splits = [p.split for p in (rec.val, rec.test) for _ in p.answers]
        return _columns(len(answers), run_id=self.run_id, iteration=rec.iteration,
                        split=splits, item_id=[a.item.id for a in answers],
                        skill=[a.item.skill for a in answers],
                        prediction=[a.prediction for a in answers],
                        correct=[a.correct for a in answers])

    def _examples_rows(self, rec: IterationRecord) -> dict[str, list[Any]]:
        vs = rec.verdicts
        return _columns(len(vs), run_id=self.run_id, iteration=rec.iteration,
                        seq=list(range(len(vs))), skill=[v.example.skill for v in vs],
                        subskill=[v.example.subskill for v in vs],
                        prompt=[v.example.prompt for v in vs],
                        answer=[v.example.answer for v in vs],
                        engine=[v.example.engine for v in vs],
                        call_id=[v.example.call_id for v in vs], kept=[v.kept for v in vs],
                        reason=[v.reason for v in vs], known=[v.known for v in vs])

    def _yields_rows(self, rec: IterationRecord) -> dict[str, list[Any]]:
        """Per skill (subskill NULL) and per subskill: generated, kept, judged, known."""
        counts: dict[tuple[str, str | None], list[int]] = {}
        for v in rec.verdicts:
            keys = [(v.example.skill, None)]
            if v.example.subskill:
                keys.append((v.example.skill, v.example.subskill))
            for key in keys:
                c = counts.setdefault(key, [0, 0, 0, 0])
                c[0] += 1
                c[1] += int(v.kept)
                c[2] += int(v.known is not None)
                c[3] += int(bool(v.known))
        keys, values = list(counts), list(counts.values())
        return _columns(len(keys), run_id=self.run_id, iteration=rec.iteration,
                        skill=[k[0] for k in keys], subskill=[k[1] for k in keys],
                        generated=[c[0] for c in values], kept=[c[1] for c in values],
                        judged=[c[2] for c in values], known=[c[3] for c in values])

    def _allocations_rows(self, iteration: int, plan: Plan) -> dict[str, list[Any]]:
        rows: list[tuple[str, str | None, int]] = []
        for skill, count in plan.allocations.items():
            subs = plan.subskills.get(skill) or {}
            rows += [(skill, sub, int(c)) for sub, c in subs.items()]
            if not subs:
                rows.append((skill, None, int(count)))
        return _columns(len(rows), run_id=self.run_id, iteration=iteration,
                        skill=[r[0] for r in rows], subskill=[r[1] for r in rows],
                        count=[r[2] for r in rows])


def _columns(n: int, /, **columns: Any) -> dict[str, list[Any]]:
    """``n`` rows as columns: a list is one value per row, anything else one value for all."""
    return {name: value if isinstance(value, list) else [value] * n
            for name, value in columns.items()}
