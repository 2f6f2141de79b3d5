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
from typing import TYPE_CHECKING, Any

from gdpr_lint.analysis.frame import Frame
from gdpr_lint.analysis.program.symbols import FunctionInfo, ModuleInfo, tree_fact, walk_nodes
from gdpr_lint.analysis.reads import Reads
from gdpr_lint.analysis.summaries import strip_params
from gdpr_lint.analysis.values import Value, join


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
        def stop_recording(self, rec: set) -> Reads: ...
        def bound_frame(self, fi: FunctionInfo) -> Frame: ...
        def forget_summaries_reading(self, marker: tuple) -> None: ...
        def global_value(self, mod: ModuleInfo, name: str) -> Value | None: ...

    def global_stores(self, mod: ModuleInfo, name: str) -> Value | None:
        """What the module's functions store into its global `name` (None: nothing). Only
        the functions that store into `name` itself are run, once each per project."""
        state = mod.stores_collected.get(name)
        if state is None:
            tree = mod.source.tree
            assert tree is not None
            # most globals read are imports, functions and classes: only a global assigned at
            # the top, or one a function declares `global`, can have writers, and finding the
            # writers walks every function of the module
            if mod.may_declare_global is None:
                mod.may_declare_global = "global" in mod.source.text
            writers = tree_fact(tree, _writers_by_global).get(name) \
                if mod.may_declare_global or name in tree_fact(tree, _assigned_at_top) else None
            if writers:
                self._collect_global_stores(mod, name, writers)
            else:
                mod.stores_collected[name] = "ready"
        elif state == "collecting":
            self.touch(("g", mod.name))  # read while the stores are being collected: provisional
        return mod.global_stores.get(name)

    def record_global_store(self, mod: ModuleInfo, name: str, value: Value) -> None:
        # the data and what kind of object it is (a person record's methods still apply)
        value = strip_params(value)
        if not (value.taints or value.tags or value.fields):
            return
        old = mod.global_stores.get(name)
        mod.global_stores[name] = value if old is None else join(old, value)

    def _collect_global_stores(self, mod: ModuleInfo, name: str, writers: dict[str, frozenset[str]]) -> None:
        mod.stores_collected[name] = "collecting"
        try:
            rec = self.recording()
            try:
                for fi in self._functions_named(mod, writers):
                    if fi.key in mod.writers_run:
                        continue  # run for another global it stores into: its stores are all recorded
                    mod.writers_run.add(fi.key)
                    self.bound_frame(fi).run_block(fi.node.body)
            finally:
                self.stop_recording(rec)
        finally:
            mod.stores_collected[name] = "ready"
        # summaries worked out while the stores were incomplete are worked out again
        self.forget_summaries_reading(("g", mod.name))

    def _functions_named(self, mod: ModuleInfo, names: dict[str, frozenset[str]]) -> list[FunctionInfo]:
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


def _writers_by_global(tree: ast.Module) -> dict[str, dict[str, frozenset[str]]]:
    """For each module global that functions store into: the top-level functions (name ->
    empty set) and classes (name -> method names) that store into it."""
    module_names = tree_fact(tree, _assigned_at_top)
    found: dict[str, dict[str, set[str]]] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for g in _stored_globals(stmt, module_names):
                found.setdefault(g, {}).setdefault(stmt.name, set())
        elif isinstance(stmt, ast.ClassDef):
            for m in stmt.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for g in _stored_globals(m, module_names):
                        found.setdefault(g, {}).setdefault(stmt.name, set()).add(m.name)
    return {g: {top: frozenset(ms) for top, ms in tops.items()} for g, tops in found.items()}


def _assigned_at_top(tree: ast.Module) -> frozenset[str]:
    return frozenset(_top_level_names(tree))


def _top_level_names(tree: ast.Module):
    """The names the module's own code assigns, in blocks too (`try: CACHE = LRUCache()`
    `except ImportError: CACHE = {}`), not in its functions and classes."""
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        yield n.id
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            # a compound statement's blocks (if/else, try/except/finally, with, loops, match)
            for field in ("body", "orelse", "finalbody"):
                stack.extend(getattr(stmt, field, ()))
            for clause in (*getattr(stmt, "handlers", ()), *getattr(stmt, "cases", ())):
                stack.extend(clause.body)  # `except` handlers, `case` blocks


def _stored_globals(func: ast.FunctionDef | ast.AsyncFunctionDef, module_names: frozenset[str]) -> set[str]:
    """The module globals `func` sets an item or attribute of, or calls a mutating method on,
    without rebinding them locally, and those it declares `global` and assigns."""
    local = {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
    declared_global: set[str] = set()
    roots: set[str] = set()
    assigned: set[str] = set()
    node: Any
    for node in walk_nodes(func):  # by exact node type: run for every function of a module
        kind = type(node)
        if kind is ast.Name:
            if type(node.ctx) is ast.Store:
                local.add(node.id)
                assigned.add(node.id)
        elif kind is ast.Attribute or kind is ast.Subscript:
            if type(node.ctx) is ast.Store and (root := _root(node)):
                roots.add(root)
        elif kind is ast.Call:
            if type(node.func) is ast.Attribute and node.func.attr in MUTATING_METHODS and node.args \
                    and (root := _root(node.func.value)):
                roots.add(root)
        elif kind is ast.Global:
            declared_global.update(node.names)
    candidates = (roots - local) | (roots & declared_global)
    # `global current` then `current = ...`: a global even if the module never binds it
    return (candidates & module_names) | (declared_global & assigned)


def _root(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
