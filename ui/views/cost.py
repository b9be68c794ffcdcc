"""View 9, Cost: tokens and dollars per iteration and per skill, dollars per point of
accuracy gained ("no LLM" for algorithmic teachers), and how much of the teacher's output was
usable: plans, calls that gave a kept example, examples kept, fallback plans. Cache replays
were not sent: they are counted apart, never as spending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from envs.history import summaries
from envs.history.llm_usage import llm_usage
from ui import charts, llm_account
from ui.handlers import Deps, On, Shared, follow_run, missing, pct

NO_LLM = "no LLM"


@dataclass(frozen=True, slots=True)
class CostView:
    text: gr.Markdown
    per_iteration: gr.Plot
    per_skill: gr.Plot
    table: gr.Dataframe


def build() -> CostView:
    text = gr.Markdown()
    with gr.Row():
        per_iteration = gr.Plot(label="Per iteration")
        per_skill = gr.Plot(label="Per skill")
    return CostView(text, per_iteration, per_skill,
                    gr.Dataframe(label="Per skill", interactive=False))


def wire(view: CostView, shared: Shared, on: On) -> None:
    follow_run(on, shared, load_cost, [shared.run],
               [view.text, view.per_iteration, view.per_skill, view.table], "load_cost")


def load_cost(deps: Deps, run_id: str | None) -> tuple[str, Any, Any, pd.DataFrame]:
    """Summary, dollars per iteration, dollars per skill, and the per-skill table."""
    if not run_id:
        blank = charts.empty("Cost", "pick a run")
        return "", blank, blank, pd.DataFrame()
    found = summaries.cost(deps.history, run_id)
    if not found["llm"]:
        blank = charts.empty("Cost", NO_LLM)
        return (f"**{NO_LLM}**: this run's teacher is algorithmic, so it made no LLM calls and"
                " cost nothing in tokens.", blank, blank, pd.DataFrame({"cost": [NO_LLM]}))
    usage = llm_usage(deps.history, run_id)
    priced = usage is None or usage["cost_usd"] is not None
    text = summary(found, priced) + ("\n\n" + llm_account.markdown(usage) if usage else "")
    return (text, charts.cost_per_iteration(found["per_iteration"]),
            charts.cost_per_skill(found["per_skill"]), skill_table(found))


def per_point(dollars: float, start: float | None, end: float | None) -> str:
    """Dollars per percentage point of test accuracy gained, in words."""
    if missing(start) or missing(end):
        return "–"
    gained = 100 * (float(end) - float(start))
    if gained <= 0:
        return f"no gain ({gained:+.1f} pts)"
    return f"${dollars / gained:.4f} per point"


def summary(found: dict[str, Any], priced: bool = True) -> str:
    """Calls, tokens and dollars in one line; ``priced`` False (no price known for the model)
    says so rather than $0."""
    its = found["per_iteration"]
    dollars = float(its.cost_usd.sum())
    replays = int(its.replays.sum()) if "replays" in its else 0
    spent = f"**${dollars:.4f}**" if priced else "no dollars (no price known: llm.prices)"
    gain = (f": **{per_point(dollars, found['test_start'], found['test_end'])}**" if priced
            else "")
    return (f"**{int(its.calls.sum())} LLM calls sent** ({replays} cache replays, not paid),"
            f" {int(its.tokens_in.sum()):,} input and "
            f"{int(its.tokens_out.sum()):,} output tokens, {spent}. Mean test accuracy "
            f"{pct(found['test_start'])} → {pct(found['test_end'])}{gain}.")


def skill_table(found: dict[str, Any]) -> pd.DataFrame:
    """Per skill: tokens, dollars, test accuracy start -> end and dollars per point."""
    cost = found["per_skill"].merge(found["gain"], on="skill", how="left")
    cost["cost_usd"] = cost.cost_usd.round(4)
    cost["usd_per_point"] = [per_point(c, s, e) for c, s, e in zip(cost.cost_usd, cost.start, cost["end"])]
    cost["test start → end"] = [f"{pct(s)} → {pct(e)}" for s, e in zip(cost.start, cost["end"])]
    return cost[["skill", "calls", "tokens_in", "tokens_out", "cost_usd", "test start → end",
                 "usd_per_point"]]
