"""A run's report, computed from the history alone: per-skill start/end accuracy, per-iteration
series and phase timings, and the loop overhead."""

from __future__ import annotations

from typing import Any

from envs.alerts import summarise_alerts
from envs.history.database import History
from envs.history.liveness import shown_status
from envs.history.queries import alerts, iterations, rejections, run_row, skill_scores, yields

CORE_PHASES = ("evaluate", "train", "generate")


def run_report(history: History, run_id: str) -> dict[str, Any]:
    """A JSON-able report of one run (what ``curriculab show --json`` prints)."""
    row = run_row(history, run_id)
    its, scores = iterations(history, run_id), skill_scores(history, run_id)
    row["status"] = shown_status(row, its[its.iteration > 0].t_total.mean() if len(its) else None)
    series = []
    for _, it in its.iterrows():
        at = scores[scores.iteration == it.iteration]
        series.append({
            "iteration": int(it.iteration),
            "examples_used": int(it.examples_used),
            "examples_generated": int(it.examples_generated),
            "examples_kept": int(it.examples_kept),
            "timings": {p: round(float(it[f"t_{p}"]), 4) for p in
                        ("evaluate", "plan", "generate", "check", "train")},
            "seconds": round(float(it.t_total), 4),
            "reward": None if it.reward != it.reward or it.reward is None else float(it.reward),
            **{split: {s.skill: float(s.accuracy) for s in at[at.split == split].itertuples()}
               for split in ("val", "test")},
            "val_mean": float(it.val_mean), "test_mean": float(it.test_mean),
        })
    return {
        "run": {k: _plain(row[k]) for k in ("run_id", "status", "task", "level", "policy",
                                            "engine", "student", "seed", "iterations", "budget",
                                            "created_at", "message")},
        "config": row["config"], "versions": row["versions"],
        "iterations": series,
        "skills": skill_table(series),
        "overhead": overhead(its),
        "alerts": summarise_alerts(alerts(history, run_id)),
        "yields": yield_table(history, run_id),
    }


def yield_table(history: History, run_id: str) -> list[dict[str, Any]]:
    """Per iteration and skill: examples generated and kept, the yield (kept / generated), how
    many the student already knew before training, and the rejections by reason."""
    frame = yields(history, run_id)
    rejected = rejections(history, run_id)
    reasons: dict[tuple[int, str], dict[str, int]] = {}
    for r in rejected.itertuples():
        reasons.setdefault((int(r.iteration), r.skill), {})[r.reason] = int(r.n)
    return [{"iteration": int(r.iteration), "skill": r.skill, "generated": int(r.generated),
             "kept": int(r.kept), "yield": round(r.kept / r.generated, 4) if r.generated else None,
             "known": int(r.known), "judged": int(r.judged),
             "rejected": reasons.get((int(r.iteration), r.skill), {})}
            for r in frame[frame.subskill.isna()].itertuples()]


def skill_table(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per skill: val and test accuracy at the first and the last recorded iteration."""
    if not series:
        return []
    first, last = series[0], series[-1]
    return [{"skill": skill, "val_start": first["val"].get(skill), "val_end": last["val"].get(skill),
             "test_start": first["test"].get(skill), "test_end": last["test"].get(skill)}
            for skill in first["val"]]


def overhead(its) -> dict[str, float] | None:
    """Time inside the iterations but outside evaluate, train and generate, as seconds and a
    fraction of the time inside them.

    Summed iteration by iteration: a resumed run's pause between its kill and its resume is
    no time of the loop, and iterations that overlap (two processes wrote one run, in a
    history from before that was refused) must not make it negative."""
    if its.empty:
        return None
    core_each = sum(its[f"t_{p}"].fillna(0.0) for p in CORE_PHASES)
    wall = float(its.t_total.fillna(0.0).sum())
    core = float(core_each.clip(upper=its.t_total.fillna(0.0)).sum())
    return {"wall_s": round(wall, 3), "core_s": round(core, 3),
            "overhead_s": round(wall - core, 3),
            "overhead_fraction": round((wall - core) / wall, 4) if wall > 0 else 0.0,
            # inside the overhead: the policy's own time (an LLM policy's calls are most of it)
            "plan_s": round(float(its.t_plan.fillna(0.0).sum()), 3)}


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
