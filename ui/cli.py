"""The ``curriculab`` command line. Errors print one line and exit with code 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import fields

from agents.config import RunConfig
from agents.llm.config import LLMConfig
from envs.environment import REGIMES
from students.errors import CurriculabError

DEFAULT_DB = "curriculab.duckdb"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="curriculab", description="Teach a student model skill by skill.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    db = {"default": os.environ.get("CURRICULAB_DB", DEFAULT_DB),
          "help": "history file (default: $CURRICULAB_DB or ./curriculab.duckdb)"}

    _run_flags(sub.add_parser("run", help="run a teaching loop (defaults: the offline demo)"), db)

    runs = sub.add_parser("runs", help="list runs")
    runs.add_argument("--db", **db)

    show = sub.add_parser("show", help="a run's skill table")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true", help="machine-readable, per iteration")
    show.add_argument("--db", **db)

    disc = sub.add_parser("discover", help="LLM skill discovery over a data file")
    disc.add_argument("--data", metavar="FILE", required=True, help="a JSONL/CSV/Parquet file")
    disc.add_argument("--config", help="a run config whose [llm] section to use")
    _llm_flags(disc)
    disc.add_argument("--prompt-column", default="prompt", help="default: %(default)s")
    disc.add_argument("--answer-column", default="answer", help="default: %(default)s")
    disc.add_argument("--batch", type=_positive, default=10,
                      help="items per call (default %(default)s)")
    disc.add_argument("--max-categories", type=_positive, default=8,
                      help="at most this many skills (default %(default)s)")
    disc.add_argument("--out", metavar="FILE", help="write the rows with a skill column (JSONL)")
    disc.add_argument("--db", **db)

    _ui_flags(sub.add_parser("ui", help="the browser app (127.0.0.1 unless told otherwise)"), db)

    from ui import llm_check

    llm_check.add_parser(sub, _llm_flags, db)

    from ui import compare_command, sweep_command

    sweep_command.add_parser(sub, db, _positive)
    compare_command.add_parser(sub, db)
    return parser


def _run_flags(run: argparse.ArgumentParser, db: dict) -> None:
    """Flags lay themselves over the config file (or the defaults, ``RunConfig()``, whose
    values the help shows)."""
    d = RunConfig()
    run.add_argument("--config", help="a .toml or .json run config; flags override it")
    run.add_argument("--print-config", action="store_true",
                     help="print the effective config (file and flags) as TOML and exit")
    run.add_argument("--task", help=f"task id (default {d.task.id})")
    run.add_argument("--level", help=f"environment level (default {d.teacher.level})")
    run.add_argument("--policy", help=f"teacher policy id (default {d.teacher.policy})")
    run.add_argument("--engine", help=f"example engine id (default {d.teacher.engine})")
    run.add_argument("--student", help=f"student id (default {d.student.id})")
    run.add_argument("--student-opt", action="append", default=[], metavar="KEY=VALUE",
                     help="a student option, repeatable (a JSON value or text)")
    run.add_argument("--regime", choices=REGIMES, help=f"training regime (default {d.env.regime})")
    run.add_argument("--iterations", type=_positive,
                     help=f"teaching iterations (default {d.iterations})")
    run.add_argument("--budget", type=_positive,
                     help=f"examples per iteration (default {d.teacher.budget})")
    run.add_argument("--seed", type=_seed, help=f"run seed (default {d.seed})")
    run.add_argument("--checkpoints",
                     help=f"folder for student checkpoints (default ./{d.checkpoint_dir})")
    run.add_argument("--data", metavar="FILE",
                     help="task from a JSONL/CSV/Parquet file (columns prompt, answer [, skill])")
    run.add_argument("--teacher", choices=["llm"],
                     help="'llm': an LLM plans and writes the data (--policy llm --engine llm)")
    _llm_flags(run)
    run.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                     help="a module or .py file registering your tasks, students, policies or "
                          "engines, repeatable (recorded with the run, so --resume finds it)")
    run.add_argument("--resume", metavar="RUN_ID", help="continue a killed or stopped run")
    run.add_argument("--name", help="a readable name for the run (default: made up, such as"
                                    " brisk-otter-7); renames a resumed run")
    run.add_argument("--tag", action="append", default=[], metavar="TAG",
                     help="a tag to find the run by, repeatable (added to a resumed run's)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument("--db", **db)


def _ui_flags(app: argparse.ArgumentParser, db: dict) -> None:
    app.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1; any other needs "
                          "CURRICULAB_UI_USER and CURRICULAB_UI_PASSWORD)")
    app.add_argument("--port", type=_port, default=7860, help="port (default 7860)")
    app.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    app.add_argument("--share", action="store_true",
                     help="a public link (needs CURRICULAB_UI_USER and CURRICULAB_UI_PASSWORD)")
    app.add_argument("--checkpoints", help="folder for checkpoints of runs started in the app")
    app.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                     help="a module or .py file registering your tasks, students, policies or "
                          "engines, repeatable (installed entry points load by themselves)")
    app.add_argument("--db", **db)


def _llm_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="an OpenAI-compatible endpoint, e.g. "
                        "http://127.0.0.1:8000/v1 (the key comes from $OPENAI_API_KEY)")
    parser.add_argument("--model", help=f"the model name the endpoint serves "
                                        f"(default {LLMConfig().model})")
    parser.add_argument("--llm-opt", action="append", default=[], metavar="KEY=VALUE",
                        help="an llm setting, repeatable: " + ", ".join(
                            f.name for f in fields(LLMConfig)) + " (README: Configuration)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ui import commands

    try:
        return (getattr(args, "handler", None) or commands.HANDLERS[args.command])(args)
    except CurriculabError as e:  # one line, whatever a wrapped library's message holds
        print(f"curriculab: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("curriculab: interrupted", file=sys.stderr)
        return 130


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to {2**31 - 1}, got {value}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
