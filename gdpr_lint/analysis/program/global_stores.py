"""Module globals that functions fill: shared state between tools and handlers.

Agent tools and request handlers often share state through a module global that one
function fills and another reads::

    current_account = {"account": None}

    @function_tool
    def login(name: str, pin: int):
        for account in accounts:
            if account.name == name:
                current_account["account"] = account     # a store into the global

    @function_tool
    def balance():
        return current_account["account"].balance        # read by another function

A function's frame sees a global as the module's top level left it. So, before any
function reads a global of a module, the functions of that module that store into one
of its globals (an item or attribute set on it, or a mutating method such as
`append`) are run once, and what they stored is joined into the global as functions
read it. Only concrete data is kept (a parameter of the storing function means nothing
to the reader). A part of the whole-program side: `Project` (project.py) combines it.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, cast

from gdpr_lint.analysis.frame import Frame
from gdpr_lint.analysis.program.symbols import FunctionInfo, ModuleInfo
from gdpr_lint.analysis.summaries import strip_params
from gdpr_lint.analysis.values import Value, join

if TYPE_CHECKING:
    from gdpr_lint.analysis.context import AnalysisContext

MUTATING_METHODS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "appendleft",
                              "extendleft", "__setitem__"})


class GlobalStores:
    # what it uses of the Project it is part of (project.py)
    summaries: dict[str, Any]
    functions: dict[str, FunctionInfo]
    classes: dict[str, Any]
    if TYPE_CHECKING:
        def touch(self, item: tuple) -> None: ...
        def recording(self) -> set: ...
        def stop_recording(self, rec: set) -> frozenset: ...
        def bind_parameters(self, frame: Frame, fi: FunctionInfo) -> None: ...
        def global_value(self, mod: ModuleInfo, name: str) -> Value | None: ...

    def global_stores(self, mod: ModuleInfo, name: str) -> Value | None:
        """What the module's functions store into its global `name` (None: nothing)."""
        if mod.stores_state == "new":
            self._collect_global_stores(mod)
        elif mod.stores_state == "collecting":
            self.touch(("g", mod.name))  # read while the stores are being collected: provisional
        return mod.global_stores.get(name)

    def record_global_store(self, mod: ModuleInfo, name: str, value: Value) -> None:
        # the data and what kind of object it is (a person record's methods still apply)
        value = strip_params(value)
        if not (value.taints or value.tags or value.fields):
            return
        old = mod.global_stores.get(name)
        mod.global_stores[name] = value if old is None else join(old, value)

    def _collect_global_stores(self, mod: ModuleInfo) -> None:
        mod.stores_state = "collecting"
        try:
            writers = _storing_functions(mod)
            if writers:
                rec = self.recording()
                try:
                    for fi in self._functions_named(mod, writers):
                        frame = Frame(cast("AnalysisContext", self), fi.module, fi, parent=fi.closure)
                        self.bind_parameters(frame, fi)
                        frame.run_block(fi.node.body)
                finally:
                    self.stop_recording(rec)
        finally:
            mod.stores_state = "ready"
        # summaries worked out while the stores were incomplete are worked out again
        marker = ("g", mod.name)
        for key in [k for k, s in self.summaries.items() if marker in s.deps]:
            del self.summaries[key]

    def _functions_named(self, mod: ModuleInfo, names: dict[str, set[str]]) -> list[FunctionInfo]:
        """The FunctionInfo of top-level functions and methods of top-level classes, by name
        (found by their definition: a decorator may have replaced the name's value)."""
        out = []
        for top, methods in names.items():
            self.global_value(mod, top)  # runs the definition
            for fi in list(mod.functions):
                if methods:
                    if fi.cls is not None and fi.cls.name == top and fi.name in methods and fi.cls.module is mod:
                        out.append(fi)
                elif fi.cls is None and fi.name == top and fi.closure is None:
                    out.append(fi)
        return out


def _storing_functions(mod: ModuleInfo) -> dict[str, set[str]]:
    """Top-level functions (name -> empty set) and classes (name -> method names) whose
    bodies store into one of the module's globals."""
    tree = mod.source.tree
    assert tree is not None
    module_names = set(_top_level_names(tree))
    out: dict[str, set[str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _stores_into(stmt, module_names):
                out[stmt.name] = set()
        elif isinstance(stmt, ast.ClassDef):
            methods = {m.name for m in stmt.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and _stores_into(m, module_names)}
            if methods:
                out[stmt.name] = methods
    return out


def _top_level_names(tree: ast.Module):
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        yield n.id


def _stores_into(func: ast.FunctionDef | ast.AsyncFunctionDef, module_names: set[str]) -> bool:
    """Whether `func` sets an item or attribute of, or calls a mutating method on, a module
    global it does not rebind locally."""
    local = {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
    declared_global: set[str] = set()
    roots: set[str] = set()
    assigned: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Global):
            declared_global.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
            assigned.add(node.id)
        elif isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            root = _root(node)
            if root:
                roots.add(root)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in MUTATING_METHODS and node.args:
            root = _root(node.func.value)
            if root:
                roots.add(root)
    candidates = (roots - local) | (roots & declared_global)
    # `global current` then `current = ...`: a global even if the module never binds it
    return bool(candidates & module_names) or bool(declared_global & assigned)


def _root(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
