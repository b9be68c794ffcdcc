"""The run loop, where teacher and environment meet; every iteration lands in the history.

    observe -> plan -> [steer] -> generate -> check -> train -> observe ...

One iteration is written in one transaction after the student's checkpoint is saved, so a
run killed at any point resumes from its last completed iteration and ends with the same
numbers as an uninterrupted run (every random draw comes from ``derive_seed``).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from agents.config import RunConfig
from agents.engine import Engine, make_engine
from agents.policy import Policy, RemembersPlans, make_policy
from agents.versions import package_versions
from envs.environment import LEVELS
from envs.history import History
from envs.history.queries import (forest_nodes, kept_examples, last_iteration, past_accuracies,
                           policy_state, profile, run_row)
from envs.records import Observation, Plan, SkillProfile
from envs.history.clock import utcnow
from envs.history.liveness import ensure_idle
from envs.history.runlog import IterationRecord, RunLog, new_run_id
from envs.tasks.task import SPLIT_NAMES, make
from envs.tasks.profile import world_of
from students import make_student
from students.base import Bounded
from students.errors import ConfigError
from students.plugins import load_plugins
from students.progress import listening
from students.sim import Simulated
from agents.llm.errors import BudgetExceeded
from students.seeding import derive_seed

if TYPE_CHECKING:
    from agents.llm.client import LLMClient

Steer = Callable[[Plan, Observation], Plan]
LLM_TEACHERS = {"llm"}  # policy / engine ids that take the run's LLM client
TASK_READERS = {"oracle"}  # policies planned from the task's ground truth


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    status: str
    iterations: int
    start_val: SkillProfile
    start_test: SkillProfile
    end_val: SkillProfile
    end_test: SkillProfile
    examples_used: int


@dataclass
class Session:
    """The live objects of one run."""

    config: RunConfig
    log: RunLog
    env: object
    policy: Policy
    engine: Engine
    checkpoints: Path
    llm: LLMClient | None = None


def start_run(config: RunConfig, history: History, *, progress: bool = True,
              steer: Steer | None = None, stop: threading.Event | None = None,
              run_id: str | None = None, name: str | None = None, tags: Sequence[str] = (),
              command: str | None = None) -> RunSummary:
    """Start a new run from ``config`` and run it to the end (or until ``stop`` is set).
    ``name`` (else a readable one is made), ``tags`` and ``command`` (the command line that
    started it) label the run in the history."""
    # the user's plug-ins first, so their ids can be built; recorded as loaded (a file by
    # its absolute path), so that a resume from another directory finds them
    config = replace(config, plugins=load_plugins(config.plugins))
    run_id = run_id or new_run_id()
    checkpoints = Path(config.checkpoint_dir) / run_id
    summary = {"task": config.task.id, "level": config.teacher.level,
               "policy": config.teacher.policy, "engine": config.teacher.engine,
               "student": config.student.id, "seed": config.seed,
               "iterations": config.iterations, "budget": config.teacher.budget,
               "checkpoint_dir": str(checkpoints), "name": name, "tags": list(tags),
               "command": command}
    llm = _llm(config, history, run_id)
    session = _session(config, None, checkpoints, progress, llm)  # fail on bad ids before recording
    _writable(checkpoints)
    session.log = RunLog.create(history, run_id, config=_stored(config), summary=summary,
                                versions=package_versions())
    return _guarded(session, lambda: _begin(session, progress, steer, stop))


def resume_run(run_id: str, history: History, *, progress: bool = True,
               steer: Steer | None = None, stop: threading.Event | None = None) -> RunSummary:
    """Continue a run from its last completed iteration."""
    row = run_row(history, run_id)
    if row["status"] == "completed":
        raise ConfigError(f"run {run_id} is already completed; nothing to resume")
    ensure_idle(history, run_id, row)  # fail fast; the claim below settles it atomically
    config = RunConfig.from_dict(row["config"])
    load_plugins(config.plugins)  # the plug-ins the run recorded, before any id is built
    session = _session(config, RunLog(history, run_id), Path(row["checkpoint_dir"]), progress,
                       _llm(config, history, run_id))
    last = last_iteration(history, run_id)
    try:  # refused while another process runs it, before anything of the run is touched
        session.log.claim(f"resumed after iteration {last}")
    except BaseException:
        if session.llm is not None:
            session.llm.close()
        raise
    session.log.drop_after(-1 if last is None else last)
    if last is None:
        return _guarded(session, lambda: _begin(session, progress, steer, stop))
    return _guarded(session, lambda: _continue(session, last, progress, steer, stop))


def _llm(config: RunConfig, history: History, run_id: str) -> LLMClient | None:
    """The run's LLM client (calls logged and cached in its history) when a teacher needs one."""
    if not {config.teacher.policy, config.teacher.engine} & LLM_TEACHERS:
        return None
    from agents.llm.client import LLMClient

    client = LLMClient(config.llm, history=history, run_id=run_id)
    if config.llm.check:  # an endpoint a teacher cannot use fails here, before any write
        client.preflight()
    return client


def _stored(config: RunConfig) -> dict:
    """The config as the history keeps it: no credentials in the LLM's base URL."""
    from agents.llm.redact import url_without_credentials

    data = config.to_dict()
    data["llm"]["base_url"] = url_without_credentials(data["llm"]["base_url"])
    return data


def _session(config: RunConfig, log: RunLog | None, checkpoints: Path, progress: bool,
             llm: LLMClient | None = None) -> Session:
    task = make(config.task.id, **config.task.options)
    if llm is not None:  # a data file without skill labels gets them by discovery
        from agents.discovery.discover import ensure_skills

        task = ensure_skills(task, llm)
    # the run's seed is each part's default seed; an option of the same name overrides it
    student = make_student(config.student.id, **{"seed": config.seed, **config.student.options})
    if isinstance(student, Bounded):  # a task whose items it cannot hold is refused here
        student.check_fits([i for name in SPLIT_NAMES for i in task.split(name)],
                           source=f"task {config.task.id}")
    if isinstance(student, Simulated):  # a simulated student learns the task's world
        student.bind(world_of(task))
    env = LEVELS.make(config.teacher.level, task=task, student=student, config=config.env,
                      progress=progress)
    needs = {"llm": llm} if config.teacher.policy in LLM_TEACHERS else {}
    if needs:
        needs.update(task=task, level=config.teacher.level)
    if config.teacher.policy in TASK_READERS:
        needs.update(task=task)
    policy = make_policy(config.teacher.policy,
                         **{"seed": config.seed, **config.teacher.policy_options, **needs})
    needs = {"llm": llm} if config.teacher.engine in LLM_TEACHERS else {}
    needs.update(task=task)
    engine = make_engine(config.teacher.engine,
                         **{"seed": config.seed, **config.teacher.engine_options, **needs})
    return Session(config, log, env, policy, engine, checkpoints, llm)  # type: ignore[arg-type]


def _guarded(session: Session, body: Callable[[], RunSummary]) -> RunSummary:
    """Record a failure or an interrupt in the run's status before letting it propagate."""
    try:
        with listening(session.log.progress):  # steps and items within a phase, for watchers
            return body()
    except KeyboardInterrupt:
        session.log.set_status("stopped", "interrupted")
        raise
    except Exception as e:
        session.log.set_status("failed", f"{type(e).__name__}: {e}")
        raise
    finally:
        session.log.close()
        if session.llm is not None:
            session.llm.close()


def _begin(session: Session, progress: bool, steer: Steer | None,
           stop: threading.Event | None) -> RunSummary:
    started = utcnow()
    session.log.set_phase("evaluate", 0)
    session.env.on_phase = lambda phase: session.log.set_phase(phase, 0)
    obs = session.env.reset(seed=session.config.seed)
    _save_and_record(session, IterationRecord(
        0, started, utcnow(), dict(session.env.timings), session.env.val, session.env.test,
        policy_state=session.policy.state()))
    return _loop(session, 0, obs, progress, steer, stop)


def _continue(session: Session, last: int, progress: bool, steer: Steer | None,
              stop: threading.Event | None) -> RunSummary:
    history, run_id, task = session.log.history, session.log.run_id, session.env.task
    session.env.student.load(_checkpoint(session, last))
    before = profile(history, task, run_id, last - 1, "val") if last > 0 else None
    before_test = profile(history, task, run_id, last - 1, "test") if last > 0 else None
    obs = session.env.restore(
        seed=session.config.seed, iteration=last,
        val=profile(history, task, run_id, last, "val", before),
        test=profile(history, task, run_id, last, "test", before_test),
        accumulated=kept_examples(history, run_id, last),
        past=past_accuracies(history, run_id, last), forest=forest_nodes(history, run_id, last))
    session.policy.load_state(policy_state(history, run_id, last))
    return _loop(session, last, obs, progress, steer, stop)


def _loop(session: Session, last: int, obs: Observation, progress: bool, steer: Steer | None,
          stop: threading.Event | None) -> RunSummary:
    """Iterations ``last + 1 .. config.iterations``, each: plan, steer, generate, step."""
    cfg, log, env = session.config, session.log, session.env
    bar = tqdm(total=cfg.iterations, initial=last, desc="iterations", disable=not progress)
    for t in range(last + 1, cfg.iterations + 1):
        if stop is not None and stop.is_set():
            log.set_status("stopped", f"stopped before iteration {t}")
            break
        try:  # a spent LLM budget stops the run between iterations, keeping all done so far
            if session.llm is not None:
                session.llm.budget.check()
        except BudgetExceeded as e:
            log.set_status("stopped", f"{e}; stopped before iteration {t}")
            break
        started = utcnow()
        log.set_phase("plan", t)
        t0 = time.perf_counter()
        plan = _plan(session.policy, obs, cfg.teacher.budget, steer)
        t1 = time.perf_counter()
        log.set_phase("generate", t, detail={"unit": "examples", "done": 0, "total": plan.total})
        examples = session.engine.generate(plan, obs, iteration=t, seed=derive_seed(cfg.seed, "engine"))
        log.set_phase("generate", t, 1.0,
                      detail={"unit": "examples", "done": len(examples), "total": plan.total})
        t2 = time.perf_counter()
        env.on_phase = lambda phase, t=t: log.set_phase(phase, t)
        result = env.step(examples, plan=plan)
        timings = {"plan": t1 - t0, "generate": t2 - t1, **result.timings}
        _save_and_record(session, IterationRecord(
            t, started, utcnow(), timings, env.val, result.test, plan,
            result.verdicts, result.train, result.reward, len(env.accumulated),
            policy_state=session.policy.state(), alerts=result.alerts,
            forest=result.observation.forest))
        obs = result.observation
        bar.update(1)
        if progress:
            bar.write(_line(t, cfg.iterations, env.val, result, len(examples)))
    else:
        log.set_status("completed")
    bar.close()
    log.set_phase("done", env.iteration, wait=True)
    return RunSummary(log.run_id, "completed" if env.iteration == cfg.iterations else "stopped",
                      env.iteration, *_ends(session), len(env.accumulated))


def _plan(policy: Policy, obs: Observation, budget: int, steer: Steer | None) -> Plan:
    """The policy's plan, through the steering hook when a person steers; a policy that
    remembers its plans is told which one was adopted (the person's edit, if any)."""
    plan = policy.plan(obs, budget)
    if steer is None:
        return plan
    adopted = steer(plan, obs)
    if isinstance(policy, RemembersPlans):
        policy.adopt(adopted)
    return adopted


def _save_and_record(session: Session, record: IterationRecord) -> None:
    path = _checkpoint(session, record.iteration)
    session.env.student.save(path)
    session.log.record_iteration(replace(record, checkpoint=str(path)))
    old = _checkpoint(session, record.iteration - 2)
    if record.iteration >= 2 and old.exists():  # keep the last two: resume needs only the last
        shutil.rmtree(old, ignore_errors=True)


def _writable(folder: Path) -> None:
    """Make the run's checkpoint folder now: a path that cannot hold checkpoints (a file, a
    folder without write access) fails before the run is recorded, not after its warm-up."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise ConfigError(f"checkpoint folder {folder} cannot be written:"
                          f" {e.strerror or e}") from e


def _checkpoint(session: Session, iteration: int) -> Path:
    return session.checkpoints / f"iter-{iteration:03d}"


def _ends(session: Session) -> tuple[SkillProfile, SkillProfile, SkillProfile, SkillProfile]:
    history, run_id, task = session.log.history, session.log.run_id, session.env.task
    return (profile(history, task, run_id, 0, "val"), profile(history, task, run_id, 0, "test"),
            session.env.val, session.env.test)


def _line(t: int, total: int, val: SkillProfile, result, generated: int) -> str:
    kept = sum(v.kept for v in result.verdicts)
    alerts = "".join(f"; forgetting: {a.skill} {a.accuracy:.0%} (best {a.best:.0%})"
                     for a in result.alerts)
    return (f"iteration {t}/{total}: val {val.mean_accuracy:.1%} "
            f"({result.reward:+.1%}), test {result.test.mean_accuracy:.1%}, "
            f"{kept}/{generated} examples kept{alerts}")
