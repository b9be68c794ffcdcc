"""A run's LLM account in words, for ``curriculab show`` and the app's Cost view: calls sent,
succeeded and failed by kind, cache replays, tokens, the usable-output shares, fallbacks."""

from __future__ import annotations

from typing import Any


def share(s: dict[str, Any]) -> str:
    """``{"n": 3, "of": 4, "share": 0.75}`` -> ``"75% (3/4)"``."""
    return "–" if s["share"] is None else f"{s['share']:.0%} ({s['n']}/{s['of']})"


def kinds(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts.items()) or "none"


def lines(usage: dict[str, Any] | None) -> list[str]:
    """Terminal lines; none for a run without LLM calls."""
    if not usage:
        return []
    c, t, u, ex = usage["calls"], usage["tokens"], usage["usable"], usage["examples"]
    cost = "no price known" if usage["cost_usd"] is None else f"${usage['cost_usd']:.4f}"
    out = [f"LLM: {c['sent']} calls sent, {c['succeeded']} succeeded, {c['failed']} failed"
           f" ({kinds(c['failed_by_kind'])}); {c['cache_replays']} cache replays (not sent,"
           f" not paid)",
           f"  tokens paid for: {t['in']:,} in, {t['out']:,} out ({cost}); replayed:"
           f" {t['replayed_in']:,} in, {t['replayed_out']:,} out"]
    if c["refused_features"]:
        out.append(f"  features the endpoint refused: {kinds(c['refused_features'])}")
    out.append(f"  usable: plans {share(u['plans'])} of policy calls; example calls"
               f" {share(u['example_calls'])} gave a kept example; examples kept"
               f" {share(u['examples_kept'])} of those written")
    rejected = {**ex["rejected_by_engine"], **{f"QC {k}": n for k, n in
                                               ex["rejected_by_qc"].items()}}
    if rejected:
        out.append(f"  rejected: {kinds(rejected)}")
    fb = usage["fallback_plans"]
    out.append(f"  fallback plans: {len(fb)} of {usage['plans']}" + "".join(
        f"; iteration {f['iteration']}: {f['fallback']} ({f['reason'][:80]})" for f in fb))
    return out


def markdown(usage: dict[str, Any]) -> str:
    """The same account as a short markdown block (the Cost view)."""
    c, u = usage["calls"], usage["usable"]
    fb = usage["fallback_plans"]
    return "\n".join([
        f"**Usable output** — plans: **{share(u['plans'])}** of policy calls · example calls"
        f" with a kept example: **{share(u['example_calls'])}** · examples kept:"
        f" **{share(u['examples_kept'])}** of those written",
        f"**Calls** — {c['sent']} sent, {c['succeeded']} succeeded, {c['failed']} failed"
        f" ({kinds(c['failed_by_kind'])}); {c['cache_replays']} cache replays, not counted as"
        " spending",
        f"**Fallback plans** — {len(fb)} of {usage['plans']}" + (
            ": " + "; ".join(f"iteration {f['iteration']} ({f['fallback']})" for f in fb)
            if fb else ""),
    ])
