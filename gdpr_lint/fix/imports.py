"""Where the fix's `from gdpr_lint.runtime import ...` goes.

LibCST's `AddImportsVisitor` appends it after the leading import block. Projects that
keep their imports in isort's order (Ruff's `I001`) would then see a new lint error on
every fixed file, so the import is moved to where isort would put it: in the
third-party section (the first group, separated by blank lines, that is not all
standard library), `import x` lines before `from x import y` lines, each by module name
ignoring case. A group that is not in that order already is left as it is and the
import goes at its end; a module without a third-party group gets a new group after
the standard library's.
"""

from __future__ import annotations

import sys
from typing import Sequence

import libcst as cst

RUNTIME = "gdpr_lint.runtime"
Stmt = cst.SimpleStatementLine | cst.BaseCompoundStatement
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


def dotted_name(node: cst.BaseExpression | None) -> str | None:
    """`a.b.c` for a name or attribute chain; None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _key(stmt: cst.CSTNode) -> tuple[int, str] | None:
    """isort's order inside a section: plain imports first, then from-imports, by module."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return None
    imp = stmt.body[0]
    if isinstance(imp, cst.Import):
        return (0, (dotted_name(imp.names[0].name) or "").lower())
    if isinstance(imp, cst.ImportFrom):
        if imp.relative:
            return (1, "." * len(imp.relative) + (dotted_name(imp.module) or "").lower())
        return (1, (dotted_name(imp.module) or "").lower())
    return None


def _stdlib(key: tuple[int, str]) -> bool:
    return not key[1].startswith(".") and key[1].split(".", 1)[0] in _STDLIB


def _is_runtime_import(stmt: cst.CSTNode) -> bool:
    return _key(stmt) == (1, RUNTIME)


def _blank_only(lines: Sequence[cst.EmptyLine]) -> bool:
    return all(line.comment is None for line in lines)


def place_runtime_import(before: Sequence[Stmt], after: list[Stmt]) -> list[Stmt]:
    """`after` is the module's header `before` with the runtime import added by LibCST;
    return it with that import moved to isort's place (unchanged when nothing was added
    or the place is unclear)."""
    if len(after) == len(before):
        return _sorted_extension(before, after)
    if len(after) != len(before) + 1:
        return after
    added = next((i for i, s in enumerate(after) if _is_runtime_import(s)
                  and not any(s.deep_equals(b) for b in before)), None)
    if added is None:
        return after
    stmt = after[added]
    rest = after[:added] + after[added + 1:]
    # the import block: the run of import statements that ends where the runtime import was put
    end = added
    start = end
    while start > 0 and _key(rest[start - 1]) is not None:
        start -= 1
    while start < end and _key(rest[start]) == (1, "__future__"):
        start += 1
    if start == end:
        return after
    groups: list[list[int]] = []
    for i in range(start, end):
        if not groups or rest[i].leading_lines:
            groups.append([])
        groups[-1].append(i)
    keys = {i: _key(rest[i]) for i in range(start, end)}
    mine = (1, RUNTIME)
    for group in groups:
        gkeys = [keys[i] for i in group]
        if all(k is not None and _stdlib(k) for k in gkeys):
            continue
        if all(k is not None and k[1].startswith(".") for k in gkeys):
            break  # only relative imports: the project's own section, which comes after third party
        if gkeys != sorted(gkeys, key=lambda k: k or (9, "")):
            return after  # not kept in isort's order: LibCST's place (end of the block)
        pos = next((i for i in group if (keys[i] or (9, "")) > mine), None)
        if pos is None:
            return after if group[-1] == end - 1 else _insert(rest, group[-1] + 1, stmt)
        if pos == group[0]:
            first = rest[pos]
            if not _blank_only(first.leading_lines):
                return after  # comments above the group's first import stay with it
            moved = stmt.with_changes(leading_lines=first.leading_lines)
            rest[pos] = first.with_changes(leading_lines=())
            return _insert(rest, pos, moved)
        return _insert(rest, pos, stmt)
    # no third-party group: a new one after the standard library's (before a project section)
    last_std = max((g[-1] for g in groups if all(_stdlib(keys[i] or (9, "")) for i in g)), default=None)
    if last_std is None:
        return after
    return _insert(rest, last_std + 1, stmt.with_changes(leading_lines=(cst.EmptyLine(),)))


def _sorted_extension(before: Sequence[Stmt], after: list[Stmt]) -> list[Stmt]:
    """An existing `from gdpr_lint.runtime import a, b` that LibCST extended: its names in
    isort's order again, if they were in it before."""
    for i, (old, new) in enumerate(zip(before, after)):
        if old is new or not _is_runtime_import(new) or old.deep_equals(new):
            continue
        if not (isinstance(old, cst.SimpleStatementLine) and isinstance(new, cst.SimpleStatementLine)):
            return after
        old_imp, new_imp = old.body[0], new.body[0]
        if not (isinstance(old_imp, cst.ImportFrom) and isinstance(new_imp, cst.ImportFrom)
                and isinstance(old_imp.names, Sequence) and isinstance(new_imp.names, Sequence)):
            return after
        old_names = [dotted_name(a.name) or "" for a in old_imp.names]
        if old_names != sorted(old_names, key=str.lower) or new_imp.lpar is not None:
            return after  # not kept sorted, or written over several lines: leave it
        names = sorted(new_imp.names, key=lambda a: (dotted_name(a.name) or "").lower())
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        names = [a.with_changes(comma=comma if j < len(names) - 1 else cst.MaybeSentinel.DEFAULT)
                 for j, a in enumerate(names)]
        out = list(after)
        out[i] = new.with_changes(body=[new_imp.with_changes(names=names)])
        return out
    return after


def _insert(body: list[Stmt], at: int, stmt: Stmt) -> list[Stmt]:
    return body[:at] + [stmt] + body[at:]
