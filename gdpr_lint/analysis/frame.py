"""The abstract interpreter: runs one function (or module) body over abstract
values, flow-sensitively, and records where personal data reaches an OpenAI request.

Branches are interpreted separately and joined, so a redaction on one branch
only, or a redacted copy that is not the value sent, still leaks. Calls to
project functions apply that function's summary, which is how data crosses helper
functions and modules. Everything beyond the body being run (other modules,
classes, summaries) the frame reaches through analysis/context.py; what a library's
objects do (clients, models, requests) it asks the surfaces (surfaces/registry.py).
"""

from __future__ import annotations

import ast
import builtins

from gdpr_lint.analysis.calls import Calls
from gdpr_lint.analysis.context import AnalysisContext
from gdpr_lint.analysis.evidence import Evidence
from gdpr_lint.analysis.expressions import Expressions
from gdpr_lint.analysis.libraries import Libraries
from gdpr_lint.analysis.members import Members
from gdpr_lint.analysis.program.symbols import FunctionInfo, ModuleInfo
from gdpr_lint.analysis.statements import Statements
from gdpr_lint.analysis.templates import Templates
from gdpr_lint.analysis.summaries import Hit, ParamSink
from gdpr_lint.analysis.values import (
    EMPTY,
    Ext,
    Imported,
    Red,
    Src,
    Value,
    join,
    path_key,
)
from gdpr_lint.model import FlowStep

BUILTIN_NAMES = frozenset(dir(builtins))


class Frame(Statements, Expressions, Evidence, Members, Calls, Libraries, Templates):
    """One body being interpreted: its environment, what it returns, the hits and
    parameter sinks it records. The evaluation rules live by concern in the classes it
    combines (statements, expressions, naming evidence, members, calls, library
    models); the state and the helpers they share are here."""

    def __init__(self, ctx: AnalysisContext, module: ModuleInfo, func: FunctionInfo | None = None,
                 parent: "Frame | None" = None, env: dict | None = None) -> None:
        self.ctx = ctx
        self.module = module
        self.src = module.source
        self.func = func
        self.parent = parent
        self.env: dict[str, Value] = env if env is not None else {}
        self.ret = EMPTY
        # one sink per (site, request parameter, function parameter, sanitizer): a parameter
        # reaches a request along many paths, and each sink is applied at every call
        self.sinks: dict[ParamSink, ParamSink] = {}
        self.mutations: dict[int, Value] = {}
        self.hits: list[Hit] = []
        self.comprehension_depth = 0
        self.current_stmt: ast.stmt | None = None  # the simple statement being interpreted
        self.vocab = ctx.vocab
        self.scope = func.key if func else f"{module.name}:<module>"
        self.param_index = {p: i for i, p in enumerate(func.param_names)} if func else {}
        self.stored_globals: set[str] = set()  # module globals this function stores into
        # state-object members (members.state_key) read before this run stored them: a state
        # object outlives the run, so a later run reads back what this one stores below
        # (Functions._summarise runs such a body again)
        self.state_unset: set[str] = set()

    # ------------------------------------------------------------------ helpers

    def step(self, node: ast.AST, note: str) -> FlowStep:
        line = getattr(node, "lineno", 1)
        return FlowStep(self.src.display, line, self.src.column(line, getattr(node, "col_offset", 0)), note)

    def text(self, node: ast.AST) -> str:
        return self.module.segment(node)

    def site_of(self, node: ast.AST) -> tuple:
        """Where `node` is, as a key that outlives the node (pipeline/bodies.py)."""
        return (self.module.name, getattr(node, "lineno", 0), getattr(node, "col_offset", 0),
                getattr(node, "end_lineno", 0), getattr(node, "end_col_offset", 0))

    def lookup(self, name: str) -> Value:
        f: Frame | None = self
        while f is not None:
            v = f.env.get(name)
            if v is not None:
                if v.has(Imported):
                    v = f.env[name] = self.ctx.resolve_imported(v)
                return v
            f = f.parent
        g = self.module.globals.get(name)
        if self.module.state == "collecting" and self.func is not None \
                and not self.ctx.final_global(self.module, name):
            self.ctx.touch(("p", self.module.name))  # this summary is provisional
        if g is None and (self.module.state != "ready" or self.module.deferred) or name in self.module.lazy_names:
            g = self.ctx.global_value(self.module, name)
        if g is not None and g.has(Imported):
            g = self.module.globals[name] = self.ctx.resolve_imported(g)
        if self.func is not None:
            stored = self.ctx.global_stores(self.module, name)  # what other functions put in it
            if stored is not None:
                g = stored if g is None else join(g, stored)
        if g is not None:
            return g
        if name in BUILTIN_NAMES:
            return Value(tags=frozenset({Ext("builtins." + name)}))
        return EMPTY

    def global_store(self, name: str, value: Value) -> None:
        """This function stores `value` into module global `name` (an item, an attribute, an
        appended element): other functions reading the global see it (global_stores.py)."""
        if self.func is None or not (value.taints or value.tags or value.fields):
            return
        if name not in self.stored_globals:
            f: Frame | None = self
            while f is not None and f.env is not self.module.globals:
                if name in f.env:
                    return  # a local (or a closure's): not the module's
                f = f.parent
            if name not in self.module.globals:
                return
            self.stored_globals.add(name)
        self.ctx.record_global_store(self.module, name, value)

    def source(self, node: ast.AST, expr: str, category: str, confidence: str, note: str | None = None,
               known: bool = True) -> Src:
        cat = self.vocab.categories.get(category)
        label = cat.label if cat else category
        return Src(expr=expr, category=category, confidence=confidence,
                   origin=self.step(node, note or f"`{expr}` ({label})"),
                   scope=self.scope, known=expr if known and self.comprehension_depth == 0 else None)

    def emit(self, site: str, kind: str, param: str, lab, scope: str, via: str = "") -> None:
        """Data reaching a request parameter: a hit for concrete data, a summary sink for a
        parameter of this function. Redacted data (`via` a sanitizer) is a protected flow."""
        if isinstance(lab, Red):
            via, lab = lab.via, lab.inner
        if isinstance(lab, Src):
            self.hits.append(Hit(site, kind, param, lab, scope, via))
        else:
            sink = ParamSink(site, kind, param, lab, via)
            old = self.sinks.get(sink)
            # of equal sinks, the shortest path (then the first in source order), as merge_labels
            if old is None or old.par.path != lab.path and path_key(lab) < path_key(old.par):
                self.sinks[sink] = sink

    def where(self, node: ast.AST) -> str:
        """`path:line` of a node, as client configurations record it."""
        return f"{self.src.display}:{getattr(node, 'lineno', 1)}"
