"""The runtime package's layout: its modules import each other without a cycle,
and none uses a private name (``_x``) of another.

The modules are read with ``ast``, nothing of the package is imported.  Every
import counts, also one inside a function (it is a dependency all the same):
``import gdpr_lint.runtime.x``, ``from gdpr_lint.runtime.x import y`` and the
relative forms.  Importing a module of a sub-package also runs that
sub-package's ``__init__`` unless the importing module is inside it already.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

from helpers import find_cycle

PACKAGE = "gdpr_lint.runtime"


def package_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)  # (imports gdpr_lint, not the runtime)
    assert spec is not None and spec.submodule_search_locations, PACKAGE
    return Path(list(spec.submodule_search_locations)[0])


def modules(root: Path) -> Dict[str, Tuple[Path, bool]]:
    """Module name -> (file, is a package) for every module of the package under ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out[".".join([PACKAGE, *parts])] = (path, is_package)
    return out


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _ancestors(name: str) -> Iterator[str]:
    while "." in name:
        name = name.rsplit(".", 1)[0]
        yield name


class Module:
    """The intra-package imports of one module."""

    def __init__(self, name: str, path: Path, is_package: bool, known: Dict[str, Tuple[Path, bool]]) -> None:
        self.name = name
        self.package = name if is_package else name.rsplit(".", 1)[0]
        self.known = known
        self.imports: Set[str] = set()
        self.private: List[str] = []  # what it uses of another module's private names
        self.bound: Set[str] = set()  # local names bound to something of another module
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if self._inside(alias.name):
                        self._depend(alias.name)
                        self.bound.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                base = self._resolve(node)
                if base is None or not self._inside(base):
                    continue
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    self._depend(sub if sub in known else base)
                    if _is_private(alias.name):
                        self.private.append(f"line {node.lineno}: from {base} import {alias.name}")
                    self.bound.add(alias.asname or alias.name)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _is_private(node.attr)
                    and isinstance(node.value, ast.Name) and node.value.id in self.bound):
                self.private.append(f"line {node.lineno}: {node.value.id}.{node.attr}")

    @staticmethod
    def _inside(name: str) -> bool:
        return name == PACKAGE or name.startswith(PACKAGE + ".")

    def _resolve(self, node: ast.ImportFrom) -> Optional[str]:
        if not node.level:
            return node.module
        base = self.package
        for _ in range(node.level - 1):
            base = base.rsplit(".", 1)[0]
        return f"{base}.{node.module}" if node.module else base

    def _depend(self, target: str) -> None:
        """``target`` and the sub-packages its import initialises on the way."""
        if target in self.known:
            self.imports.add(target)
        mine = set(_ancestors(self.name))
        for parent in _ancestors(target):
            if parent in self.known and parent not in mine and parent != self.name:
                self.imports.add(parent)


def import_graph(root: Path) -> Dict[str, Module]:
    known = modules(root)
    return {name: Module(name, path, is_package, known) for name, (path, is_package) in known.items()}



def test_the_layout_checks_see_the_whole_package() -> None:
    graph = import_graph(package_dir())
    assert {PACKAGE, f"{PACKAGE}.vault", f"{PACKAGE}.detect", f"{PACKAGE}.stream"} <= set(graph)
    assert f"{PACKAGE}.vault" in graph[PACKAGE].imports


def test_find_cycle_finds_function_level_and_indirect_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_no_import_cycle_between_runtime_modules() -> None:
    graph = import_graph(package_dir())
    cycle = find_cycle({name: m.imports for name, m in graph.items()})
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_uses_a_private_name_of_another() -> None:
    graph = import_graph(package_dir())
    used = [f"{name}: {use}" for name, m in sorted(graph.items()) for use in m.private]
    assert not used, "\n".join(used)
