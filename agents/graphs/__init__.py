"""LangGraph teacher graphs: the policy (observation -> plan) and the engine (plan -> examples).

Each graph is a handful of small files after the LangGraph react-agent template: ``state``
(what flows between nodes, JSON-able), ``context`` (what a run injects: the LLM client, the
task, the observation), ``prompts``, ``nodes`` (plain functions returning partial updates)
and ``graph`` (the wiring).
"""
