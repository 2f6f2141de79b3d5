"""Graph state: data that node functions pass to each other through a shared state
(LangGraph's `StateGraph`): a node returns `{"messages": [...]}` or
`Command(update={...})`, and another node reads `state["messages"]`. The framework
does the passing, so the analysis keeps what nodes write per state type (named by
the annotation of their first parameter) and key, and gives it to the nodes that read
it. Only in modules that import the graph library.

A part of the whole-program side: `Project` (project.py) combines them.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from gdpr_lint.analysis.program.symbols import FunctionInfo
from gdpr_lint.analysis.summaries import Summary, strip_params
from gdpr_lint.analysis.values import Value

GRAPH_PACKAGES = ("langgraph",)


def state_type(fi: FunctionInfo) -> str | None:
    """The state type a node function takes (`def triage(state: State)` -> "State"), in a
    module that imports a graph library; None otherwise."""
    args = fi.node.args.posonlyargs + fi.node.args.args
    if fi.is_method:
        args = args[1:]
    if not args or args[0].annotation is None or not _imports_graph_library(fi.module.source.tree):
        return None
    ann = args[0].annotation
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        return ann.value.rsplit(".", 1)[-1] or None
    if isinstance(ann, ast.Name):
        return ann.id
    if isinstance(ann, ast.Attribute):
        return ann.attr
    return None


@lru_cache(maxsize=4096)  # asked for every summary: once per module tree
def _imports_graph_library(tree: ast.Module | None) -> bool:
    if tree is None:
        return False
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".", 1)[0] in GRAPH_PACKAGES:
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".", 1)[0] in GRAPH_PACKAGES for a in node.names):
            return True
    return False


class GraphState:
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
