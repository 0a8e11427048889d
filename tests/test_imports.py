"""Every module of bot/ and flows/ imports on its own, and no two of them import each other, directly or round.

In the suite everything is soon loaded, so a module that only imports after another one has (the far side of
an import cycle, a package whose face is still half-run) passes there and fails for the first caller that
imports it alone: a worker process, `billbot ask`, a script. Both checks read the source tree only.
"""

from __future__ import annotations

import ast
import itertools
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.paths import PROJECT_ROOT

PACKAGES = ("bot", "flows")
# Alembic's env.py and version scripts run inside Alembic (bot/migrations is not a package), and `python -m bot`
# runs bot/__main__.py: none of them is imported.
EXCLUDED = ("bot.migrations",)
SCRIPTS = "__main__"
IMPORT_ALONE = PROJECT_ROOT / "tests" / "harness" / "import_alone.py"


def _walk(folder: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    for info in pkgutil.iter_modules([str(folder)]):
        name = prefix + info.name
        if name.startswith(EXCLUDED) or info.name == SCRIPTS:
            continue
        if info.ispkg:
            yield name, folder / info.name / "__init__.py"
            yield from _walk(folder / info.name, name + ".")
        else:
            yield name, folder / f"{info.name}.py"


def project_modules() -> dict[str, Path]:
    """Every module of the packages, by dotted name, found on disk (nothing is imported to find them)."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        found[package] = PROJECT_ROOT / package / "__init__.py"
        found.update(_walk(PROJECT_ROOT / package, package + "."))
    return found


MODULES = project_modules()


# -- the import graph, from the source ------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    target: str  # a module of ours, or any other module's full dotted name
    line: int


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: at the top, in functions (run when called), never under
    ``if TYPE_CHECKING:`` (its ``else`` does run)."""
    if isinstance(tree, ast.If) and _is_type_checking(tree.test):
        for node in tree.orelse:
            yield from _statements(node)
        return
    if isinstance(tree, ast.Import | ast.ImportFrom):
        yield tree
    for child in ast.iter_child_nodes(tree):
        yield from _statements(child)


def _ours(name: str) -> str | None:
    """The module of ours that importing ``name`` runs last (``bot.money.x`` is bot.money), if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in _statements(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*parts, base] if base else parts)
        for alias in node.names:
            # `from pkg import mod` needs pkg.mod; `from mod import name` needs mod.
            found.append(Import(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base, node.lineno))
    return found


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {module of ours it imports: the first line that does}."""
    graph: dict[str, dict[str, int]] = {}
    for module in MODULES:
        edges = graph.setdefault(module, {})
        for imported in imports_of(module):
            target = _ours(imported.target)
            if target is not None and target != module:
                edges.setdefault(target, imported.line)
    return graph


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's components of more than one module: each a set of modules that import one another."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def one_cycle(graph: dict[str, dict[str, int]], component: list[str]) -> list[str]:
    """The shortest way round from the component's first module back to it (breadth first)."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if w in members and w not in came_from:
                    came_from[w] = v
                    following.append(w)
        frontier = following
    raise AssertionError(f"{component} is not a cycle")


def describe(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    cycle = one_cycle(graph, component)
    steps = [
        f"    {a} imports {b} ({MODULES[a].relative_to(PROJECT_ROOT)}:{graph[a][b]})"
        for a, b in itertools.pairwise(cycle)
    ]
    return "\n".join([f"  {', '.join(component)}; for instance:", *steps])


# -- the tests --------------------------------------------------------------------------------------------------


def test_the_walk_finds_the_packages_modules_and_leaves_out_the_migrations() -> None:
    assert {"bot", "bot.cli", "bot.sandbox.stripe.app", "flows", "flows.invoices"} <= MODULES.keys()
    assert not [name for name in MODULES if ".migrations" in name]
    assert all(path.is_file() for path in MODULES.values())


def test_the_graph_sees_relative_and_function_level_imports_but_not_type_checking_ones() -> None:
    graph = import_graph()
    assert "bot.sandbox.stripe.objects" in graph["bot.sandbox.stripe.app"]  # `from . import objects`
    assert "bot.sandbox.stripe.protocol" in graph["bot.sandbox.stripe.app"]  # `from .protocol import (...)`
    assert "bot.slack_app" in graph["bot.server"]  # imported inside create()
    assert "bot.services" not in graph["bot.slack_users"]  # only under `if TYPE_CHECKING:`


def test_every_module_imports_alone() -> None:
    """Each module is imported in a process where none of bot/ or flows/ is loaded yet (see import_alone.py)."""
    preload = sorted(
        {
            imported.target
            for module in MODULES
            for imported in imports_of(module)
            if imported.target and _ours(imported.target) is None
        }
    )
    request = json.dumps({"preload": preload, "modules": sorted(MODULES)})
    done = subprocess.run(
        [sys.executable, str(IMPORT_ALONE)],
        input=request,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=600,  # 93 s alone at load 6 on 2 cores; a full -n auto run shares those cores
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, str | None] = json.loads(done.stdout)
    assert results.keys() == MODULES.keys()
    failed = {module: error for module, error in results.items() if error}
    report = [f"{module}: {error.strip().splitlines()[-1]}\n{error}" for module, error in sorted(failed.items())]
    assert not failed, f"{len(failed)} module(s) fail when imported first:\n\n" + "\n\n".join(report)


def test_no_import_cycles_among_bot_and_flows() -> None:
    graph = import_graph()
    cycles = strongly_connected(graph)
    assert not cycles, f"{len(cycles)} import cycle(s):\n" + "\n".join(describe(graph, c) for c in cycles)
