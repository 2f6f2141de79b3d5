"""Can an entry file reach an OpenAI object at all? Decided from bytes, without parsing.

The prefilter selects files by spellings; some of them (`.files`, `.models`, `.invoke(`,
`.stream(`) are common in code that has nothing to do with OpenAI (Django's
`from .models import`, tkinter's `.invoke(`), and they only make a request on an object
that is known to be a client or a LangChain model. Such an object is only ever made
where one of the origin spellings is (prefilter.has_origin_spelling): the package names,
a guessable resource root whose value is used, a configured sink or helper. So a file whose only triggers are
receiver words, and none of whose reachable modules (through its imports, transitively)
holds an origin spelling, cannot hold a request the analysis would find, and analysing
it is skipped.

A file whose only triggers are guessable roots (`.chat`, `.responses`) gets one more
test once parsed (`guess_root_in_use`): those attributes must be used where a request
can follow. `self.responses[code]`, `key in self.completions`, `x.images.append(...)`
and a mention in a docstring cannot lead to one.

Imports are found by regular expressions over the bytes that match every import
statement and more (imports in strings and comments only add modules to look at), and
an attribute chain on an imported name (`import app` ... `app.llm.client`) adds the
submodules it can name. Unsure (a module too many, one that cannot be read) means: analyse.
"""

from __future__ import annotations

import ast
import re
import weakref
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from gdpr_lint.analysis.program.importpath import resolve_relative
from gdpr_lint.pipeline.prefilter import (
    alternation,
    GUESS_ROOTS,
    WORD_BYTES,
    WORD_END,
    continues,
    guess_use_lines,
    word_pattern,
    has_origin_spelling,
    has_origin_word,
)
from gdpr_lint.pipeline.source import SourceError, SourceFile, parse_source, search_view

if TYPE_CHECKING:
    from gdpr_lint.analysis.program.project import Project
    from gdpr_lint.analysis.program.symbols import ModuleInfo

MAX_REACH_MODULES = 1000  # beyond this, give up and analyse
_END = 1 << 62

_ID = rb"[A-Za-z_\x80-\xff][\w\x80-\xff]*"
_SP = rb"(?:[ \t\f]|\\\r?\n)"  # blanks and line continuations inside a statement
_DOTTED = _ID + rb"(?:" + _SP + rb"*\." + _SP + rb"*" + _ID + rb")*"
# The patterns start with a literal (much faster to scan for than `\b`); the character
# before a match is checked by hand. `from <dots><module> import <names>`: the names run
# to the end of the logical line, or to the closing parenthesis.
_FROM = re.compile(
    rb"from" + _SP + rb"+((?:\." + _SP + rb"*)*)(" + _DOTTED + rb")?" + _SP + rb"*import" + _SP + rb"*"
    rb"(\([^)]*\)|(?:[^\n\\;#]|\\\r?\n)*)")
_IMPORT = re.compile(rb"import" + _SP + rb"+((?:[^\n\\;#]|\\\r?\n)*)")
_ALIAS = re.compile(rb"(" + _DOTTED + rb")(?:" + _SP + rb"+as" + _SP + rb"+(" + _ID + rb"))?")
_CHAIN = rb"((?:\s*\.\s*" + _ID + rb")+)"
_BLANKS = re.compile(rb"\s|\\")


def _clean(dotted: bytes) -> str:
    return _BLANKS.sub(b"", dotted).decode("utf-8", "replace")


def _starts_word(data: bytes, i: int) -> bool:
    return i == 0 or data[i - 1] not in WORD_BYTES


def imported_names(data: bytes, modname: str, package: bool) -> tuple[list[str], dict[str, str]]:
    """(dotted names the module imports, with their parent packages; local name -> the
    dotted name it binds). A superset of what the import statements say."""
    names: list[str] = []
    bound: dict[str, str] = {}
    spans: list[tuple[int, int]] = []  # in order of their start
    for m in _FROM.finditer(data):
        if not _starts_word(data, m.start()):
            continue
        spans.append(m.span())
        level = m.group(1).count(b".")
        base = resolve_relative(modname, package, _clean(m.group(2)) if m.group(2) else None, level)
        if base:
            names.append(base)
        for a in _ALIAS.finditer(m.group(3)):
            name = _clean(a.group(1))
            if name in ("as", "import"):
                continue
            dotted = f"{base}.{name}" if base else name
            names.append(dotted)
            bound[_clean(a.group(2)) if a.group(2) else name] = dotted
    for m in _IMPORT.finditer(data):
        i = bisect_right(spans, (m.start(), _END)) - 1  # the last from-import starting here or before
        if not _starts_word(data, m.start()) or i >= 0 and spans[i][0] <= m.start() < spans[i][1]:
            continue  # part of a word, or the `import` of a from-import
        for a in _ALIAS.finditer(m.group(1)):
            name = _clean(a.group(1))
            if name == "as":
                continue
            names.append(name)
            if a.group(2):
                bound[_clean(a.group(2))] = name
            else:
                top = name.split(".")[0]
                bound[top] = top
    return _with_parents(names), bound


def chained_names(data: bytes, local: str, dotted: str) -> list[str]:
    """The submodules an attribute chain on `local` (bound to package `dotted`) can name:
    `import app` ... `app.llm.client` -> app.llm, app.llm.client."""
    out = []
    for m in re.finditer(re.escape(local.encode()) + _CHAIN, data):
        if _starts_word(data, m.start()) and (m.start() == 0 or data[m.start() - 1] != ord(".")):
            out.append(dotted + _clean(m.group(1)))
    return _with_parents(out)


def _with_parents(names: list[str]) -> list[str]:
    out: list[str] = []
    for dotted in dict.fromkeys(names):
        parts = [p for p in dotted.split(".") if p]
        out.extend(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return list(dict.fromkeys(out))


def may_reach_request(project: Project, mod: ModuleInfo, words: frozenset[str],
                      defining: frozenset[str] = frozenset()) -> tuple[bool, list[tuple[Path, bytes | None]]]:
    """(False, files looked at, with their bytes, and the places looked at in vain, with
    None) when neither `mod` nor any module it can reach holds an origin spelling, or
    defines one of the names in `defining`: the answer holds while those files do not
    change and no module appears in those places. (True, []) when one does, or when unsure."""
    words = frozenset(words) | project.extra_words
    if has_origin_spelling(mod.source.search_view, words) or defines_any(mod.source.search_view, defining):
        return True, []
    memo = _MEMO.get(project)
    if memo is None:
        memo = _MEMO[project] = {}
    reach = _Reach(project, memo, words, defining)
    names = {mod.name}
    for child in reach.children(mod.name, mod.package, mod.source.search_view):
        closed = reach.closure(child)
        if closed is None:
            return True, []
        names |= closed
    if len(names) > MAX_REACH_MODULES:
        return True, []
    looked_at: list[tuple[Path, bytes | None]] = [(mod.source.path, mod.source.data)]
    for name in sorted(names - {mod.name}):
        found, in_vain = reach.found(name)
        if found is not None:
            looked_at.append((found[0], found[2]))
        looked_at.extend((path, None) for path in in_vain)
    return False, looked_at


class _Reach:
    """The modules reachable from a module, as a closure over the import graph: a module's
    children are the names its imports (and attribute chains on imported packages) name,
    a submodule only inside a package that exists. The closure of every module is kept for
    the run (per search roots, words and defined names), so the units that import the same
    libraries walk them once; a strongly connected group of modules (imports in a cycle)
    shares one closure. None for a closure that holds an origin spelling, a module that
    cannot be read, or more than MAX_REACH_MODULES modules: unsure, analyse."""

    def __init__(self, project: Project, memo: dict, words: frozenset[str], defining: frozenset[str]) -> None:
        self.project, self.memo, self.words, self.defining = project, memo, words, defining
        # the roots decide which file a name is (a unit's project adds its entry's root)
        self.roots = tuple(project.roots)
        self.closures: dict[str, frozenset[str] | None] = memo.setdefault(("closures", self.roots, words, defining), {})
        # the memo's tables, looked up once (their keys would otherwise be hashed per call)
        self._found: dict[str, tuple] = memo.setdefault(("found", self.roots), {})
        self._packages: dict[str, bool] = memo.setdefault(("package", self.roots), {})
        self._holds: dict[Path, bool] = memo.setdefault(("origin", words, defining), {})

    def found(self, name: str) -> tuple[tuple[Path, bool, bytes | None, bytes] | None, list[Path]]:
        """((file, is a package, bytes or None if unreadable, search view) of module `name` or
        None if absent, the places looked at in vain)."""
        hit = self._found.get(name)
        if hit is None:
            hit = self._found[name] = (_module_bytes(self.project, name, self.memo), self.project.places_of(name)[1])
        return hit

    def is_package(self, name: str) -> bool:
        """Whether `name` is a package that exists (looked for only inside a package that does)."""
        hit = self._packages.get(name)
        if hit is None:
            found = self.found(name)[0] if self._may_exist(name) else None
            hit = self._packages[name] = found is not None and found[1]
        return hit

    def children(self, modname: str, package: bool, text: bytes) -> list[str]:
        names, bound = _imports_of(self.memo, text, modname, package)
        out = [n for n in sorted(names, key=_depth) if self._may_exist(n)]
        for local, target in bound.items():
            if self.is_package(target):
                chain_key = ("chain", text, local, target)
                chain = self.memo.get(chain_key)
                if chain is None:
                    chain = self.memo[chain_key] = chained_names(text, local, target)
                out.extend(n for n in sorted(chain, key=_depth) if self._may_exist(n))
        return list(dict.fromkeys(out))

    def _may_exist(self, name: str) -> bool:
        parent = name.rpartition(".")[0]
        return not parent or self.is_package(parent)

    def holds(self, name: str) -> bool | None:
        """Whether module `name` holds an origin spelling or a defined name; None if unreadable."""
        found = self.found(name)[0]
        if found is None:
            return False
        path, _, data, view = found
        if data is None:
            return None
        hit = self._holds.get(path)
        if hit is None:
            hit = self._holds[path] = (_holds_origin(view, self.words, lambda: ast.parse(data))
                                       or defines_any(view, self.defining))
        return hit

    def closure(self, start: str) -> frozenset[str] | None:
        """The names reachable from `start` (itself included), or None (see the class).
        Tarjan's algorithm, iteratively: a group's closure is complete when its root is."""
        closures = self.closures
        if start in closures:
            return closures[start]
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        kids: dict[str, list[str]] = {}
        group: list[str] = []
        on_group: set[str] = set()
        calls: list[tuple[str, Iterator[str]]] = []

        def enter(name: str) -> bool:
            """False when `name` settles the answer: unsure or holding an origin."""
            index[name] = low[name] = len(index)
            group.append(name)
            on_group.add(name)
            if self.holds(name) is not False:
                return False
            found = self.found(name)[0]
            kids[name] = [] if found is None else self.children(name, found[1], found[3])
            calls.append((name, iter(kids[name])))
            return True

        def give_up() -> None:
            for name, _ in calls:  # each of them reaches what settled it
                closures[name] = None
            if not calls:
                closures[start] = None

        if not enter(start):
            give_up()
            return None
        while calls:
            name, todo = calls[-1]
            child = next(todo, None)
            if child is not None:
                if child in closures:
                    if closures[child] is None:
                        give_up()
                        return None
                elif child not in index:
                    if not enter(child):
                        calls.append((child, iter(())))
                        give_up()
                        return None
                elif child in on_group:
                    low[name] = min(low[name], index[child])
                continue
            calls.pop()
            if calls:
                parent = calls[-1][0]
                low[parent] = min(low[parent], low[name])
            if low[name] != index[name]:
                continue
            members = []
            while True:
                member = group.pop()
                on_group.discard(member)
                members.append(member)
                if member == name:
                    break
            reached = set(members)
            too_many = False
            for member in members:
                for child in kids[member]:
                    if child not in reached:
                        closed = closures.get(child)
                        if closed is None:
                            too_many = True  # a child given up on (in this group's own walk)
                            break
                        reached |= closed
                if too_many or len(reached) > MAX_REACH_MODULES:
                    too_many = True
                    break
            result = None if too_many else frozenset(reached)
            for member in members:
                closures[member] = result
            if result is None:
                give_up()
                return None
        return closures[start]


# Per project: what was read, the imports found, the verdicts on single modules and the
# closures of modules (per search roots), shared by the units that reach the same modules. The units of one run share one memo across the
# fresh projects of their chunks (share_memo): the files do not change during a run, and
# every entry is a function of a file's bytes alone.
_MEMO: weakref.WeakKeyDictionary[Project, dict] = weakref.WeakKeyDictionary()


def share_memo(project: Project, memo: dict) -> None:
    _MEMO[project] = memo


def _imports_of(memo: dict, text: bytes, modname: str, package: bool) -> tuple[list[str], dict[str, str]]:
    key = ("imports", modname, package, text)
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = imported_names(text, modname, package)
    return hit


def defines_any(view: bytes, names: frozenset[str]) -> bool:
    """Whether a module's text can define one of `names`: a `def` or `class` of that name,
    or an assignment to it at the start of a line (`ask = functools.partial(...)`)."""
    return bool(names) and _definitions(names).search(view) is not None


@lru_cache(maxsize=256)
def _definitions(names: frozenset[str]) -> re.Pattern[bytes]:
    alt = alternation(names).encode()
    return re.compile(rb"\b(?:def|class)[ \t]+(?:" + alt + rb")" + WORD_END.encode()
                      + rb"|^[ \t]*(?:" + alt + rb")[ \t]*(?::[^=\n]*)?=(?!=)", re.M)


def _holds_origin(view: bytes, words: frozenset[str], parse: Callable[[], ast.Module]) -> bool:
    """Whether a module can make an OpenAI object: a package name or word, or a guessable
    root read where a request can follow (the bytes first; where they cannot rule it out,
    the tree `parse` gives, as for an entry: `guess_root_in_use`). A module that does not
    parse counts as one that can."""
    if has_origin_word(view, words):
        return True
    lines = guess_use_lines(view)
    if not lines:
        return False
    try:
        tree = parse()
    except (SyntaxError, ValueError, SourceError):
        return True
    return guess_root_in_use(tree, view, lines)


def holds_origin(src: SourceFile, words: frozenset[str]) -> bool:
    """`_holds_origin` of an input file (a notebook's code cells parsed as the analysis does)."""
    return _holds_origin(src.search_view, words, lambda: src.tree if src.tree is not None else parse_source(src))


def origin_in_any(origins: list[SourceFile], words: frozenset[str]) -> bool:
    """Whether one of `origins` (input files whose bytes hold an origin spelling) can make an
    OpenAI object (`holds_origin`). The words first, over all of them: in an OpenAI
    application the first package word answers, before any file is parsed."""
    return any(has_origin_word(src.search_view, words) for src in origins) or any(
        holds_origin(src, words) for src in origins)


def names_any(names: frozenset[str], views: Iterable[bytes]) -> bool:
    """Whether a file names one of `names` (folders and modules the discovery left out,
    Discovery.unwalked_module_names) as a word, as an import that reaches them must
    (`import build`, `from .build import`)."""
    pattern = word_pattern(names) if names else None
    return pattern is not None and any(pattern.search(view) for view in views)


def guess_root_in_use(tree: ast.Module, view: bytes, lines: set[int] | None = None) -> bool:
    """Whether some `.chat` / `.responses` / ... attribute is read where a request can follow.
    The interpreter keeps nothing of it through a subscript (`x.responses[code]`) or a
    comparison (`code in x.responses`), nor through an attribute that is no path under the
    root (`x.completions.append`), nor through iteration or a builtin that only reads it
    (`len(self.completions)`); a store makes no value at all. Every other read counts.
    Only the statements on the lines the bytes could not rule out are looked at."""
    if lines is None:
        lines = guess_use_lines(view)
    if not lines:
        return False
    nodes: list[ast.AST] = []
    statements: list[ast.AST] = []
    todo: list[ast.AST] = [tree]
    while todo:
        for child in ast.iter_child_nodes(todo.pop()):
            if not isinstance(child, ast.stmt):
                nodes.extend(ast.walk(child))  # the statement's own expressions
            elif any(child.lineno <= line <= (child.end_lineno or child.lineno) for line in lines):
                todo.append(child)
                statements.append(child)
    dead: set[int] = set()
    reads: list[ast.Attribute] = []
    for node in nodes:
        if isinstance(node, ast.Attribute):
            if isinstance(node.ctx, ast.Load) and node.attr in GUESS_ROOTS:
                reads.append(node)
            inner = node.value
            if isinstance(inner, ast.Attribute) and inner.attr in GUESS_ROOTS and not continues(inner.attr, node.attr):
                dead.add(id(inner))
        elif isinstance(node, ast.Subscript):
            dead.add(id(node.value))
        elif isinstance(node, ast.Compare):
            dead.add(id(node.left))
            dead.update(id(c) for c in node.comparators)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _READING_BUILTINS:
            dead.update(id(a) for a in node.args)
        elif isinstance(node, ast.comprehension):
            dead.add(id(node.iter))
    for stmt in statements:
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            dead.add(id(stmt.iter))
    return any(id(n) not in dead for n in reads)


# Builtins that only read what they are given (a size, a copy of its items, a text): an
# OpenAI client's resource passed to them makes no request (`len(self.completions)`).
_READING_BUILTINS = frozenset({"len", "bool", "isinstance", "hash", "id", "repr", "str", "min", "max", "sorted",
                               "sum", "any", "all", "enumerate", "list", "tuple", "set", "reversed", "print"})


def _depth(name: str) -> int:
    return name.count(".")


def _module_bytes(project: Project, name: str, memo: dict) -> tuple[Path, bool, bytes | None, bytes] | None:
    """(file, is a package, bytes or None if unreadable, search view) of module `name`; None if absent."""
    known = project.modules.get(name)
    if known is not None:
        return known.source.path, known.package, known.source.data, known.source.search_view
    path = project.locate_module(name)  # (records where it was looked for, as a dependency)
    if path is None:
        return None
    hit = memo.get(("read", path))
    if hit is None:
        hit = memo[("read", path)] = _read_module(project, path)
    return hit


def _read_module(project: Project, path: Path) -> tuple[Path, bool, bytes | None, bytes]:
    data = project.input_bytes(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError:
            return path, path.name == "__init__.py", None, b""
    return path, path.name == "__init__.py", data, search_view(data)
