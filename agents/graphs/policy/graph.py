"""The policy graph: START -> observe -> propose -> steer -> END.

``steer`` is a LangGraph interrupt: with a steering hook the graph pauses after ``propose``
and resumes with the person's plan (``Command(resume=plan_dict)``); headless it passes on.
"""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agents.graphs.policy.context import PolicyContext
from agents.graphs.policy.nodes import observe, propose, steer
from agents.graphs.policy.state import PolicyState


def policy_graph() -> CompiledStateGraph:
    """A compiled graph with its own in-memory checkpointer (the interrupt needs one)."""
    graph = StateGraph(PolicyState, context_schema=PolicyContext)
    graph.add_node("observe", observe)
    graph.add_node("propose", propose)
    graph.add_node("steer", steer)
    graph.add_edge(START, "observe")
    graph.add_edge("observe", "propose")
    graph.add_edge("propose", "steer")
    graph.add_edge("steer", END)
    return graph.compile(checkpointer=InMemorySaver(), name="curriculab-policy")
