"""``curriculab llm check``: can this endpoint serve a teacher? A table of probes, exit 2 with
one line when it cannot."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from agents.config import RunConfig
from agents.llm.errors import EndpointUnusable


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
