"""The layer rule of docs/architecture.md, enforced: every import in connector/ runs downward.

Each top-level package of ``connector`` has a layer. A module may import its own package and any
package of a lower layer; packages of one layer never import each other. Every import counts —
those at a module's top and those inside functions (the lazy ones that keep start-up fast) — as
an import inside a function is still a dependency. On top of that, no two modules import each
other, directly or round a longer circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "connector"

# Lowest first. The docstring of each package says what it owns; docs/architecture.md the why.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"mapping", "netvisor", "spotilla", "sandbox"}),
    frozenset({"billing"}),
    frozenset({"ledger"}),
    frozenset({"psop"}),
    frozenset({"texts"}),
    frozenset({"sync"}),
    frozenset({"console"}),
    frozenset({"service"}),
    frozenset({"cli"}),
)
# Modules at the very top of connector/ that are not packages (the version, `python -m`).
TOP_MODULES = {"__init__": 0, "__main__": len(LAYERS)}


def layer_of(unit: str) -> int:
    if unit in TOP_MODULES:
        return TOP_MODULES[unit]
    for number, units in enumerate(LAYERS):
        if unit in units:
            return number
    raise AssertionError(
        f"connector/{unit} has no layer: add it to LAYERS and docs/architecture.md"
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """Every connector module `path` imports: `from pkg import mod` counts as `pkg.mod` alone."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in modules else target)
    return {m for m in found if m == "connector" or m.startswith("connector.")}


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imports_of(path, name, set(modules)):
            while imported not in modules and "." in imported:
                imported = imported.rpartition(".")[0]
            if imported in modules and imported != name:
                targets.add(imported)
        edges[name] = targets
    return edges


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    wrong = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            a, b = unit(source), unit(target)
            if a == b or b == "__init__":
                continue
            la, lb = layer_of(a), layer_of(b)
            if lb > la:
                wrong.append(f"{source} imports {target}: {b} is above {a}")
            elif lb == la:
                wrong.append(f"{source} imports {target}: {a} and {b} share a layer")
    return wrong


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_every_package_has_a_layer_and_says_what_it_owns() -> None:
    for package in sorted(p for p in ROOT.iterdir() if (p / "__init__.py").exists()):
        layer_of(package.name)
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "May import:" in doc, (
            f"connector/{package.name}/__init__.py: say what the package owns and may import"
        )


def test_imports_run_downward() -> None:
    assert layer_violations(graph()) == []


def test_no_import_circles() -> None:
    assert circles(graph()) == []


def test_the_top_of_the_package_stays_small() -> None:
    entries = [p.name for p in ROOT.iterdir() if not p.name.startswith((".", "__pycache__"))]
    assert len(entries) <= 16, sorted(entries)


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"connector.core.money": {"connector.sync.plan"}, "connector.sync.plan": set()}, 1),
        ({"connector.netvisor.x": {"connector.spotilla.y"}, "connector.spotilla.y": set()}, 1),
        ({"connector.sync.plan": {"connector.core.money"}, "connector.core.money": set()}, 0),
    ],
)
def test_the_rule_itself_catches_an_upward_import(
    edges: dict[str, set[str]], expected: int
) -> None:
    assert len(layer_violations(edges)) == expected


def test_the_circle_finder_finds_a_circle() -> None:
    edges = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert circles(edges) == [["a.x", "a.y", "a.z"]]
