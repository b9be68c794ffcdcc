"""Sweeps on a real Ray: a local one started by the test, and a two-node cluster started with
``ray start`` (each node with its own temp dir); the numbers are those of an ordinary run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from agents.config import RunConfig
from agents.runner import start_run
from agents.sweep import RayExecutor, load_spec, run_configs, store
from envs.history import History
from tests.agents.test_sweep import BASE, _toml
from ui.cli import main

ray = pytest.importorskip("ray")
ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
pytestmark = pytest.mark.slow


def _curve(history: History, run_id: str) -> list[tuple]:
    return history.rows("SELECT iteration, examples_used, val_mean, test_mean FROM iterations"
                        " WHERE run_id = ? ORDER BY iteration", [run_id])


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    """The weakest cell of the test spec run in-process, as `curriculab run` would."""
    config = RunConfig.from_dict({**BASE, "teacher": {**BASE["teacher"], "policy": "weakest"}})
    history = History(tmp_path_factory.mktemp("alone") / "h.duckdb")
    return _curve(history, start_run(config, history, progress=False).run_id)


@pytest.fixture
def ray_env(monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)


def test_a_local_ray_runs_the_cells_to_the_same_numbers(tmp_path, alone, ray_env):
    configs = [RunConfig.from_dict({**BASE, "teacher": {**BASE["teacher"], "policy": p}})
               for p in ("uniform", "weakest")]
    history = History(tmp_path / "h.duckdb")
    executor = RayExecutor(workers=2)  # a real local Ray, started here, stopped by close()
    try:
        result = run_configs(configs, history, executor, name="ray", shards=str(tmp_path / "s"))
    finally:
        executor.close()
    assert not ray.is_initialized()
    assert [c.status for c in result.cells] == ["completed", "completed"]
    assert _curve(history, result.run_ids[1]) == alone
    assert not list((tmp_path / "s").rglob("*.duckdb"))  # removed on their node once merged


def test_a_two_node_cluster_joined_by_address(tmp_path, alone, ray_env, capsys):
    ray_bin = str(Path(sys.executable).with_name("ray"))
    if not Path(ray_bin).exists():
        ray_bin = shutil.which("ray") or "ray"
    port = 20000 + os.getpid() % 20000
    env = {**os.environ, **ENV}
    temp = Path(tempfile.mkdtemp(prefix="ray"))  # short: Ray's socket paths must fit 107 bytes
    subprocess.run([ray_bin, "start", "--head", f"--port={port}", "--num-cpus=1",
                    f"--temp-dir={temp / 'head'}", "--include-dashboard=false"],
                   check=True, env=env, capture_output=True)
    try:
        subprocess.run([ray_bin, "start", f"--address=127.0.0.1:{port}", "--num-cpus=1",
                        f"--temp-dir={temp / 'node'}"], check=True, env=env,
                       capture_output=True)
        spec, db = _toml(tmp_path / "s.toml"), tmp_path / "h.duckdb"
        assert main(["sweep", str(spec), "--db", str(db), "--quiet", "--ray",
                     f"127.0.0.1:{port}"]) == 0
        assert f"on ray:127.0.0.1:{port}" in capsys.readouterr().out
        nodes = {n for (n,) in History(tmp_path / "h.duckdb").rows(
            "SELECT DISTINCT worker FROM sweep_cells")}
    finally:
        subprocess.run([ray_bin, "stop"], env=env, capture_output=True)
        shutil.rmtree(temp, ignore_errors=True)
    history = History(db)
    cells = store.cells_of(history, load_spec(spec).sweep_id)
    assert list(cells.status) == ["completed", "completed"] and len(nodes) == 2
    weakest = cells.run_id[cells["axes"].str.contains("weakest")].item()
    assert _curve(history, weakest) == alone
