"""A run's LLM account in words, for ``curriculab show`` and the app's Cost and Curriculum
views: calls sent, succeeded and failed by kind, cache replays, tokens, the usable-output
shares, why examples were rejected, fallbacks. The numbers are ``llm_usage``'s, never
computed again here."""

from __future__ import annotations

from typing import Any


def share(s: dict[str, Any]) -> str:
    """``{"n": 3, "of": 4, "share": 0.75}`` -> ``"75% (3/4)"``."""
    return "–" if s["share"] is None else f"{s['share']:.0%} ({s['n']}/{s['of']})"


def kinds(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts.items()) or "none"


def reasons(counts: dict[str, int]) -> str:
    """``{"too long": 3}`` -> ``"too long (3)"``."""
    return ", ".join(f"{k} ({n})" for k, n in counts.items()) or "none"


def rejected(usage: dict[str, Any]) -> dict[str, int]:
    """Why the teacher's examples were not kept, with counts: the engine's own check first,
    then the quality checks (``QC ...``)."""
    ex = usage["examples"]
    return {**ex["rejected_by_engine"], **{f"QC {k}": n for k, n in ex["rejected_by_qc"].items()}}


def lines(usage: dict[str, Any] | None) -> list[str]:
    """Terminal lines, the usable shares first; none for a run without LLM calls."""
    if not usage:
        return []
    c, t, u = usage["calls"], usage["tokens"], usage["usable"]
    cost = "no price known" if usage["cost_usd"] is None else f"${usage['cost_usd']:.4f}"
    out = [f"LLM: {c['sent']} calls sent, {c['succeeded']} succeeded, {c['failed']} failed"
           f" ({kinds(c['failed_by_kind'])}); {c['cache_replays']} cache replays (not sent,"
           f" not paid)",
           f"  usable: plans {share(u['plans'])} of policy calls; example calls"
           f" {share(u['example_calls'])} gave a kept example; examples kept"
           f" {share(u['examples_kept'])} of those written"]
    if rejected(usage):
        out.append(f"  rejected: {reasons(rejected(usage))}")
    fb = usage["fallback_plans"]
    out.append(f"  fallback plans: {len(fb)} of {usage['plans']}" + "".join(
        f"; iteration {f['iteration']}: {f['fallback']} ({clip(f['reason'], 120)})" for f in fb))
    out.append(f"  tokens paid for: {t['in']:,} in, {t['out']:,} out ({cost}); replayed:"
               f" {t['replayed_in']:,} in, {t['replayed_out']:,} out")
    if c["refused_features"]:
        out.append(f"  features the endpoint refused: {kinds(c['refused_features'])}")
    return out


def glance(usage: dict[str, Any]) -> str:
    """How much of the teacher's output was usable, as a short markdown block (the
    Curriculum and Cost views): usable plans and example calls, examples kept and why the
    rest were rejected, fallback plans."""
    u, fb = usage["usable"], usage["fallback_plans"]
    why = rejected(usage)
    return "\n\n".join([
        f"**LLM teacher: usable output** — plans: **{share(u['plans'])}** of the policy's"
        f" calls · example calls that gave a kept example: **{share(u['example_calls'])}**",
        f"**Examples kept** — **{share(u['examples_kept'])}** of those it wrote"
        + (f"; rejected: {_escape(reasons(why))}" if why else "; none rejected"),
        f"**Fallback plans** — **{len(fb)} of {usage['plans']}** iterations"
        + (": " + "; ".join(f"iteration {f['iteration']} ({f['fallback']}: "
                            f"{_escape(clip(f['reason'], 120))})" for f in fb) if fb else ""),
    ])


def markdown(usage: dict[str, Any]) -> str:
    """The whole account as a short markdown block (the Cost view): the glance, then calls."""
    c = usage["calls"]
    return glance(usage) + "\n\n" + (
        f"**Calls** — {c['sent']} sent, {c['succeeded']} succeeded, {c['failed']} failed"
        f" ({kinds(c['failed_by_kind'])}); {c['cache_replays']} cache replays, not counted as"
        " spending")


def clip(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters, an ellipsis saying so."""
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def _escape(text: str) -> str:
    """Text from the history (reasons, skill names) shown as itself in markdown."""
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text
