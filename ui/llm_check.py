"""``curriculab llm check``: can this endpoint serve a teacher? A table of probes, exit 2 with
one line when it cannot. The app's form shows the same check (``form_check``, ``markdown``)
beside its LLM fields."""

from __future__ import annotations

import argparse
import html
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from agents.config import RunConfig
from agents.llm.capabilities import Capabilities
from agents.llm.config import LLMConfig
from agents.llm.errors import EndpointUnusable
from agents.llm.redact import redact_env

if TYPE_CHECKING:
    from agents.llm.check import CheckReport

FORM_TIMEOUT_S = 15.0  # the app's check waits at most this long for each probe's answer
UNUSABLE = "the LLM endpoint cannot serve a teacher"  # how a run that failed its check begins


def add_parser(sub: argparse._SubParsersAction, llm_flags, db: dict) -> None:
    """``llm check`` under ``sub``; ``llm_flags`` adds --base-url, --model and --llm-opt."""
    llm = sub.add_parser("llm", help="LLM endpoints: check one before a run")
    verbs = llm.add_subparsers(dest="llm_command", required=True, parser_class=type(llm))
    check = verbs.add_parser(
        "check", help="probe an endpoint: reachable, auth, models, chat, JSON mode, JSON "
                      "schema, seed, token usage, latency, parallel slots")
    check.add_argument("--config", help="a run config whose [llm] section to use")
    llm_flags(check)
    check.add_argument("--json", action="store_true", help="machine-readable")
    check.add_argument("--db", default=None,
                       help="a history to record what was learnt in (default: none), so runs"
                            " using it never try a refused feature")
    check.set_defaults(handler=cmd_llm)


def cmd_llm(args: argparse.Namespace) -> int:
    from agents.llm.check import check_endpoint
    from envs.history import History
    from ui.commands import llm_from_args

    config = RunConfig.from_file(args.config) if args.config else RunConfig()
    report = check_endpoint(llm_from_args(config.llm, args))
    print(json.dumps(report.as_json(), indent=2) if args.json else report.table())
    if not report.usable:
        raise EndpointUnusable(f"the endpoint cannot serve a teacher: {report.problem}")
    if args.db:
        report.record(History(Path(args.db)), None)
    return 0


def form_check(config: LLMConfig) -> CheckReport:
    """The check the app's form runs: each probe waits ``FORM_TIMEOUT_S`` at most (less when
    ``config`` says so), so a silent endpoint is reported within a minute. Records nothing."""
    from agents.llm.check import check_endpoint

    return check_endpoint(replace(config, timeout=min(config.timeout or FORM_TIMEOUT_S,
                                                      FORM_TIMEOUT_S)))


def problem_line(report: CheckReport) -> str | None:
    """Why a teacher cannot use the endpoint, in one line (None when it can)."""
    return None if report.usable else f"{UNUSABLE}: {' '.join(str(report.problem).split())}"


def markdown(report: CheckReport, key_env: str) -> str:
    """The check as the form shows it: the verdict in one line first, then a table of the
    probes, then what was learnt (structured mode, features, slots, speed). Secrets (the key
    in ``$key_env``, credentials in a URL or an echoed header) never appear."""
    cell = lambda text: one_line(text)[:200].replace("|", "\\|")
    mark = {True: "yes", False: "**no**", None: "–"}
    head = (f"⚠️ {one_line(problem_line(report))}" if not report.usable else
            f"✅ A teacher can use this endpoint ({cell(report.base_url)}, model"
            f" {cell(report.model)}): checked in {report.seconds:.1f} s.")
    rows = [f"| {cell(p.name)} | {mark[p.ok]} | {cell(p.detail)} |" for p in report.probes]
    parts = [head]
    if rows:
        parts.append("\n".join(["| Probe | OK | Detail |", "|---|---|---|", *rows]))
    if report.learnt:
        parts.append("**Learnt:** " + " · ".join(cell(x) for x in _learnt(report)))
    return redact_env("\n\n".join(parts), key_env) or ""


def one_line(text: object) -> str:
    """``text`` in one line, shown as itself in markdown (no tags, no entities)."""
    return html.escape(" ".join(str(text).split()), quote=False)


def _learnt(report: CheckReport) -> list[str]:
    """What the check learnt, in words: the structured mode calls would use, each feature
    answered or refused, and the measurements (slots, latency, seconds per token)."""
    caps = Capabilities(report.base_url, report.model,
                        {f: ok for f, (ok, _, _) in report.learnt.items() if ok is not None})
    out = [f"structured output: {caps.mode('json_schema')}"]
    out += [f"{f}: {'answered' if ok else 'refused'}" for f, (ok, _, _) in report.learnt.items()
            if ok is not None and f not in ("temperature", "max_tokens")]
    names = {"slots": "parallel slots", "latency_s": "latency (s)",
             "seconds_per_token": "seconds per token"}
    out += [f"{names.get(f, f)}: {value}" for f, (ok, value, _) in report.learnt.items()
            if ok is None and value is not None]
    return out
