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


PROJECT = ["students", "envs", "agents", "ui"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level(body: list[ast.stmt]):
    """Statements that run at import: into ``if``/``try`` blocks, except ``if TYPE_CHECKING:``
    (never runs); not into functions, where an import is the deliberate way to defer one."""
    for node in body:
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                yield from _top_level(block)
        elif isinstance(node, (ast.With, ast.ClassDef)):  # these bodies run at import too
            yield from _top_level(node.body)
        else:
            yield node


def _targets(node: ast.stmt, module: str, is_package: bool, modules: set[str]) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names}
    if not isinstance(node, ast.ImportFrom):
        return set()
    base = node.module or ""
    if node.level:  # relative: from the module's package, up level - 1
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join(package + ([base] if base else []))
    return {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports when it is imported."""
    paths = {_module_name(p): p for layer in PROJECT for p in (ROOT / layer).rglob("*.py")}
    graph = {}
    for module, path in paths.items():
        is_package = path.name == "__init__.py"
        body = ast.parse(path.read_text()).body
        graph[module] = {t for node in _top_level(body)
                         for t in _targets(node, module, is_package, set(paths))
                         if t in paths and t != module}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; components of more than one module are import circles."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                on_stack.discard(w)
                component.append(w)
            on_stack.discard(v)
            found.append(sorted([v, *component]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [c for c in found if len(c) > 1]


def _cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete circle through a component's first module, for the failure message."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return component


def test_no_import_circles():
    graph = import_graph()
    circles = [" -> ".join(_cycle(graph, c)) + f" (the circle holds {', '.join(c)})"
               for c in strongly_connected(graph)]
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_the_circle_finder_finds_one():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert _cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]
