"""Imports only go down: students < envs < agents < ui; and each package is this project's."""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["students", "envs", "agents", "ui"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_only_go_down(layer):
    above = set(LAYERS[LAYERS.index(layer) + 1:])
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & above)
        for p in (ROOT / layer).rglob("*.py") if _imports(p) & above
    }
    assert not offenders, f"{layer} imports from a higher layer: {offenders}"


@pytest.mark.parametrize("layer", LAYERS)
def test_package_resolves_to_this_project(layer):
    # `agents` in particular is also the name of another popular package.
    module = importlib.import_module(layer)
    assert Path(module.__file__).resolve().parent == ROOT / layer
