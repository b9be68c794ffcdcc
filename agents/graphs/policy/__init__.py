"""The planning graph: observe -> propose (LLM) -> steer (a person may edit) -> plan."""
