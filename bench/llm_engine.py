"""Benchmark: the LLM engine against an OpenAI-compatible server with a fixed latency per call.

    python bench/llm_engine.py            # 512 examples, concurrency 16, 200 ms per call

The scripted chat server (tests/fakes) runs in its own process on 127.0.0.1, as a real server
would. The engine writes a plan of ``--examples`` examples over ``--skills`` skills of arith-v0
in batches of ``--batch-size``, through the real ``openai`` client, with every call logged and
cached in a DuckDB history; as in a run, the iteration's plan call comes first. Printed as
JSON: the wall time of ``generate`` (the first of a run, and the next on warm connections);
the ideal time (calls / concurrency x latency: perfectly packed calls, no overhead) and the
ratio; the same generation replayed from the cache; and the baseline, the bare ``openai``
client sending the same requests with nothing around it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scripted server lives in tests/fakes

import openai  # noqa: E402
from openai.types.chat import ChatCompletion  # noqa: E402

from agents.allocation import largest_remainder  # noqa: E402
from agents.engine import make_engine  # noqa: E402
from agents.policy import make_policy  # noqa: E402
from agents.llm.client import LLMClient  # noqa: E402
from agents.llm.config import LLMConfig  # noqa: E402
from envs.evaluation import score_answers  # noqa: E402
from envs.history.database import History  # noqa: E402
from envs.records import Answer, Observation, Plan, SkillProfile  # noqa: E402
from envs.tasks.task import make  # noqa: E402


def serve(conn, latency: float) -> None:
    """The chat server's process: answers write requests with arith examples."""
    from tests.fakes.chat_server import ScriptedServer
    from tests.fakes.teacher import ScriptedTeacher

    with ScriptedServer(ScriptedTeacher(make("arith-v0")), latency=latency) as server:
        conn.send(server.url)
        conn.recv()  # until the benchmark is done


def observation(task) -> Observation:
    answers = tuple(Answer(i, "0", False) for i in task.split("val"))
    return Observation(0, SkillProfile("val", score_answers(task, answers), answers), answers[::5])


def measure(args: argparse.Namespace, url: str) -> dict:
    task = make("arith-v0")
    skills = [s.name for s in task.skills if s.parent is None][: args.skills]
    plan = Plan(largest_remainder({s: 1.0 for s in skills}, args.examples), "benchmark")
    obs = observation(task)
    with tempfile.TemporaryDirectory() as tmp:
        history = History(Path(tmp) / "bench.duckdb")
        history.ensure()
        config = LLMConfig(base_url=url, model="bench", concurrency=args.concurrency, timeout=30)
        with LLMClient(config, history=history, run_id="bench") as llm:
            engine = make_engine("llm", task=task, llm=llm, batch_size=args.batch_size)
            # As in a run, the iteration's plan call comes first (and opens the connections).
            make_policy("llm", llm=llm, task=task).plan(obs, args.examples)
            first = timed(llm, lambda: engine.generate(plan, obs, iteration=1, seed=0))
            # the next iteration's generation, on connections the first one opened
            warm = timed(llm, lambda: engine.generate(plan, obs, iteration=2, seed=1))
            replay = timed(llm, lambda: engine.generate(plan, obs, iteration=1, seed=0))
        logged = history.scalar("SELECT count(*) FROM llm_calls")
        bodies = [json.loads(r[0]) for r in history.rows(
            "SELECT request FROM llm_cache WHERE cache_key IN (SELECT cache_key FROM llm_calls"
            " WHERE role = 'engine' AND iteration = 1 AND status = 'ok')")]
    base = asyncio.run(baseline(url, bodies, args.concurrency))
    ideal = first["calls"] / args.concurrency * args.latency
    return {"examples": first["examples"], "calls": first["calls"],
            "concurrency": args.concurrency, "latency_s": args.latency,
            "batch_size": args.batch_size, "wall_s": first["wall"], "ideal_s": round(ideal, 3),
            "ratio": round(first["wall"] / ideal, 3),
            "warm_wall_s": warm["wall"], "warm_ratio": round(
                warm["wall"] / (warm["calls"] / args.concurrency * args.latency), 3),
            "replay_wall_s": replay["wall"], "replay_calls": replay["calls"],
            "calls_logged": logged, "baseline_wall_s": round(base, 3),
            "baseline_ratio": round(base / (len(bodies) / args.concurrency * args.latency), 3)}


async def baseline(url: str, requests: list[dict], concurrency: int) -> float:
    """The bare ``openai`` client sending the same requests (as the engine does: one connection
    already open, at most ``concurrency`` in flight): no engine, cache, log or checks."""
    async with openai.AsyncOpenAI(base_url=url, api_key="bench", max_retries=0) as api:
        def body(r: dict, seed: int) -> dict:  # a fresh seed: the server writes anew
            fmt = {"name": "ExamplesOut", "schema": r["schema"], "strict": False}
            return {"model": r["model"], "messages": r["messages"], **r["params"], "seed": seed,
                    "response_format": {"type": "json_schema", "json_schema": fmt}}
        await api.post("/chat/completions", cast_to=ChatCompletion, body=body(requests[0], 1))
        slots = asyncio.Semaphore(concurrency)

        async def one(i: int, r: dict) -> None:
            async with slots:
                await api.post("/chat/completions", cast_to=ChatCompletion, body=body(r, 10**6 + i))

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
        return time.perf_counter() - t0


def timed(llm: LLMClient, generate) -> dict:
    calls = llm.stats["calls"]
    t0 = time.perf_counter()
    examples = generate()
    return {"wall": round(time.perf_counter() - t0, 3), "examples": len(examples),
            "calls": llm.stats["calls"] - calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=512)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per call")
    parser.add_argument("--batch-size", type=int, default=8, help="examples per call")
    parser.add_argument("--skills", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs after one warm-up run; the median is reported")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=serve, args=(theirs, args.latency), daemon=True)
    server.start()
    try:
        url = ours.recv()
        warmup = measure(args, url)  # the fake server's first requests pay its own start-up
        runs = [measure(args, url) for _ in range(args.repeat)]
    finally:
        ours.send("stop")
        server.join(timeout=10)
    best = sorted(runs, key=lambda r: r["ratio"])[len(runs) // 2]
    print(json.dumps({**best, "ratios": [r["ratio"] for r in runs],
                      "warm_ratios": [r["warm_ratio"] for r in runs],
                      "baseline_ratios": [r["baseline_ratio"] for r in runs],
                      "warmup_ratio": warmup["ratio"], "target_ratio": 1.25,
                      "ok": best["ratio"] <= 1.25, "load_average": os.getloadavg()[0]}, indent=2))


if __name__ == "__main__":
    main()
