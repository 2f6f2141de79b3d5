"""What the whole-program side knows of each definition: modules, functions, classes
and request call sites. Plain records; the interpreter (analysis/frame.py) reads them
and the program (project.py) builds them."""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TypeVar

from gdpr_lint.analysis.reads import NO_READS, Reads
from gdpr_lint.analysis.values import Value
from gdpr_lint.model import CallSite
from gdpr_lint.pipeline.source import SourceFile
from gdpr_lint.surfaces.catalogue import Endpoint

T = TypeVar("T")

# Facts worked out from a syntax tree alone (which top-level statements bind a name, which
# functions store into which globals) are kept with the tree: the parse cache shares trees
# between the fresh projects of a run's chunks, so each is worked out once per file.
_TREE_FACTS: weakref.WeakKeyDictionary[ast.Module, dict[str, Any]] = weakref.WeakKeyDictionary()


def tree_fact(tree: ast.Module, compute: Callable[[ast.Module], T]) -> T:
    """`compute(tree)`, once per tree (a pure function of the tree; do not mutate the result)."""
    facts = _facts_of(tree)
    key = compute.__qualname__
    if key not in facts:
        facts[key] = compute(tree)
    return facts[key]


def _facts_of(tree: ast.Module) -> dict[str, Any]:
    facts = _TREE_FACTS.get(tree)
    if facts is None:
        facts = _TREE_FACTS[tree] = {}
    return facts


# fields that never hold a node (identifiers, flags, a constant's value) and expression
# contexts (`Load`/`Store`, a third of all nodes): nothing a fact looks for lies below them.
# Not `name`: a string in most nodes, but a Name node in 3.12's `type X = ...` (TypeAlias).
_LEAF_FIELDS = frozenset({"ctx", "id", "attr", "arg", "module", "kind", "type_comment", "conversion",
                          "level", "is_async", "asname", "tag"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def walk_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under `node` (itself included) but expression contexts, as ast.walk but in
    no particular order and about twice as fast (one generator, no per-node field iterators,
    only the fields that can hold nodes): for facts that are sets."""
    stack = [node]
    pop, push = stack.pop, stack.append
    fields_of = _CHILD_FIELDS
    while stack:
        current = pop()
        yield current
        fields = fields_of.get(current.__class__)
        if fields is None:
            cls = current.__class__
            fields = fields_of[cls] = tuple(f for f in cls._fields if f not in _LEAF_FIELDS
                                            and not (cls is ast.Constant and f == "value"))
        for name in fields:
            child = getattr(current, name, None)
            if isinstance(child, list):
                for item in child:
                    if isinstance(item, ast.AST):
                        push(item)
            elif isinstance(child, ast.AST):
                push(child)


def node_fact(tree: ast.Module, node: ast.AST, compute: Callable[[ast.AST], T]) -> T:
    """`compute(node)` for a node of `tree`, once per tree (as tree_fact)."""
    per_node = _facts_of(tree).setdefault(compute.__qualname__, {})
    hit = per_node.get(id(node))
    if hit is None:
        # the node is kept with its fact: its id cannot be reused by another node while the
        # entry lives (a node made during the analysis is not part of the tree)
        hit = per_node[id(node)] = (node, compute(node))
    return hit[1]


def decorator_texts(tree: ast.Module | None, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> tuple[str, ...]:
    """The decorators of a definition as written (`property`, `functools.cached_property`)."""
    return tuple(source_text(tree, d) for d in node.decorator_list)


def source_text(tree: ast.Module | None, node: ast.AST) -> str:
    """`ast.unparse(node)`, once per node of a tree (an annotation read by every project)."""
    return _unparsed(node) if tree is None else node_fact(tree, node, _unparsed)


def _unparsed(node: ast.AST) -> str:
    return ast.unparse(node)


@dataclass
class ModuleInfo:
    name: str
    source: SourceFile
    package: bool  # an __init__.py
    globals: dict[str, Value] = field(default_factory=dict)
    state: str = "new"  # new | collecting | ready
    reported: bool = True  # findings in this file are reported
    trigger_lines: dict | None = None  # extra words -> lines that may hold a request (prefilter)
    word_lines: dict[str, set[int]] | None = None  # word -> lines naming it; "": the request spellings
    deps: Reads = NO_READS  # what evaluating the module's globals read (see Project.touch)
    report_hits: list | None = None  # hits of the module-level code, once analysed as an entry
    report_deps: Reads = NO_READS
    binders: dict[str, list[int]] | None = None  # name -> top-level statements that bind it
    collect_index: int = 0  # the top-level statement being run by ensure_globals
    deferred: set[int] = field(default_factory=set)  # top-level statements left for later (ensure_globals)
    lazy_names: set[str] = field(default_factory=set)  # globals a deferred statement still has to bind
    evaluated: set[int] = field(default_factory=set)  # top-level statements run (lazy globals)
    functions: list = field(default_factory=list)  # FunctionInfo defined in this module
    # what functions store into this module's globals (`current["account"] = account`,
    # `seen.append(customer)`), for the other functions that read them (global_stores.py)
    global_stores: dict[str, Value] = field(default_factory=dict)
    stores_collected: dict[str, str] = field(default_factory=dict)  # global -> collecting | ready
    writers_run: set = field(default_factory=set)  # storing functions run (their key)
    may_declare_global: bool | None = None  # its text spells `global` (None: not looked yet)
    site_keys: list[str] = field(default_factory=list)  # the request sites in this module (Project.sites)
    _line_bytes: dict[int, bytes] = field(default_factory=dict)

    def segment(self, node: ast.AST) -> str:
        lineno = getattr(node, "lineno", None)
        end = getattr(node, "end_lineno", None)
        if lineno is not None and lineno == end:
            b = self._line_bytes.get(lineno)
            if b is None:
                b = self.source.lines[lineno - 1].encode("utf-8") if lineno <= len(self.source.lines) else b""
                self._line_bytes[lineno] = b
            return b[getattr(node, 'col_offset', 0):getattr(node, 'end_col_offset', None)].decode("utf-8", errors="replace")
        try:
            return ast.unparse(node)
        except Exception:  # noqa: BLE001 - display text only
            return "<expression>"


@dataclass
class FunctionInfo:
    key: str
    module: ModuleInfo
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    cls: "ClassInfo | None"
    closure: Any  # the Frame of the enclosing function (a closure reads its variables), or None
    param_names: list[str]
    is_method: bool
    called_params: frozenset[int] | None = None  # parameters the body calls; None: not looked at yet
    receiver_params: frozenset[int] | None = None  # parameters the body calls a method on; None: not yet
    stored_params: tuple | None = None  # (parameter, attributes it is stored on self as); None: not yet
    redacts: str | None = None  # as a redaction step of its own: its `via`, "" if it is none; None: not judged

    @property
    def name(self) -> str:
        return self.node.name


@dataclass
class ClassInfo:
    key: str
    module: ModuleInfo
    qualname: str
    name: str
    node: ast.ClassDef
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    attrs: dict[str, Value] = field(default_factory=dict)  # class-level and self.* attributes
    bases: list[Value] = field(default_factory=list)
    person: bool = False
    field_categories: dict[str, str] = field(default_factory=dict)
    weak_fields: set[str] = field(default_factory=set)  # fields judged by the class's kind alone: medium
    store_state: str = "new"
    deps: Reads = NO_READS
    field_order: list[str] = field(default_factory=list)  # declared fields (dataclass / model constructors)


@dataclass
class SiteInfo:
    site: CallSite
    module: ModuleInfo
    function_key: str
    endpoint: Endpoint | None
    node: ast.Call
