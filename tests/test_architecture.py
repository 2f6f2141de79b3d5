"""The shape of the house: gdpr_lint's modules import each other without a cycle,
the runtime stays free of the linter's dependencies, and every surface is registered."""

from __future__ import annotations

import ast
from pathlib import Path

import gdpr_lint

from helpers import find_cycle

PACKAGE = Path(gdpr_lint.__file__).parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """Every gdpr_lint module this file imports: top-level, in functions, and under
    TYPE_CHECKING alike (a cycle hidden behind a lazy import is still a cycle).
    `from pkg import module` is an edge to the module, `from module import name` one to
    the module that defines the name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                out.add(f"{mod}.{alias.name}" if f"{mod}.{alias.name}" in modules else mod)
    return {m for m in out if m == "gdpr_lint" or m.startswith("gdpr_lint.")}


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        deps = set()
        for imp in _imports(path, name, set(modules)):
            while imp and imp not in modules:
                imp = imp.rpartition(".")[0]
            if imp and imp != name and imp != "gdpr_lint":
                deps.add(imp)
        graph[name] = deps
    return graph



def test_the_import_graph_has_no_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_runtime_imports_nothing_of_the_linter():
    graph = import_graph()
    for name, deps in graph.items():
        if name.startswith("gdpr_lint.runtime"):
            outside = {d for d in deps if not d.startswith("gdpr_lint.runtime")}
            assert not outside, f"{name} imports {sorted(outside)}"


def test_the_interpreter_does_not_import_the_program():
    """The frame reaches the whole program only through analysis/context.py."""
    graph = import_graph()
    assert not {d for d in graph["gdpr_lint.analysis.frame"] if d.startswith("gdpr_lint.analysis.program.project")}


def test_every_surface_module_is_registered():
    from gdpr_lint.surfaces import registry

    modules = {p.stem for p in (PACKAGE / "surfaces").glob("*.py")} - {
        "__init__", "base", "registry", "catalogue", "generate"}
    registered = {type(s).__module__.rsplit(".", 1)[1] for s in registry.SURFACES}
    assert modules == registered
    flavours = [f for s in registry.SURFACES for f in s.flavours]
    assert len(flavours) == len(set(flavours)), "a flavour belongs to one surface"
