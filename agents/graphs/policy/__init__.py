"""The planning graph: observe -> propose (LLM) -> plan. A person's edits are applied by the
run loop, as for every policy (``agents/runner.py``)."""
