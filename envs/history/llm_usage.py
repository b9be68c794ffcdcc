"""A run's LLM account from the history: what was sent, what came back usable, what it cost.

    usage = llm_usage(history, run_id)   # None for a run that made no LLM call

- ``calls``: attempts sent to the endpoint (cache replays are not sent and cost nothing),
  succeeded, failed by kind; logical calls; cache replays; tokens paid for and replayed;
  dollars (None when no price is known); refused features;
- ``usable``: the share of the teacher's calls that gave a usable plan (policy) or at least
  one example kept (engine); the share of the examples it wrote that were kept, and why the
  rest were rejected (the engine's own check, then the quality checks);
- ``fallback_plans``: iterations whose plan is not the LLM's, with the reason.
"""

from __future__ import annotations

import json
from typing import Any

from envs.history.database import History


def llm_usage(history: History, run_id: str) -> dict[str, Any] | None:
    with history.reader() as con:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        if "llm_calls" not in tables:
            return None
        q = lambda sql: con.execute(sql, [run_id]).fetchall()  # noqa: E731
        sent, ok, replays, logical, tin, tout, rin, rout, usd, priced = q("""
            SELECT count(*) FILTER (WHERE NOT cache_hit),
                   count(*) FILTER (WHERE status = 'ok'),
                   count(*) FILTER (WHERE cache_hit),
                   count(DISTINCT call_id),
                   coalesce(sum(tokens_in) FILTER (WHERE NOT cache_hit), 0),
                   coalesce(sum(tokens_out) FILTER (WHERE NOT cache_hit), 0),
                   coalesce(sum(tokens_in) FILTER (WHERE cache_hit), 0),
                   coalesce(sum(tokens_out) FILTER (WHERE cache_hit), 0),
                   sum(cost_usd) FILTER (WHERE NOT cache_hit),
                   count(cost_usd) FILTER (WHERE NOT cache_hit)
            FROM llm_calls WHERE run_id = ?""")[0]
        if not sent and not replays:
            return None
        errors = dict(q("""SELECT error_kind, count(*) FROM llm_calls
                           WHERE run_id = ? AND status = 'error' GROUP BY 1 ORDER BY 2 DESC"""))
        roles = {role: {"sent": s, "succeeded": k, "failed": f, "replayed": r}
                 for role, s, k, f, r in q("""
            SELECT role, count(*) FILTER (WHERE NOT cache_hit),
                   count(*) FILTER (WHERE status = 'ok'),
                   count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE cache_hit)
            FROM llm_calls WHERE run_id = ? GROUP BY 1 ORDER BY 1""")}
        refused = dict(q("""SELECT coalesce(feature, mode), count(*) FROM llm_calls
                            WHERE run_id = ? AND error_kind = 'refused' GROUP BY 1"""))
        plans = q("""SELECT iteration, "values" FROM plans WHERE run_id = ? ORDER BY iteration""")
        policy_calls = q("""SELECT count(DISTINCT call_id) FROM llm_calls
                            WHERE run_id = ? AND role = 'policy'""")[0][0]
        engine_calls, engine_useful = q("""
            SELECT count(DISTINCT l.call_id),
                   count(DISTINCT l.call_id) FILTER (WHERE l.call_id IN (
                       SELECT call_id FROM examples WHERE run_id = l.run_id AND kept))
            FROM llm_calls l WHERE l.run_id = ? AND l.role = 'engine'""")[0]
        written_kept = q("""SELECT count(*) FILTER (WHERE kept), count(*) FROM examples
                            WHERE run_id = ? AND engine = 'llm'""")[0]
        engine_rejects = dict(q("""SELECT split_part(reason, ':', 1), count(*) FROM llm_rejects
                                   WHERE run_id = ? GROUP BY 1 ORDER BY 2 DESC"""))
        qc_rejects = dict(q("""SELECT split_part(reason, ':', 1), count(*) FROM examples
                               WHERE run_id = ? AND engine = 'llm' AND NOT kept
                               GROUP BY 1 ORDER BY 2 DESC"""))
    fallbacks, usable_plans = [], 0
    for iteration, values in plans:
        v = json.loads(values) if isinstance(values, str) else (values or {})
        if v.get("fallback"):
            fallbacks.append({"iteration": int(iteration), "fallback": v["fallback"],
                              "reason": str(v.get("fallback_reason") or "")[:200]})
        elif v.get("call_id"):
            usable_plans += 1
    kept, handed = int(written_kept[0]), int(written_kept[1])
    written = handed + sum(engine_rejects.values())
    return {
        "calls": {"logical": int(logical), "sent": int(sent), "succeeded": int(ok),
                  "failed": int(sent - ok), "failed_by_kind": {k: int(n) for k, n in errors.items()},
                  "cache_replays": int(replays), "by_role": roles,
                  "refused_features": {k: int(n) for k, n in refused.items()}},
        "tokens": {"in": int(tin), "out": int(tout), "replayed_in": int(rin),
                   "replayed_out": int(rout)},
        "cost_usd": None if not priced else round(float(usd), 6),
        "usable": {
            "plans": _share(usable_plans, policy_calls),
            "example_calls": _share(engine_useful, engine_calls),
            "examples_kept": _share(kept, written),
        },
        "examples": {"written": written, "handed_to_qc": handed, "kept": kept,
                     "rejected_by_engine": {k: int(n) for k, n in engine_rejects.items()},
                     "rejected_by_qc": {k: int(n) for k, n in qc_rejects.items()}},
        "fallback_plans": fallbacks,
        "plans": len(plans),
    }


def _share(part: int, whole: int) -> dict[str, Any]:
    return {"n": int(part), "of": int(whole),
            "share": round(part / whole, 4) if whole else None}
