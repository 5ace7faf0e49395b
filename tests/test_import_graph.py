"""The import graph of amf/ has no cycles, counting imports inside functions."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "amf"


def module_name(path: Path) -> str:
    """The dotted name of a file under amf/ (a package's __init__ is the package)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name: str, path: Path) -> set[str]:
    """Every amf module a file imports, at module level, in functions or in methods."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in MODULES else source)
    return {module for module in found if module in MODULES and module != name}


IMPORTS = {name: imported_modules(name, path) for name, path in MODULES.items()}


def node_of(module: str) -> str:
    """The top-level package or module under amf/ a module belongs to; "amf" is the factory."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "amf"


def package_graph() -> dict[str, set[str]]:
    """Which top-level node imports which, with the imports between them."""
    graph: dict[str, set[str]] = {node_of(name): set() for name in MODULES}
    for name, targets in IMPORTS.items():
        graph[node_of(name)].update(node_of(t) for t in targets if node_of(t) != node_of(name))
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One closed path through each strongly connected group of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = {stack.pop()}
            while node not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [closed_path(graph, group) for group in groups]


def closed_path(graph: Mapping[str, Iterable[str]], group: set[str]) -> list[str]:
    """The shortest path from the group's first node back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph.get(node, ())):
                if target == start:
                    return paths[node] + [start]
                if target in group and target not in paths:
                    paths[target] = paths[node] + [target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no closed path in {sorted(group)}")


def test_the_cycle_finder_reports_a_closed_path():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e2"}, "e2": {"e"}}
    assert sorted(cycles(graph)) == [["a", "b", "c", "a"], ["e", "e2", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_inside_functions_and_relative_imports_are_counted(tmp_path):
    source = tmp_path / "amf" / "feature" / "views.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "def view():\n    from amf.db import utcnow\n    from ..mail import services\n"
        "class Screen:\n    def show(self):\n        import amf.timezones\n"
    )
    global PACKAGE
    saved = PACKAGE
    PACKAGE = tmp_path / "amf"
    try:
        assert module_name(source) == "amf.feature.views"
        found = imported_modules("amf.feature.views", source)
    finally:
        PACKAGE = saved
    assert found == {"amf.db", "amf.mail.services", "amf.timezones"}


def test_the_walk_sees_the_whole_package():
    assert {"amf", "amf.db", "amf.registration.models"} <= MODULES.keys()
    assert "registration" in package_graph()["amf"]


def test_no_cycle_between_the_top_level_packages_and_modules():
    found = cycles(package_graph())
    assert not found, "import cycles between amf/ packages:\n" + "\n".join(
        " -> ".join(path) for path in found
    )


def test_nothing_imports_the_app_factory_or_the_cli():
    importers = sorted(name for name, targets in IMPORTS.items() if targets & {"amf", "amf.cli"})
    assert importers == [name for name in importers if name == "amf"], importers


@pytest.mark.parametrize("package", sorted({node_of(name) for name in MODULES} - {"amf"}))
def test_no_cycle_between_modules(package):
    graph = {
        name: {t for t in targets if node_of(t) == package}
        for name, targets in IMPORTS.items()
        if node_of(name) == package
    }
    found = cycles(graph)
    assert not found, f"import cycles inside amf/{package}:\n" + "\n".join(
        " -> ".join(path) for path in found
    )
