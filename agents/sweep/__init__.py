"""Sweeps: many runs from one spec (axes crossed, explicit runs), on local worker processes
or a Ray cluster, each cell in its own shard, merged into one history by the driver."""

from agents.sweep.driver import CellResult, SweepResult, run_configs, run_sweep
from agents.sweep.executors import Executor, LocalExecutor, RayExecutor
from agents.sweep.spec import Cell, SweepSpec, load_spec, parse_spec

__all__ = ["Cell", "CellResult", "Executor", "LocalExecutor", "RayExecutor", "SweepResult",
           "SweepSpec", "load_spec", "parse_spec", "run_configs", "run_sweep"]
