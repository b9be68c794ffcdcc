"""A comparison of runs grouped over seeds, as one report: built once from the history's
frames, then shown as text, Markdown, CSV or JSON (the command line and the app share it)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from envs.curves import Estimate
from students.errors import ConfigError
from ui import seed_groups as sg
from ui.tables import table

FORMATS = ("text", "markdown", "csv", "json")


@dataclass(frozen=True)
class CompareReport:
    x: str
    metric: str
    threshold: float
    baseline: str | None
    groups: tuple[sg.Group, ...]
    summary: tuple[dict[str, Any], ...]
    paired: tuple[dict[str, Any], ...]
    skills: pd.DataFrame  # skills x groups of Estimates, and the best group
    phases: pd.DataFrame
    curves: Mapping[str, Sequence[tuple[float, float]]]  # run_id -> points

    def as_json(self) -> dict[str, Any]:
        def est(e: Estimate | None) -> Any:
            return None if e is None else e.as_json()

        return {
            "x": self.x, "metric": self.metric, "threshold": self.threshold,
            "baseline": self.baseline,
            "groups": [{"group": g.name, "label": g.label, "config": dict(g.config),
                        "runs": [{"seed": s, "run_id": r} for s, r in g.runs]} for g in self.groups],
            "summary": [{"group": s["group"], "label": s["label"], "n": s["n"], "seeds": s["seeds"],
                         "final": est(s["final"]), "aulc": est(s["aulc"]),
                         "to_threshold": est(s["to_threshold"]), "reached": s["reached"],
                         "band": {"x": list(s["band"].x), "mean": list(s["band"].mean),
                                  "lo": list(s["band"].lo), "hi": list(s["band"].hi)}}
                        for s in self.summary],
            "paired": [{"group": p["group"], "baseline": p["baseline"],
                        "shared_seeds": p["shared_seeds"], "final": est(p["final"]),
                        "aulc": est(p["aulc"]), "to_threshold": est(p["to_threshold"])}
                       for p in self.paired],
            "skills": [{"skill": row["skill"], "best": row["best"],
                        **{g.name: est(row.get(g.name)) for g in self.groups}}
                       for row in self.skills.to_dict("records")],
            "phases": self.phases.to_dict("records"),
        }


def build_report(frames: Mapping[str, pd.DataFrame], *, x: str = "examples", metric: str = "test",
                 threshold: float | None = None, baseline: str | None = None) -> CompareReport:
    """Everything ``curriculab compare`` and the Compare view show, from
    ``envs.history.comparing.comparison_frames``."""
    if frames["runs"].empty:
        raise ConfigError("no runs to compare")
    groups = sg.make_groups(frames["runs"])
    curves = sg.run_curves(frames["points"], frames["skills"], metric, x)
    if threshold is None:
        threshold = sg.default_threshold(groups, curves)
    elif not 0 <= threshold <= 1:
        raise ConfigError(f"threshold {threshold}: expected an accuracy within [0, 1]")
    summary = sg.summarise(groups, curves, threshold)
    names = [g.name for g in groups]
    if baseline is not None and baseline not in names:
        found = [g.name for g in groups if baseline in g.label]
        if len(found) != 1:
            raise ConfigError(f"baseline {baseline!r}: expected a group ({', '.join(names)}) or "
                              f"text found in exactly one group's label")
        baseline = found[0]
    if baseline is None and len(groups) > 1:
        baseline = groups[0].name
    paired = sg.paired_against(summary, baseline) if baseline else []
    split = metric.partition(":")[0]
    return CompareReport(x, metric, threshold, baseline, tuple(groups), tuple(summary),
                         tuple(paired), sg.skill_summary(groups, frames["skills"], split),
                         sg.phase_times(groups, frames["phases"]), curves)


def _pct(e: Estimate | None, *, points: bool = False) -> str:
    if e is None:
        return "–"
    unit = " pts" if points else "%"
    sign = "+" if points else ""
    return f"{100 * e.mean:{sign}.1f}{unit} [{100 * e.lo:{sign}.1f}, {100 * e.hi:{sign}.1f}]"


def _num(e: Estimate | None, signed: bool = False) -> str:
    if e is None:
        return "–"
    s = "+" if signed else ""
    return f"{e.mean:{s},.0f} [{e.lo:{s},.0f}, {e.hi:{s},.0f}]"


def sections(r: CompareReport) -> list[tuple[str, list[str], list[list[Any]]]]:
    xname = sg.X_AXES[r.x][1]
    to = f"{xname} to {100 * r.threshold:.0f}%"
    out = [("groups (a group: the whole config less the seed)", ["group", "config", "seeds"],
            [[g.name, g.label, len(g.runs)] for g in r.groups])]
    out.append((f"{sg.metric_name(r.metric)} (mean over seeds [95% bootstrap interval])",
                ["group", "n", "final", f"AULC ({xname})", to, "reached"],
                [[s["group"], s["n"], _pct(s["final"]), _pct(s["aulc"]),
                  _num(s["to_threshold"]), f"{s['reached']}/{s['n']}"] for s in r.summary]))
    if r.paired:
        out.append((f"paired against {r.baseline} on shared seeds (group minus baseline)",
                    ["group", "seeds", "Δ final", "Δ AULC", f"Δ {to}"],
                    [[p["group"], p["shared_seeds"], _pct(p["final"], points=True),
                      _pct(p["aulc"], points=True), _num(p["to_threshold"], signed=True)]
                     for p in r.paired]))
    names = [g.name for g in r.groups]
    split = r.metric.partition(":")[0]
    out.append((f"final {split} accuracy per skill (mean [95%])", ["skill", *names, "best"],
                [[row["skill"], *(_pct(row.get(n)) for n in names), row["best"]]
                 for row in r.skills.to_dict("records")]))
    out.append(("seconds per run by phase (mean)", ["group", *sg.PHASES, "total"],
                [[p["group"], *(f"{p[k]:.1f}" for k in (*sg.PHASES, "total"))]
                 for p in r.phases.to_dict("records")]))
    return out


def render(r: CompareReport, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(r.as_json(), indent=2, default=str)
    if fmt == "csv":
        return to_csv(r)
    parts = []
    for title, headers, rows in sections(r):
        if fmt == "markdown":
            parts.append(f"**{title}**\n\n" + markdown_table(headers, rows))
        else:
            parts.append(f"{title}:\n" + table(headers, rows))
    return "\n\n".join(parts) + "\n"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def to_csv(r: CompareReport) -> str:
    """Long form: one row per (section, group, skill, statistic) with mean, lo, hi and n."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["section", "group", "label", "skill", "statistic", "mean", "lo", "hi", "n"])
    labels = {g.name: g.label for g in r.groups}

    def put(section: str, group: str, skill: str, stat: str, e: Estimate | None) -> None:
        if e is not None:
            w.writerow([section, group, labels.get(group, ""), skill, stat, e.mean, e.lo, e.hi, e.n])

    for s in r.summary:
        for stat in ("final", "aulc", "to_threshold"):
            put("group", s["group"], "", stat, s[stat])
    for p in r.paired:
        for stat in ("final", "aulc", "to_threshold"):
            put(f"paired vs {p['baseline']}", p["group"], "", stat, p[stat])
    for row in r.skills.to_dict("records"):
        for g in r.groups:
            put("skill", g.name, row["skill"], "final", row.get(g.name))
    return buf.getvalue()
