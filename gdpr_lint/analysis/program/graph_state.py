"""Graph state: data that node functions pass to each other through a shared state
(LangGraph's `StateGraph`): a node returns `{"messages": [...]}` or
`Command(update={...})`, and another node reads `state["messages"]`. The framework
does the passing, so the analysis keeps what nodes write per state type (named by
the annotation of their first parameter) and key, and gives it to the nodes that read
it. Only in modules that import the graph library.

The input a graph is run with (`app.invoke({"note": ...})`) is the state every node it
was built with starts from: the nodes are the functions its module adds to the builder
(`builder.add_node(summarise)`, `builder.add_node("summarise", summarise)`).

A part of the whole-program side: `Project` (project.py) combines them.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from gdpr_lint.analysis.program.symbols import FunctionInfo, ModuleInfo, tree_fact
from gdpr_lint.analysis.summaries import Summary, strip_params

from gdpr_lint.analysis.values import Func, Graph, Imported, Value

GRAPH_PACKAGES = ("langgraph",)


def state_type(fi: FunctionInfo) -> str | None:
    """The state type a node function takes (`def triage(state: State)` -> "State"), in a
    module that imports a graph library; None otherwise."""
    args = fi.node.args.posonlyargs + fi.node.args.args
    if fi.is_method:
        args = args[1:]
    tree = fi.module.source.tree
    if not args or args[0].annotation is None or tree is None or not tree_fact(tree, _imports_graph_library):
        return None
    ann = args[0].annotation
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        return ann.value.rsplit(".", 1)[-1] or None
    if isinstance(ann, ast.Name):
        return ann.id
    if isinstance(ann, ast.Attribute):
        return ann.attr
    return None


def _imports_graph_library(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".", 1)[0] in GRAPH_PACKAGES:
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".", 1)[0] in GRAPH_PACKAGES for a in node.names):
            return True
    return False


class GraphState:
    # what it uses of the Project it is part of (project.py)
    if TYPE_CHECKING:
        functions: dict[str, FunctionInfo]
        graph_state: dict[str, dict[str, frozenset]]
        graph_state_filled: set[str]

        def find_module(self, name: str) -> ModuleInfo | None: ...
        def global_value(self, mod: ModuleInfo, name: str) -> Value | None: ...
        def resolve_imported(self, value: Value) -> Value: ...
        def summary(self, fi: FunctionInfo) -> Summary: ...

    def graph_nodes(self, graph: Graph) -> list[FunctionInfo]:
        """The node functions added to `graph` in the module that builds it, in source order."""
        mod = self.find_module(graph.module)
        if mod is None or mod.source.tree is None:
            return []
        out: list[FunctionInfo] = []
        for name in tree_fact(mod.source.tree, _graph_nodes).get((graph.line, graph.col), ()):
            value = self.global_value(mod, name)
            if value is not None and value.has(Imported):
                value = self.resolve_imported(value)
            for t in value.of(Func) if value is not None else ():
                fi = self.functions.get(t.key)
                if fi is not None and fi not in out:
                    out.append(fi)
        return out

    def state_write(self, fi: FunctionInfo, summary: Summary) -> None:
        """What a node function returns, by key, joins its state type's store."""
        name = state_type(fi)
        ret = summary.ret
        if name is None or ret.fields is None:
            return
        store = self.graph_state.setdefault(name, {})
        for key, value in ret.fields:
            taints = strip_params(value).taints
            if taints:
                store[key] = store.get(key, frozenset()) | taints

    def state_read(self, fi: FunctionInfo, key: str) -> Value | None:
        """`state[key]` in a node function: what the other nodes of that state type write."""
        name = state_type(fi)
        if name is None:
            return None
        if name not in self.graph_state_filled:
            self.graph_state_filled.add(name)
            for other in list(self.functions.values()):
                if other.key != fi.key and state_type(other) == name:
                    self.summary(other)
        stored = self.graph_state.get(name, {}).get(key)
        return Value(stored) if stored else None


def _graph_nodes(tree: ast.Module) -> dict[tuple[int, int], tuple[str, ...]]:
    """For each graph built in a module (`builder = StateGraph(State)`, by the position of the
    constructor call): the names of the functions added to it (`builder.add_node(fn)`,
    `builder.add_node("name", fn)`, `action=fn`), wherever in the module it is built."""
    builders: dict[str, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    builders[t.id] = (node.value.lineno, node.value.col_offset)
    out: dict[tuple[int, int], list[str]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_node"
                and isinstance(node.func.value, ast.Name) and node.func.value.id in builders):
            continue
        fn = next((k.value for k in node.keywords if k.arg in ("action", "node")), None)
        if fn is None and node.args:
            fn = node.args[1] if len(node.args) > 1 else node.args[0]
        if isinstance(fn, ast.Name):
            names = out.setdefault(builders[node.func.value.id], [])
            if fn.id not in names:
                names.append(fn.id)
    return {k: tuple(v) for k, v in out.items()}
