"""Charts: pure functions from a query's DataFrame to a plotly figure.

No database and no server here: tests and notebooks call them on frames. An empty frame
gives an empty figure that says why, never an error.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

HEIGHT = 420
_LAYOUT = dict(template="plotly_white", height=HEIGHT, margin=dict(l=60, r=20, t=50, b=50),
               legend=dict(orientation="h", y=-0.18))


# A short chart keeps its legend clear of the x-axis title.
_SHORT = dict(margin=dict(l=60, r=20, t=50, b=80), legend=dict(orientation="h", y=-0.38))


def _style(fig: go.Figure, title: str, **layout) -> go.Figure:
    fig.update_layout(**{**_LAYOUT, "title": title, **layout})
    return fig


def whole_iterations(fig: go.Figure, iterations: pd.Series) -> go.Figure:
    """Iterations are whole numbers: ticks at integers only, at most about ten of them."""
    last = int(iterations.max()) if len(iterations) else 1
    fig.update_xaxes(tick0=0, dtick=max(1, -(-last // 10)), tickformat="d")
    return fig


def empty(title: str, why: str = "no data yet") -> go.Figure:
    """A blank figure carrying a message in place of the chart."""
    fig = _style(go.Figure(), title)
    fig.add_annotation(text=why, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=16, color="#888"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _missing(v: float | None) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _pct(v: float | None) -> str:
    return "–" if _missing(v) else f"{100 * v:.1f}%"


def _cell(n: float, acc: float, change: float) -> str:
    delta = "–" if _missing(change) else f"{100 * change:+.1f} pts"
    return f"n {0 if _missing(n) else int(n)}<br>accuracy {_pct(acc)}<br>change {delta}"


def skill_order(skills, order: list[str] | None = None) -> list[str]:
    """``skills`` in ``order`` (the task's own order), any others after them alphabetically."""
    skills = list(dict.fromkeys(skills))
    known = [s for s in (order or []) if s in skills]
    return known + sorted(s for s in skills if s not in known)


def skill_heatmap(matrix: pd.DataFrame, title: str = "Val accuracy per skill", *,
                  order: list[str] | None = None, descriptions: dict[str, str] | None = None,
                  values: bool = True) -> go.Figure:
    """Skill x iteration heatmap of accuracy, skills top-down in ``order`` (the task's); each
    cell shows its accuracy (``values``), hover adds n, change and the skill's description;
    alerts marked."""
    if matrix.empty:
        return empty(title)
    acc = matrix.pivot(index="skill", columns="iteration", values="accuracy")
    acc = acc.reindex(skill_order(acc.index, order)[::-1])  # plotly draws the first row lowest
    n = matrix.pivot(index="skill", columns="iteration", values="n").reindex_like(acc)
    change = matrix.pivot(index="skill", columns="iteration", values="change").reindex_like(acc)
    about = descriptions or {}
    text = [[_cell(n.iat[i, j], acc.iat[i, j], change.iat[i, j])
             + (f"<br>{about[skill]}" if about.get(skill) else "") for j in range(acc.shape[1])]
            for i, skill in enumerate(acc.index)]
    fig = go.Figure(go.Heatmap(
        z=acc.values, x=[str(c) for c in acc.columns], y=list(acc.index), zmin=0, zmax=1,
        colorscale="Viridis", text=text, colorbar=dict(title="acc", tickformat=".0%"),
        texttemplate="%{z:.0%}" if values and acc.size <= 900 else None,
        textfont=dict(size=10),
        hovertemplate="%{y} · iteration %{x}<br>%{text}<extra></extra>"))
    if "alert" in matrix and matrix["alert"].any():
        alerts = matrix[matrix["alert"]]
        fig.add_trace(go.Scatter(
            x=alerts.iteration.astype(str), y=alerts.skill, mode="markers", name="forgetting alert",
            marker=dict(symbol="x", size=12, color="#e4002b", line=dict(width=2, color="white")),
            customdata=alerts[["best_before", "accuracy"]].values,
            hovertemplate="%{y} · iteration %{x}<br>forgot: best %{customdata[0]:.0%}"
                          " → %{customdata[1]:.0%}<extra></extra>"))
    _style(fig, title, xaxis_title="iteration",
                      height=max(HEIGHT, 24 * acc.shape[0] + 120))
    fig.update_xaxes(type="category")
    return fig


def skill_curves(matrix: pd.DataFrame, title: str = "Val accuracy per skill") -> go.Figure:
    """One line per skill: accuracy against iteration, alerts as red crosses."""
    if matrix.empty:
        return empty(title)
    fig = go.Figure()
    for skill, g in matrix.groupby("skill", sort=True):
        fig.add_trace(go.Scatter(x=g.iteration, y=g.accuracy, mode="lines+markers", name=skill,
                                 customdata=g[["n"]].values,
                                 hovertemplate=f"{skill}<br>iteration %{{x}}: %{{y:.1%}} (n %{{customdata[0]}})"
                                               "<extra></extra>"))
    if "alert" in matrix and matrix["alert"].any():
        alerts = matrix[matrix["alert"]]
        fig.add_trace(go.Scatter(x=alerts.iteration, y=alerts.accuracy, mode="markers",
                                 name="forgetting alert", text=alerts.skill,
                                 marker=dict(symbol="x", size=11, color="#e4002b"),
                                 hovertemplate="%{text} forgot at iteration %{x}<extra></extra>"))
    _style(fig, title, xaxis_title="iteration", yaxis_title="accuracy",
                      yaxis_tickformat=".0%", yaxis_range=[0, 1.02])
    return whole_iterations(fig, matrix.iteration)


def start_end_bars(frame: pd.DataFrame, title: str = "Test accuracy per skill: start and end") -> go.Figure:
    """Grouped bars of each skill's accuracy at the first and the last iteration."""
    if frame.empty:
        return empty(title)
    fig = go.Figure([
        go.Bar(x=frame.skill, y=frame.start, name="start", marker_color="#9aa5b1"),
        go.Bar(x=frame.skill, y=frame["end"], name="end", marker_color="#2563eb"),
    ])
    _style(fig, title, barmode="group", yaxis_tickformat=".0%",
                      yaxis_range=[0, 1.02])
    return fig


def allocation_bars(frame: pd.DataFrame, title: str = "Examples allocated per skill") -> go.Figure:
    """Stacked bars: per iteration, the examples the plan gave each skill."""
    if frame.empty:
        return empty(title, "no plans yet")
    fig = go.Figure([go.Bar(x=g.iteration, y=g["count"], name=skill,
                            hovertemplate=f"{skill}<br>iteration %{{x}}: %{{y}} examples<extra></extra>")
                     for skill, g in frame.groupby("skill", sort=True)])
    _style(fig, title, barmode="stack", xaxis_title="iteration",
                      yaxis_title="examples")
    return whole_iterations(fig, frame.iteration)


def qc_yield(frame: pd.DataFrame, title: str = "QC yield per skill (kept / generated)") -> go.Figure:
    """Bars of the share of generated examples that passed the quality checks."""
    if frame.empty:
        return empty(title, "no generated examples yet")
    fig = go.Figure(go.Bar(
        x=frame.skill, y=frame["yield"], marker_color="#16a34a",
        customdata=frame[["kept", "generated", "top_reason"]].fillna("").values,
        hovertemplate="%{x}: %{y:.1%} kept (%{customdata[0]} of %{customdata[1]})"
                      "<br>most common reject: %{customdata[2]}<extra></extra>"))
    _style(fig, title, yaxis_tickformat=".0%", yaxis_range=[0, 1.02])
    return fig


def skill_forest(frame: pd.DataFrame, title: str = "Skill-Tree forest") -> go.Figure:
    """Sunburst skill -> subskill sized by the current allocation, coloured by the skill's
    reward (its last change in val accuracy); pruned subskills (allocation 0) drop out."""
    if frame.empty:
        return empty(title, "no subskills (the Skill-Tree level grows them where the task offers any)")
    frame = frame[frame.allocation > 0] if (frame.allocation > 0).any() else frame.assign(allocation=1)
    skills = frame.groupby("skill", sort=True).agg(allocation=("allocation", "sum"),
                                                   reward=("reward", "first")).reset_index()
    reward = [0.0 if _missing(r) else float(r) for r in [*skills.reward, *frame.reward]]
    detail = [f"{a} examples now" for a in skills.allocation] + [
        f"{a} examples now, {g} generated so far<br>fresh accuracy {_pct(f)}"
        + (f"<br>{d}" if isinstance(d, str) and d else "")
        for a, g, f, d in zip(frame.allocation, frame.generated, frame.fresh_accuracy, frame.description)]
    fig = go.Figure(go.Sunburst(
        ids=[*skills.skill, *(f"{s}/{u}" for s, u in zip(frame.skill, frame.subskill))],
        labels=[*skills.skill, *frame.subskill], parents=[""] * len(skills) + list(frame.skill),
        values=[*skills.allocation, *frame.allocation], branchvalues="total",
        marker=dict(colors=reward, colorscale="RdYlGn", cmid=0, colorbar=dict(title="reward")),
        customdata=list(zip(reward, detail)),
        hovertemplate="%{label}<br>%{customdata[1]}<br>skill reward %{customdata[0]:+.3f}<extra></extra>"))
    return _style(fig, title)


def error_heatmap(frame: pd.DataFrame, title: str = "Wrong answers per skill") -> go.Figure:
    """Skill x iteration heatmap of the student's wrong answers (count, share on hover)."""
    if frame.empty:
        return empty(title)
    wrong = frame.pivot(index="skill", columns="iteration", values="wrong")
    n = frame.pivot(index="skill", columns="iteration", values="n").reindex_like(wrong)
    fig = go.Figure(go.Heatmap(
        z=wrong.values, x=[str(c) for c in wrong.columns], y=list(wrong.index),
        colorscale="Reds", customdata=n.values, colorbar=dict(title="wrong"),
        hovertemplate="%{y} · iteration %{x}<br>%{z} wrong of %{customdata}<extra></extra>"))
    _style(fig, title, xaxis_title="iteration",
                      height=max(HEIGHT, 24 * wrong.shape[0] + 120))
    fig.update_xaxes(type="category")
    return fig


def progress_curve(its: pd.DataFrame, title: str = "Mean accuracy so far") -> go.Figure:
    """Val and test mean accuracy per completed iteration (the Live view)."""
    if its.empty:
        return empty(title, "waiting for the first evaluation")
    fig = go.Figure([
        go.Scatter(x=its.iteration, y=its.val_mean, mode="lines+markers", name="val mean"),
        go.Scatter(x=its.iteration, y=its.test_mean, mode="lines+markers", name="test mean"),
    ])
    _style(fig, title, xaxis_title="iteration", yaxis_tickformat=".0%",
                      yaxis_range=[0, 1.02], height=320, **_SHORT)
    return whole_iterations(fig, its.iteration)


def loss_curve(its: pd.DataFrame, current: list[float] | None = None,
               title: str = "Training loss") -> go.Figure:
    """The student's training loss: first and last per completed iteration (``loss_first``,
    ``loss_last``), or the losses of the training going on now (``current``, step by step)."""
    if current:
        fig = go.Figure(go.Scatter(y=current, mode="lines", name="loss now",
                                   line=dict(color="#dc2626"),
                                   hovertemplate="point %{x}: loss %{y:.3f}<extra></extra>"))
        return _style(fig, f"{title} (training now)", xaxis_title="recent steps",
                      yaxis_title="loss", height=320, **_SHORT)
    done = its.dropna(subset=["loss_last"]) if "loss_last" in its else its.iloc[0:0]
    if done.empty:
        return empty(title, "no training finished yet")
    fig = go.Figure([
        go.Scatter(x=done.iteration, y=done.loss_first, mode="lines+markers", name="first steps"),
        go.Scatter(x=done.iteration, y=done.loss_last, mode="lines+markers", name="last steps"),
    ])
    _style(fig, title, xaxis_title="iteration", yaxis_title="loss", height=320, **_SHORT)
    return whole_iterations(fig, done.iteration)


def compare_curves(curves: pd.DataFrame, title: str = "Mean test accuracy against examples used") -> go.Figure:
    """One line per group of runs (columns: group, run_id, iteration, examples_used, test_mean).

    A group of several runs (same config, different seeds) is drawn as its mean with a band
    from the lowest to the highest seed."""
    if curves.empty:
        return empty(title, "pick two or more runs")
    fig = go.Figure()
    for k, (group, g) in enumerate(curves.groupby("group", sort=False)):
        colour = _COLOURS[k % len(_COLOURS)]
        seeds = g.run_id.nunique()
        agg = g.groupby("iteration").agg(x=("examples_used", "mean"), y=("test_mean", "mean"),
                                         lo=("test_mean", "min"), hi=("test_mean", "max")).reset_index()
        if seeds > 1:
            fig.add_trace(go.Scatter(x=list(agg.x) + list(agg.x[::-1]), y=list(agg.hi) + list(agg.lo[::-1]),
                                     fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0),
                                     hoverinfo="skip", showlegend=False, legendgroup=group))
        fig.add_trace(go.Scatter(
            x=agg.x, y=agg.y, mode="lines+markers", line=dict(color=colour), legendgroup=group,
            name=f"{group} ({seeds} seeds, band min–max)" if seeds > 1 else group,
            hovertemplate=f"{group}<br>%{{x:.0f}} examples: %{{y:.1%}}<extra></extra>"))
    _style(fig, title, xaxis_title="examples used",
                      yaxis_title="mean test accuracy", yaxis_tickformat=".0%")
    return fig


def cost_per_iteration(frame: pd.DataFrame, title: str = "LLM dollars per iteration") -> go.Figure:
    """Bars of dollars per iteration; tokens on hover."""
    if frame.empty:
        return empty(title, "no LLM")
    fig = go.Figure(go.Bar(
        x=frame.iteration, y=frame.cost_usd, marker_color="#b45309",
        customdata=frame[["tokens_in", "tokens_out", "calls"]].values,
        hovertemplate="iteration %{x}: $%{y:.4f}<br>%{customdata[0]} in / %{customdata[1]} out tokens"
                      "<br>%{customdata[2]} calls<extra></extra>"))
    _style(fig, title, xaxis_title="iteration", yaxis_title="USD")
    return fig


def cost_per_skill(frame: pd.DataFrame, title: str = "LLM dollars per skill") -> go.Figure:
    """Bars of dollars per skill (calls that made no example are grouped by role)."""
    if frame.empty:
        return empty(title, "no LLM")
    fig = go.Figure(go.Bar(
        x=frame.skill, y=frame.cost_usd, marker_color="#b45309",
        customdata=frame[["tokens_in", "tokens_out", "calls"]].values,
        hovertemplate="%{x}: $%{y:.4f}<br>%{customdata[0]} in / %{customdata[1]} out tokens"
                      "<br>%{customdata[2]} calls<extra></extra>"))
    _style(fig, title, yaxis_title="USD")
    return fig


_COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f", "#be185d")


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
