"""Forgetting alerts: a skill whose val accuracy fell well below its best so far.

A student trained on some skills can lose others (catastrophic forgetting in a small model,
or a teacher that starved a skill). Not offered by the usual inspection tools; here every
iteration where a skill sits ``threshold`` or more below its best raises an alert, recorded
in the history and listed in the run's summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from envs.records import Alert, SkillProfile

EPS = 1e-9  # accuracies are ratios of small counts: 0.9 - 0.8 must count as a 0.1 drop


def forgetting_alerts(iteration: int, past: Sequence[Mapping[str, float]], current: SkillProfile,
                      threshold: float = 0.10) -> tuple[Alert, ...]:
    """Alerts at ``iteration`` given the val accuracies of every earlier iteration (``past[k]``
    is iteration ``k``) and the ``current`` val profile."""
    alerts = []
    for score in current.scores:
        history = [(acc[score.skill], k) for k, acc in enumerate(past) if score.skill in acc]
        if not history:
            continue
        best, at = max(history, key=lambda h: (h[0], -h[1]))  # the earliest iteration at the best
        if best - score.accuracy >= threshold - EPS:
            alerts.append(Alert(iteration, score.skill, best, at, score.accuracy))
    return tuple(alerts)


def summarise_alerts(alerts: Sequence[Alert]) -> list[dict]:
    """Per skill: the first iteration it was alerted, its best, its worst drop and how often."""
    out: dict[str, dict] = {}
    for a in sorted(alerts, key=lambda a: (a.iteration, a.skill)):
        entry = out.setdefault(a.skill, {"skill": a.skill, "first_iteration": a.iteration,
                                         "best": a.best, "best_iteration": a.best_iteration,
                                         "worst": a.accuracy, "worst_drop": a.drop,
                                         "last_iteration": a.iteration, "iterations": 0})
        entry["iterations"] += 1
        entry["last_iteration"] = a.iteration
        if a.drop > entry["worst_drop"]:
            entry.update(best=a.best, best_iteration=a.best_iteration, worst=a.accuracy,
                         worst_drop=a.drop)
    return list(out.values())
