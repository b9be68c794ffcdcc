"""``curriculab compare SWEEP_OR_RUNS``: runs grouped by their config less the seed, with
bootstrap intervals over seeds and paired differences against a baseline group."""

from __future__ import annotations

import argparse
from pathlib import Path

from typing import TYPE_CHECKING

from students.errors import ConfigError

if TYPE_CHECKING:
    from envs.history import History

FORMATS = ("text", "markdown", "csv", "json")  # as ui.compare_report renders them
X_AXES = ("examples", "iteration", "seconds")  # as ui.seed_groups reads them


def add_parser(sub: argparse._SubParsersAction, db: dict) -> None:
    cmp = sub.add_parser("compare", help="compare runs or a sweep, grouped over seeds")
    cmp.add_argument("targets", nargs="+", metavar="SWEEP_OR_RUN",
                     help="a sweep id (or its name, or a prefix), or run ids")
    cmp.add_argument("--x", choices=X_AXES, default="examples",
                     help="the curves' x axis (default %(default)s)")
    cmp.add_argument("--metric", default="test",
                     help="test, val, or SPLIT:SKILL such as test:add (default %(default)s)")
    cmp.add_argument("--threshold", type=_fraction,
                     help="accuracy to reach, within [0, 1] (default: the lowest group's"
                          " mean final accuracy)")
    cmp.add_argument("--baseline", help="the group the others are paired against: G1, G2, ...,"
                                        " or text of its label (default G1)")
    cmp.add_argument("--format", choices=FORMATS, default="text", help="default %(default)s")
    cmp.add_argument("--out", metavar="FILE", help="write there instead of printing")
    cmp.add_argument("--db", **db)
    cmp.set_defaults(handler=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    from envs.history import History
    from envs.history.comparing import comparison_frames
    from ui.compare_report import build_report, render

    if not Path(args.db).exists():
        raise ConfigError(f"--db {args.db}: no such history")
    history = History(args.db)
    run_ids = resolve(history, args.targets)
    report = build_report(comparison_frames(history, run_ids), x=args.x, metric=args.metric,
                          threshold=args.threshold, baseline=args.baseline)
    text = render(report, args.format)
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"--out {args.out}: {e.strerror}") from e
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def resolve(history: History, targets: list[str]) -> list[str]:
    """Sweep ids (or names, or prefixes) expanded to their runs; run ids kept; in order."""
    from envs.history.comparing import sweep_run_ids

    known = {r[0] for r in history.rows("SELECT run_id FROM runs")}
    out: list[str] = []
    for target in targets:
        if target in known:
            out.append(target)
            continue
        runs = sweep_run_ids(history, target)
        if runs is None:
            raise ConfigError(f"{target!r} is neither a run nor a sweep in {history.path}")
        if not runs:
            raise ConfigError(f"sweep {target!r} has no completed run yet")
        out += runs
    return list(dict.fromkeys(out))


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number within [0, 1], got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number within [0, 1], got {value}")
    return value
