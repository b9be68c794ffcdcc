"""What each ``curriculab`` subcommand does, given parsed arguments."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from agents.config import RunConfig
from agents.llm.config import LLMConfig
from agents.runner import resume_run, start_run
from envs.history import History, summaries
from envs.history.controls import StopWatcher
from envs.history.report import run_report
from envs.history.runlog import new_run_id
from students.errors import ConfigError
from students.options import build
from ui.access import login
from ui.tables import pct, skills_table, table


def cmd_run(args: argparse.Namespace) -> int:
    if args.print_config:  # what would run, as a config file; nothing runs
        print(_resumed_config(args) if args.resume else config_from_args(args).to_toml(), end="")
        return 0
    history = History(args.db)
    config = None if args.resume else config_from_args(args)
    if config is not None:  # a history this version must not write is refused before any work
        history.ensure()
    run_id = args.resume or new_run_id()
    with StopWatcher(history, run_id) as stop:  # the app can ask this process to stop the run
        if config is None:
            _relabel(history, run_id, args.name, args.tag)
            summary = resume_run(run_id, history, progress=not args.quiet, stop=stop)
        else:
            summary = start_run(config, history, progress=not args.quiet, stop=stop, run_id=run_id,
                                name=args.name, tags=args.tag, command=command_line(sys.argv))
    report = run_report(history, summary.run_id)
    print(f"\nrun {summary.run_id}: {summary.status} after {summary.iterations} iterations,"
          f" {summary.examples_used} examples used")
    print(skills_table(report["skills"]))
    _print_alerts(report)
    _print_overhead(report)
    _print_llm(_llm_usage(history, summary.run_id))
    print(f"details: curriculab show {summary.run_id} --db {args.db}")
    return 0


def _relabel(history: History, run_id: str, name: str | None, tags: list[str]) -> None:
    """``--name`` and ``--tag`` on a resume: rename the run, add the tags to its own."""
    if name is None and not tags:
        return
    from envs.history.queries import run_row
    from envs.history.runlog import label_run

    old = json.loads(run_row(history, run_id).get("tags") or "[]")
    label_run(history, run_id, name=name, tags=[*old, *tags] if tags else None)


_SECRET = re.compile(r"((?:key|token|secret|password)[^=\s]*=)\S+|(://)[^/@\s]+@", re.I)


def command_line(argv: Sequence[str]) -> str:
    """The command as typed, for the run's page; keys, tokens and URL credentials hidden."""
    words = ["curriculab", *argv[1:]]
    return _SECRET.sub(lambda m: f"{m.group(1)}***" if m.group(1) else f"{m.group(2)}***@",
                       shlex.join(words))


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The config file (or the defaults) with the flags laid over it, checked as a whole:
    a bad value from either is a ConfigError naming its key."""
    config = RunConfig.from_file(args.config) if args.config else RunConfig()
    data = config.to_dict()
    task, student, teacher = data["task"], data["student"], data["teacher"]
    if args.task is not None:  # an empty id is an unknown id, not the default
        task["id"] = args.task
    if args.data is not None:
        options = task["options"] if task["id"] == "file" else {}
        task.update(id="file", options={**options, "path": args.data})
    if args.student is not None:
        student.update(id=args.student, options={})
    student["options"].update(parse_options(args.student_opt, "--student-opt"))
    if args.regime:
        data["env"]["regime"] = args.regime
    if args.teacher == "llm":
        teacher.update(policy="llm", engine="llm")
    for flag in ("level", "policy", "engine", "budget"):
        if getattr(args, flag) is not None:
            teacher[flag] = getattr(args, flag)
    for flag, key in (("iterations", "iterations"), ("seed", "seed"),
                      ("checkpoints", "checkpoint_dir")):
        if getattr(args, flag) is not None:
            data[key] = getattr(args, flag)
    data["llm"] = asdict(llm_from_args(config.llm, args))
    data["plugins"] = list(dict.fromkeys([*data["plugins"], *args.plugin]))
    return RunConfig.from_dict(data)


def llm_from_args(llm: LLMConfig, args: argparse.Namespace) -> LLMConfig:
    """The config's llm section with --base-url, --model and --llm-opt laid over it."""
    changes = parse_options(args.llm_opt, "--llm-opt")
    if args.base_url:
        changes["base_url"] = args.base_url
    if args.model:
        changes["model"] = args.model
    return build(LLMConfig, {**asdict(llm), **changes}, "llm")


def _resumed_config(args: argparse.Namespace) -> str:
    """The config a run was recorded with, as TOML (the flags do not apply to a resume)."""
    from envs.history.queries import run_row

    return RunConfig.from_dict(run_row(History(args.db), args.resume)["config"]).to_toml()


def parse_options(pairs: list[str], flag: str) -> dict[str, object]:
    """``["lr=0.001", "layers=2"]`` -> ``{"lr": 0.001, "layers": 2}`` (JSON values where they parse)."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{flag} expects KEY=VALUE, got {pair!r}")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def cmd_runs(args: argparse.Namespace) -> int:
    history = History(args.db)
    if not Path(args.db).exists() and not Path(args.db).is_symlink():  # a broken link is an error
        print(f"no history at {args.db} yet: start one with `curriculab run`")
        return 0
    runs = summaries.runs(history, limit=None)
    # a run with no iteration yet (warming up, killed or failed early) has missing cells:
    # NULL in DuckDB, NaN or pandas' NA in the frame, whose truth value is an error
    rows = [[r.run_id, r.status, _cell(r.task), _cell(r.policy), _cell(r.student), _cell(r.seed),
             f"{int(r.done)}/{_cell(r.iterations) or '?'}",
             pct(None if pd.isna(r.final_test) else float(r.final_test))]
            for r in runs.itertuples()]
    print(table(["run", "status", "task", "policy", "student", "seed", "iter", "test mean"], rows)
          if rows else "no runs yet")
    return 0


def _cell(value: object) -> object:
    """A frame's value for a terminal table: missing ones (None, NaN, NA) as empty text."""
    return "" if pd.isna(value) else value


def _curriculum(history: History, report: dict) -> dict:
    """The run's curriculum metrics (``envs.curves.curriculum``), against the newest completed
    uniform and oracle runs in the same history with the same task, level, student, budget,
    iterations and seed; the threshold is the task's when it is a challenge profile."""
    from envs.curves import curriculum
    from envs.history.queries import iterations
    from envs.tasks.task import make as make_task
    from students.errors import CurriculabError

    run = report["run"]
    try:
        task = make_task(run["task"], **report["config"]["task"]["options"])
    except CurriculabError:
        task = None
    challenge = getattr(task, "challenge", None)
    others = summaries.runs(history, limit=None)
    same = others[(others.status == "completed") & (others.run_id != run["run_id"])
                  & others.policy.isin(["uniform", "oracle"])]
    for key in ("task", "level", "student", "seed", "iterations", "budget"):
        same = same[same[key] == run[key]]

    def curve(run_id: str) -> list[tuple[int, float]]:
        return [(int(r.examples_used), float(r.test_mean))
                for r in iterations(history, run_id).itertuples()]

    baselines = {p: curve(g.run_id.iloc[0]) for p, g in same.groupby("policy")}
    return curriculum(curve(run["run_id"]), challenge and challenge.threshold,
                      run["budget"] * run["iterations"], baselines)


def cmd_show(args: argparse.Namespace) -> int:
    report = run_report(History(args.db), args.run_id)
    report["llm"] = _llm_usage(History(args.db), args.run_id)  # None without LLM calls
    if args.json:
        report["curriculum"] = _curriculum(History(args.db), report)
        print(json.dumps(report, indent=2, default=str))
        return 0
    run = report["run"]
    print(f"run {run['run_id']} ({run['status']}): task {run['task']}, policy {run['policy']},"
          f" student {run['student']}, seed {run['seed']}")
    print(skills_table(report["skills"]))
    rows = [[s["iteration"], s["examples_used"], pct(s["val_mean"]), pct(s["test_mean"]),
             f"{s['seconds']:.1f}"] for s in report["iterations"]]
    print()
    print(table(["iteration", "examples used", "val mean", "test mean", "seconds"], rows))
    _print_yields(report)
    _print_alerts(report)
    _print_overhead(report)
    _print_llm(report["llm"])
    return 0


def _llm_usage(history: History, run_id: str) -> dict | None:
    from envs.history.llm_usage import llm_usage

    return llm_usage(history, run_id)


def _print_llm(usage: dict | None) -> None:
    """The run's LLM account: calls, failures by kind, replays, tokens, usable shares."""
    from ui.llm_account import lines

    if usage:
        print("\n" + "\n".join(lines(usage)))


def _print_yields(report: dict) -> None:
    """Quality-check yield (kept / generated) per skill and iteration, and why examples went."""
    ys = report.get("yields") or []
    if not ys:
        return
    its = sorted({y["iteration"] for y in ys})
    cell = {(y["skill"], y["iteration"]): f"{y['kept']}/{y['generated']}" for y in ys}
    skills = list(dict.fromkeys(y["skill"] for y in ys))
    print("\nquality-check yield (kept/generated) per skill and iteration:")
    print(table(["skill", *map(str, its)], [[s, *(cell.get((s, i), "-") for i in its)]
                                            for s in skills]))
    reasons: dict[str, int] = {}
    for y in ys:
        for reason, n in y["rejected"].items():
            reasons[reason] = reasons.get(reason, 0) + n
    if reasons:
        print("rejected: " + "; ".join(f"{n} {r}" for r, n in sorted(reasons.items(),
                                                                  key=lambda kv: -kv[1])))


def _print_alerts(report: dict) -> None:
    alerts = report.get("alerts") or []
    if not alerts:
        return
    print(f"\nforgetting alerts ({len(alerts)} skill(s) fell 10 points or more below their best):")
    print(table(["skill", "first at", "best", "worst", "drop", "iterations"],
                [[a["skill"], a["first_iteration"], f"{pct(a['best'])} (it {a['best_iteration']})",
                  pct(a["worst"]), pct(a["worst_drop"]), a["iterations"]] for a in alerts]))


def _print_overhead(report: dict) -> None:
    o = report["overhead"]
    if o:
        print(f"wall {o['wall_s']:.1f}s; loop overhead (outside evaluate, train, generate):"
              f" {o['overhead_s']:.2f}s = {o['overhead_fraction']:.1%}"
              + (f", of which the teacher's planning {o['plan_s']:.2f}s"
                 if o.get("plan_s", 0) >= 0.01 else ""))


def cmd_discover(args: argparse.Namespace) -> int:
    from agents.discovery.discover import discover, discovery_id
    from agents.llm.client import LLMClient
    from envs.tasks.filetask import FileTask
    from envs.tasks.filedata import Columns

    config = RunConfig.from_file(args.config) if args.config else RunConfig()
    llm_config = llm_from_args(config.llm, args)
    task = FileTask(args.data, columns=Columns(args.prompt_column, args.answer_column, None))
    history = History(args.db)
    run_id = discovery_id(task, llm_config, args.batch, args.max_categories)
    with LLMClient(llm_config, history=history, run_id=run_id) as llm:
        if llm_config.check:  # an endpoint that cannot serve fails before anything is written
            llm.preflight()
        result = discover(task, llm, history, batch=args.batch,
                          max_categories=args.max_categories)
    sizes = result.sizes()
    rows = [[name, sizes.get(name, 0), ", ".join(labels[:4]) + (" ..." if len(labels) > 4 else "")]
            for name, (_, labels) in result.categories.items()]
    print(table(["skill", "items", "fine-grained skills"], rows))
    again = f" (stages read back: {', '.join(result.resumed)})" if result.resumed else ""
    methods = ", ".join(f"{n} by {m}" for m, n in result.methods().items())
    print(f"discovery {result.discovery_id}: {len(result.assignments)} items in"
          f" {len(result.categories)} skills ({methods}){again}; stored in {args.db}")
    if result.methods().get("fallback"):
        print(f"warning: {result.methods()['fallback']} item(s) went to the largest skill"
              " because no answer placed them", file=sys.stderr)
    if args.out:
        _write_labelled(task, result.skills(), Path(args.out))
        print(f"wrote {args.out}")
    return 0


def _write_labelled(task, skills: dict[str, str], path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for item in task.items():
            f.write(json.dumps({"prompt": item.prompt, "answer": item.answer,
                                "skill": skills[item.id]}) + "\n")


def cmd_ui(args: argparse.Namespace) -> int:
    login(args.host, args.share)  # refuse an open address before loading gradio
    from ui.server import serve  # gradio loads only for this command

    serve(args.db, host=args.host, port=args.port, open_browser=not args.no_browser,
          share=args.share, checkpoint_dir=args.checkpoints, plugins=tuple(args.plugin))
    return 0


HANDLERS = {"run": cmd_run, "runs": cmd_runs, "show": cmd_show, "discover": cmd_discover,
            "ui": cmd_ui}
