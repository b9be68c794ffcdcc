"""The engine graph: write -> [answer] -> check -> write (top up) ... -> end.

    START -> write -> [answer] -> check -> END
               ^                          |
               '--------------------------'  (top up while short and rounds are left)

``answer`` runs only for tasks without an oracle: independent samples decide by agreement.
"""

from __future__ import annotations

from functools import cache

from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.graphs.engine.context import EngineContext
from agents.graphs.engine.nodes import answer, check, route_after_check, route_after_write, write
from agents.graphs.engine.state import EngineState


@cache
def engine_graph() -> CompiledStateGraph:
    """The compiled graph (no checkpointer: an engine run is one call of ``invoke``)."""
    graph = StateGraph(EngineState, context_schema=EngineContext)
    graph.add_node("write", write)
    graph.add_node("answer", answer)
    graph.add_node("check", check)
    graph.add_edge(START, "write")
    graph.add_conditional_edges("write", route_after_write)
    graph.add_edge("answer", "check")
    graph.add_conditional_edges("check", route_after_check)
    return graph.compile(name="curriculab-engine")
