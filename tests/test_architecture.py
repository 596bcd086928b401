"""The shape of the code, checked from its source: the modules of tracker/ import each other without a
cycle, the domain never imports a surface (tracker.web, tracker.api), nothing imports inside a function,
and no function is longer than a screen."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"
SURFACES = ("tracker.web", "tracker.api")
# Modules that sit above the domain and may import the surfaces: the app factory wires them up.
WIRING = {"tracker"}
MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(importer: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The tracker modules an import statement names (submodules when it imports them by name)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "tracker"]
    if node.level:
        is_package = MODULES[importer].name == "__init__.py"
        base = importer.split(".")[: len(importer.split(".")) - node.level + (1 if is_package else 0)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "tracker":
        return []
    named = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
    return named if len(named) == len(node.names) else [*named, target]


def imports(name: str) -> tuple[set[str], list[int]]:
    """The tracker modules `name` imports, and the line numbers of imports made inside a function."""
    tree = ast.parse(MODULES[name].read_text())
    found, nested = set(), []
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    inner = {id(n) for f in functions for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            targets = resolve(name, node)
            found |= {t for t in targets if t != name}
            if id(node) in inner and targets:
                nested.append(node.lineno)
    return found, nested


GRAPH = {name: imports(name)[0] for name in MODULES}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_checker_finds_a_cycle_and_resolves_relative_imports():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert "tracker.tasks" in GRAPH["tracker.comments"]  # from .tasks import get_on_task
    assert "tracker.tasks" in GRAPH["tracker.web.tasks"]  # from .. import tasks
    assert "tracker.web" in GRAPH["tracker"]


def test_the_modules_of_tracker_import_each_other_without_a_cycle():
    assert find_cycle(GRAPH) is None


def is_surface(name: str) -> bool:
    return any(name == s or name.startswith(s + ".") for s in SURFACES)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not is_surface(n) and n not in WIRING))
def test_a_domain_module_does_not_import_a_surface(name):
    assert not {t for t in GRAPH[name] if is_surface(t)}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_nothing_imports_inside_a_function(name):
    assert imports(name)[1] == []


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        f"{path.name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_no_function_in_tracker_is_longer_than_a_screen():
    assert [f for p in MODULES.values() for f in long_functions(p)] == []
