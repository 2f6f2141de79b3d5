"""Function bodies kept as source text once many have run.

A worker holds the syntax trees of every module its units import. On a large package (the
modules LiteLLM's `__init__` imports) those trees are most of its memory, and seven nodes in
ten lie in function bodies, most of them run once or twice. So a worker keeps at most
BODY_LINES lines of the bodies it ran as trees: past that, the bodies run least recently are
let go, and a body let go is parsed again from its file's text when next read (`node.body`).

Only bodies that ran are let go. Facts worked out from a whole tree (which names a module
imports, which functions store into its globals, what a function calls) walk every body
once: letting bodies go before they run made those walks parse them again, four times as
often as a run does.

The def node stays, with its identity, arguments and decorators; only its statements are
made again, at the same positions, from the same text. Whatever reads the tree (the
interpreter, `ast.walk`, the facts kept per node) cannot tell, save by the identity of the
nodes inside a body: nothing may key on those across a body's lifetimes (a partial is
known by its position, `Frame.site_of`; a lambda's def by its body's position).

A def whose body was let go is an instance of a subclass of its node type, of the same
name (the interpreter dispatches on the type's name), whose `body` property parses the
body again and turns the node back into a plain one.
"""

from __future__ import annotations

import ast
from collections import OrderedDict
from typing import Union

from gdpr_lint.config.environment import number
from gdpr_lint.pipeline.source import Lines, SourceError, SourceFile, parse_text

# Lines of run function bodies a process keeps as trees (0: no limit): about 1.1 KB a line.
# On LiteLLM, 150k (of the 700k its units run) kept the time of no limit.
BODY_LINES = int(number("GDPR_LINT_BODY_LINES", 150_000))

Def = Union[ast.FunctionDef, ast.AsyncFunctionDef]
_HELD = "_gdpr_source"  # where a def whose body was let go keeps what makes it again


def _body(node: Def) -> list[ast.stmt]:
    """A def's body (the lazy node types' `body`): parsed again, held again by its keeper. (A
    body set meanwhile makes the node a plain one, `_set_body`: this reads only a let-go one.)"""
    d = node.__dict__
    kept, lines, count = d[_HELD]
    body = d["body"] = _parsed_again(node, lines, count)
    del d[_HELD]
    node.__class__ = _PLAIN[type(node)]
    kept.add(node, lines)
    return body


def _set_body(node: Def, body: list[ast.stmt]) -> None:
    node.__dict__.pop(_HELD, None)
    node.__dict__["body"] = body
    node.__class__ = _PLAIN[type(node)]


class _FunctionDef(ast.FunctionDef):
    __slots__ = ()
    body = property(_body, _set_body)  # type: ignore[assignment]


class _AsyncFunctionDef(ast.AsyncFunctionDef):
    __slots__ = ()
    body = property(_body, _set_body)  # type: ignore[assignment]


# named as the node types they stand for: the interpreter dispatches on the type's name
_FunctionDef.__name__ = _FunctionDef.__qualname__ = "FunctionDef"
_AsyncFunctionDef.__name__ = _AsyncFunctionDef.__qualname__ = "AsyncFunctionDef"
_LAZY: dict[type, type] = {ast.FunctionDef: _FunctionDef, ast.AsyncFunctionDef: _AsyncFunctionDef}
_PLAIN: dict[type, type] = {lazy: plain for plain, lazy in _LAZY.items()} | {plain: plain for plain in _LAZY}


class KeptBodies:
    """The run bodies a process holds as trees, least recently run first (one per process,
    with its parse cache: `UnitContext.bodies`)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = BODY_LINES if limit is None else limit  # lines (0: no limit)
        # id(def) -> (def, its file or the file's lines, lines of the def)
        self.order: OrderedDict[int, tuple[Def, SourceFile | Lines, int]] = OrderedDict()
        self.lines = 0

    def used(self, node: Def, src: SourceFile) -> None:
        """`node`'s body is being run: held as the most recently run (parsed again if let go)."""
        if self.limit <= 0 or node.name == "<lambda>":  # (a lambda, run as a def made up for it)
            return
        node.body  # noqa: B018 - a body let go is parsed again when read
        self.add(node, src)

    def add(self, node: Def, src: SourceFile | Lines) -> None:
        key = id(node)
        if key in self.order:
            self.order.move_to_end(key)
            return
        cost = (node.end_lineno or node.lineno) - node.lineno + 1
        self.order[key] = (node, src, cost)  # (the node is held: its id is not reused meanwhile)
        self.lines += cost
        while self.lines > self.limit and len(self.order) > 1:
            _, (old, old_src, old_cost) = self.order.popitem(last=False)
            self.lines -= old_cost
            self._let_go(old, old_src if isinstance(old_src, Lines) else old_src.lines)

    def clear(self) -> None:
        """Hold nothing (the process let go of its parsed files)."""
        self.order.clear()
        self.lines = 0

    def _let_go(self, node: Def, lines: Lines) -> None:
        """(Every def held is a plain node with its body: one let go leaves `order`.)"""
        d = node.__dict__
        d[_HELD] = (self, lines, len(d.pop("body")))
        node.__class__ = _LAZY[type(node)]


def _parsed_again(node: Def, lines: Lines, count: int) -> list[ast.stmt]:
    """`node`'s statements parsed from its lines of the file's text, at their positions:
    blank lines stand for the lines above, and an indented def is put under an `if 1:`."""
    first, last = node.lineno, node.end_lineno or node.lineno
    if 1 < first <= last <= len(lines):
        indented = node.col_offset > 0
        code = "\n" * (first - (2 if indented else 1)) + ("if 1:\n" if indented else "") \
            + lines.text[lines.start(first):lines.start(last + 1)]
        try:
            tree = parse_text(code, "<body>")
        except SourceError:
            tree = None
        if tree is not None and tree.body:
            first_stmt = tree.body[0]
            made = _matching(first_stmt.body[0] if indented and isinstance(first_stmt, ast.If) else first_stmt, node, count)
            if made is not None:
                return made.body
    # a def the lines above cannot stand for (on the file's first line, after a form feed):
    # found in the whole file parsed again
    for candidate in ast.walk(parse_text(lines.text, "<body>", top_level_await=True)):
        made = _matching(candidate, node, count)
        if made is not None:
            return made.body
    raise RuntimeError(f"the body of `{node.name}` (line {node.lineno}) could not be parsed again")


def _matching(made: ast.AST, node: Def, count: int) -> Def | None:
    """`made` if it is `node` made again (same type and place, as many statements)."""
    if not isinstance(made, (ast.FunctionDef, ast.AsyncFunctionDef)) or type(made) is not _PLAIN[type(node)]:
        return None
    same = (made.lineno, made.col_offset, made.end_lineno, made.end_col_offset, len(made.body)) \
        == (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, count)
    return made if same else None
