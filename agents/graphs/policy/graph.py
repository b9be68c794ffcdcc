"""The policy graph: START -> observe -> propose -> END.

The graph only proposes. Steering is not its business: the run loop hands every policy's plan
to the steering hook alike, then tells the LLM policy which plan was adopted.
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.graphs.policy.context import PolicyContext
from agents.graphs.policy.nodes import observe, propose
from agents.graphs.policy.state import PolicyState


def policy_graph() -> CompiledStateGraph:
    """The compiled graph; one invocation plans one iteration and keeps nothing between them
    (the policy's memory travels in the context)."""
    graph = StateGraph(PolicyState, context_schema=PolicyContext)
    graph.add_node("observe", observe)
    graph.add_node("propose", propose)
    graph.add_edge(START, "observe")
    graph.add_edge("observe", "propose")
    graph.add_edge("propose", END)
    return graph.compile(name="curriculab-policy")
