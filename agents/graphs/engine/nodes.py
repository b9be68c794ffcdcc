"""Nodes of the engine graph: plain functions ``(state, runtime) -> partial update``."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from langgraph.graph import END
from langgraph.runtime import Runtime

from agents.graphs.engine.context import EngineContext
from agents.graphs.engine.prompts import (
    ANSWER_SYSTEM, WRITE_SYSTEM, AnswersOut, ExamplesOut, answer_prompt, write_prompt)
from agents.graphs.engine.state import Candidate, EngineState, Target
from agents.llm.errors import CallFailed
from agents.llm.request import Request, chat
from envs.quality.checks import normalise
from students.seeding import derive_seed


def shortfalls(state: EngineState) -> list[tuple[Target, int]]:
    """Targets still short of examples, with how many are missing."""
    have = Counter((c["skill"], c["subskill"]) for c in state.get("kept", []))
    missing = [(t, t["want"] - have[(t["skill"], t["subskill"])]) for t in state["targets"]]
    return [(t, n) for t, n in missing if n > 0]


def write(state: EngineState, runtime: Runtime[EngineContext]) -> dict:
    """One call per batch of every shortfall; failed calls are counted, not fatal. Each batch
    asks for a ``spare`` fraction more than it needs, so a few rejects rarely cost a round."""
    ctx, round_ = runtime.context, state.get("round", 0)
    requests: list[Request] = []
    owners: list[Target] = []
    for target, missing in shortfalls(state):
        for b, n in enumerate(_batches(missing, ctx.batch_size)):
            extra = math.floor(n * ctx.spare + 0.5)
            requests.append(_write_request(ctx, target, n + extra, b, round_))
            owners.append(target)
    candidates: list[Candidate] = []
    calls = {k: list(v) for k, v in state.get("calls", {}).items()}
    for b, (target, reply) in enumerate(zip(owners, ctx.llm.complete_all(requests))):
        tally = calls.setdefault(_key(target["skill"], target["subskill"]), [0, 0])
        if isinstance(reply, CallFailed):
            tally[1] += 1
            continue
        tally[0] += 1
        candidates += [Candidate(skill=target["skill"], subskill=target["subskill"],
                                 prompt=ex.prompt.strip(), answer=ex.answer.strip(),
                                 call_id=reply.call_id, batch=b, samples=[])
                       for ex in reply.parsed.examples]
    return {"candidates": candidates, "calls": calls}


def answer(state: EngineState, runtime: Runtime[EngineContext]) -> dict:
    """Agreement check without an oracle: ``samples`` independent answers per written prompt."""
    ctx, round_ = runtime.context, state.get("round", 0)
    batches: dict[int, list[Candidate]] = {}
    for c in state["candidates"]:
        batches.setdefault(c["batch"], []).append(c)
    requests, owners = [], []
    for b, group in batches.items():
        for s in range(ctx.samples):
            requests.append(chat(
                ANSWER_SYSTEM, answer_prompt(ctx.task, group[0]["skill"], [c["prompt"] for c in group]),
                AnswersOut, role="engine-check", label=group[0]["skill"], iteration=ctx.iteration,
                seed=derive_seed(ctx.seed, "llm-answer", ctx.iteration, round_, b, s)))
            owners.append(group)
    samples: dict[int, list[str | None]] = {id(c): [] for c in state["candidates"]}
    for group, reply in zip(owners, ctx.llm.complete_all(requests)):
        given = {} if isinstance(reply, CallFailed) else {a.index: a.answer.strip()
                                                           for a in reply.parsed.answers}
        for i, c in enumerate(group):
            samples[id(c)].append(given.get(i))
    return {"candidates": [{**c, "samples": samples[id(c)]} for c in state["candidates"]]}


def check(state: EngineState, runtime: Runtime[EngineContext]) -> dict:
    """Keep what is new, answerable and not surplus; take the task's (or the agreed) answer."""
    ctx = runtime.context
    kept, rejected = list(state.get("kept", [])), list(state.get("rejected", []))
    checked = {k: list(v) for k, v in state.get("checked", {}).items()}
    seen = {normalise(c["prompt"]) for c in kept}
    have = Counter((c["skill"], c["subskill"]) for c in kept)
    want = {(t["skill"], t["subskill"]): t["want"] for t in state["targets"]}
    for c in state.get("candidates", []):
        key = (c["skill"], c["subskill"])
        reason, final, wrong = _verdict(ctx, c, seen)
        if wrong is not None:
            tally = checked.setdefault(_key(*key), [0, 0])
            tally[0], tally[1] = tally[0] + 1, tally[1] + int(wrong)
        if reason is None and have[key] >= want[key]:
            reason = "surplus: the plan's count for this skill is already met"
        if reason is not None:
            rejected.append({**c, "reason": reason})
            continue
        kept.append({**c, "answer": final})
        seen.add(normalise(c["prompt"]))
        have[key] += 1
    return {"kept": kept, "rejected": rejected, "checked": checked, "candidates": [],
            "round": state.get("round", 0) + 1}


def route_after_write(state: EngineState, runtime: Runtime[EngineContext]) -> Literal["check", "answer"]:
    return "check" if runtime.context.oracle or not state.get("candidates") else "answer"


def route_after_check(state: EngineState, runtime: Runtime[EngineContext]) -> Literal["write", "__end__"]:
    """Top up the shortfall, up to ``max_rounds`` rounds of writing."""
    if state["round"] >= runtime.context.max_rounds or not shortfalls(state):
        return END
    return "write"


# -- helpers ------------------------------------------------------------------------------
def _write_request(ctx: EngineContext, target: Target, n: int, batch: int, round_: int) -> Request:
    skill, sub = target["skill"], target["subskill"]
    text = write_prompt(ctx.task, ctx.plan, ctx.observation, skill, sub, n, batch=batch,
                        round=round_, errors_shown=ctx.errors_shown,
                        examples_shown=ctx.examples_shown)
    return chat(WRITE_SYSTEM, text, ExamplesOut, role="engine", label=_key(skill, sub),
                iteration=ctx.iteration,
                seed=derive_seed(ctx.seed, "llm-engine", ctx.iteration, skill, sub, round_, batch))


def _batches(n: int, size: int) -> list[int]:
    return [min(size, n - i) for i in range(0, n, size)]


def _key(skill: str, sub: str | None) -> str:
    return skill if sub is None else f"{skill}/{sub}"


def _verdict(ctx: EngineContext, c: Candidate, seen: set[str]) -> tuple[str | None, str, bool | None]:
    """(rejection reason or None, the answer to train on, whether the teacher's answer was
    wrong — None when it could not be compared)."""
    prompt = normalise(c["prompt"])
    if not prompt:
        return "empty prompt", "", None
    if prompt in seen:
        return "duplicate prompt", "", None
    if prompt in ctx.heldout:
        return "copies a val/test item", "", None
    if ctx.oracle:
        expected = ctx.task.oracle(c["skill"], c["prompt"])
        if expected is None:
            return f"the task cannot answer it: not a {c['skill']!r} prompt", "", None
        return None, expected, not ctx.task.score(expected, c["answer"])
    return _agreement(ctx, c)


def _agreement(ctx: EngineContext, c: Candidate) -> tuple[str | None, str, bool | None]:
    votes = [a for a in [c["answer"], *c.get("samples", [])] if a]
    if len(votes) < 2:
        return "no independent answer to check against", "", None
    groups: list[list[str]] = []
    for vote in votes:
        home = next((g for g in groups if ctx.task.score(g[0], vote)), None)
        home.append(vote) if home is not None else groups.append([vote])
    best = max(groups, key=len)
    if 2 * len(best) <= len(votes):
        return f"samples disagree: {_votes(votes)}", "", None
    teacher_wrong = not (c["answer"] and ctx.task.score(best[0], c["answer"]))
    return None, best[0], teacher_wrong


def _votes(votes: Sequence[str]) -> str:
    return ", ".join(repr(v[:40]) for v in votes)
