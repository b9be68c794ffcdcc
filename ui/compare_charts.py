"""Charts of a comparison over seeds: pure functions from a ``CompareReport``'s parts to
plotly figures (mean curves with 95% bands, per-skill overlays, phase wall times)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from envs import curves as cv
from ui.charts import _COLOURS, _rgba, _style, empty


def group_bands(summary: Sequence[Mapping[str, Any]], x_title: str, y_title: str,
                title: str = "Mean over seeds with its 95% bootstrap band") -> go.Figure:
    """One line per group (its mean curve) in a band holding the bootstrap 95% interval."""
    if not summary:
        return empty(title, "pick runs or a sweep to compare")
    fig = go.Figure()
    for k, s in enumerate(summary):
        colour, band = _COLOURS[k % len(_COLOURS)], s["band"]
        name = f"{s['group']}: {s['label']} ({s['n']} seed{'s' if s['n'] != 1 else ''})"
        if s["n"] > 1:
            fig.add_trace(go.Scatter(
                x=list(band.x) + list(band.x[::-1]), y=list(band.hi) + list(band.lo[::-1]),
                fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0),
                hoverinfo="skip", showlegend=False, legendgroup=s["group"]))
        fig.add_trace(go.Scatter(
            x=list(band.x), y=list(band.mean), mode="lines+markers", name=name,
            line=dict(color=colour), legendgroup=s["group"],
            customdata=list(zip(band.lo, band.hi)),
            hovertemplate=f"{s['group']}<br>%{{x:,.4g}}: %{{y:.1%}}"
                          " [%{customdata[0]:.1%}, %{customdata[1]:.1%}]<extra></extra>"))
    return _style(fig, title, xaxis_title=x_title, yaxis_title=y_title, yaxis_tickformat=".0%")


def skill_overlay(groups: Sequence[Any], curves_by_skill: Mapping[str, Mapping[str, Sequence]],
                  x_title: str, title: str = "Per-skill mean curves") -> go.Figure:
    """Each skill's mean curve for each group: colour by group, one dash style per skill.
    ``curves_by_skill``: skill -> run_id -> [(x, accuracy)]."""
    if not curves_by_skill or not groups:
        return empty(title, "no per-skill scores")
    dashes = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
    fig = go.Figure()
    for k, g in enumerate(groups):
        colour = _COLOURS[k % len(_COLOURS)]
        for j, (skill, by_run) in enumerate(sorted(curves_by_skill.items())):
            cs = [by_run[r] for _, r in g.runs if by_run.get(r)]
            if not cs:
                continue
            b = cv.band(cs, resamples=200)
            fig.add_trace(go.Scatter(
                x=list(b.x), y=list(b.mean), mode="lines", name=f"{g.name} · {skill}",
                line=dict(color=colour, dash=dashes[j % len(dashes)]), legendgroup=g.name,
                hovertemplate=f"{g.name} · {skill}<br>%{{x:,.4g}}: %{{y:.1%}}<extra></extra>"))
    return _style(fig, title, xaxis_title=x_title, yaxis_title="accuracy",
                  yaxis_tickformat=".0%")


def phase_bars(phases: Any, title: str = "Wall seconds per run by phase (mean over seeds)"
               ) -> go.Figure:
    """Stacked bars: each group's mean seconds in evaluate, plan, generate, check, train."""
    if phases is None or len(phases) == 0:
        return empty(title)
    fig = go.Figure()
    for k, phase in enumerate(("evaluate", "plan", "generate", "check", "train")):
        fig.add_trace(go.Bar(x=list(phases["group"]), y=list(phases[phase]), name=phase,
                             marker_color=_COLOURS[k % len(_COLOURS)],
                             hovertemplate=f"%{{x}} · {phase}: %{{y:.1f}} s<extra></extra>"))
    return _style(fig, title, barmode="stack", yaxis_title="seconds")
