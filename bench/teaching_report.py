"""The teaching benchmark's report (``bench/teaching.py``): tables of a metric with policies
as rows and profiles as columns, and one self-contained HTML page of them with each profile's
curves and 95% bands over seeds."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from envs.curves import Curve


def table(results: Mapping[str, dict], student: str, level: str,
          metric: str = "examples_to_threshold_ratio") -> str:
    """Markdown: policies as rows, profiles as columns, ``mean [lo, hi]`` of ``metric``."""
    profiles = [p for p in results if student in results[p]["students"]
                and level in results[p]["students"][student]["levels"]]
    cells = {p: results[p]["students"][student]["levels"][level]["policies"] for p in profiles}
    policies = list(dict.fromkeys(k for p in profiles for k in cells[p]))
    lines = [f"| policy | {' | '.join(profiles)} |", "|---" * (len(profiles) + 1) + "|"]
    for policy in policies:
        row = []
        for p in profiles:
            e = cells[p].get(policy, {}).get(metric)
            row.append("-" if e is None else f"{e['mean']:.2f} [{e['ci95'][0]:.2f}, {e['ci95'][1]:.2f}]")
        lines.append(f"| {policy} | {' | '.join(row)} |")
    return "\n".join(lines)


_COLORS = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]


def report_html(results: Mapping[str, dict], curves: Mapping[tuple, Mapping[str, Mapping[int, Curve]]],
                path: Path) -> None:
    """One self-contained page: per student and level, the table of examples-to-threshold
    ratios (policies x profiles), then per profile the mean curve of each policy with its 95%
    bootstrap band over seeds."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from envs.curves import band

    parts, first = [], True
    for (profile, student, level), by_policy in curves.items():
        fig = go.Figure()
        for k, (policy, by_seed) in enumerate(by_policy.items()):
            b = band(list(by_seed.values()))
            color = _COLORS[k % len(_COLORS)]
            fig.add_trace(go.Scatter(x=list(b.x) + list(b.x)[::-1], y=list(b.hi) + list(b.lo)[::-1],
                                     fill="toself", fillcolor=color, opacity=0.15,
                                     line={"width": 0}, hoverinfo="skip", showlegend=False))
            fig.add_trace(go.Scatter(x=list(b.x), y=list(b.mean), mode="lines", name=policy,
                                     line={"color": color}))
        threshold = results[profile]["threshold"]
        fig.add_hline(y=threshold, line_dash="dot", annotation_text=f"threshold {threshold}")
        fig.update_layout(title=f"{profile}, {student}, {level}: mean test accuracy "
                                f"(band: 95% bootstrap over {b.n} seeds)",
                          xaxis_title="examples used", yaxis_title="mean test accuracy",
                          template="plotly_white", height=420)
        parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=first))
        first = False
    tables = []
    for student, level in dict.fromkeys((s, lv) for _, s, lv in curves):
        for metric in ("examples_to_threshold_ratio", "aulc_ratio", "vs_oracle"):
            md = table(results, student, level, metric).splitlines()
            rows = [line.strip("|").split("|") for line in md if not line.startswith("|---")]
            html = "".join("<tr>" + "".join(f"<td>{c.strip()}</td>" for c in row) + "</tr>"
                           for row in rows)
            tables.append(f"<h3>{student}, {level}: {metric} (mean [95% interval])</h3>"
                          f"<table border='1' cellpadding='4'>{html}</table>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<html><head><meta charset='utf-8'><title>Curriculab teaching benchmark"
                    "</title></head><body><h1>Teaching benchmark</h1>" + "".join(tables)
                    + "".join(parts) + "</body></html>")
