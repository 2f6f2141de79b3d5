"""The rewrite `gdpr-lint check --fix` makes: LibCST's codemod for one file.

For every call with a GDPR001/GDPR002 finding the callee is wrapped::

    client.chat.completions.create(model=..., messages=...)
    ->
    protect(client.chat.completions.create, known={"name": [customer.name]})(model=..., messages=...)

handing the runtime the personal expressions the analysis found in scope
(`Finding.known`), so it pseudonymises even what its detectors cannot recognise.
For GDPR003 the identifier argument (`user=`, `safety_identifier=`,
`prompt_cache_key=`) is wrapped in `pseudonymous_id(...)`. For GDPR004 (data the
runtime cannot recognise passes an existing `protect(...)` or `pseudonymise(...)`)
the values are added to that call's `known=`.

`ProtectCalls` locates calls by position (`PositionProvider`, matched against
`Finding.span`); only the call and the import change, comments and formatting
elsewhere are kept. `rewrite_source` runs it on one file's bytes and re-parses the
result. Planning and writing the files is runner.py's job.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Sequence

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import PositionProvider

from gdpr_lint.checks.rules import KNOWN_ORDER
from gdpr_lint.fix.imports import RUNTIME, dotted_name, place_runtime_import
from gdpr_lint.fix.style import DEFAULT_LINE_LENGTH, line_length_for
from gdpr_lint.model import Finding
from gdpr_lint.pipeline.source import SourceError, decode, parse_text

CONTENT_CODES = ("GDPR001", "GDPR002")
IDENTITY_CODE = "GDPR003"
HANDOVER_CODE = "GDPR004"  # hand the values to the runtime call already there
FIX_CODES = CONTENT_CODES + (IDENTITY_CODE, HANDOVER_CODE)
PSEUDONYMISE = ("pseudonymise", "pseudonymize")
# Request parameters that take an opaque identifier: a pseudonymous id is a
# drop-in replacement. Others (an invite's `email=`) need the real value.
ID_PARAMS = ("user", "safety_identifier", "prompt_cache_key")
ALIASES = {"protect": "gdpr_protect", "pseudonymous_id": "gdpr_pseudonymous_id"}


@dataclass
class Unfixed:
    finding: Finding
    reason: str


class FixError(Exception):
    """The rewrite of one file failed; str(exc) says why."""


# --------------------------------------------------------------------------- codemod


def _known_literal(known: dict[str, list[str]], forbidden: str = "") -> str:
    """`{"name": [customer.name], "email": [customer.email]}` from Finding.known.

    `forbidden`: quote characters of enclosing f-strings, which the literal (before
    Python 3.12) must not contain; expressions that would need them are left out.
    """
    quote = '"' if '"' not in forbidden else "'"
    items = []
    # categories in the order of rules/checks.toml (known-order), then alphabetically: stable
    # output whatever order the analysis found them in
    order = sorted(known, key=lambda c: (KNOWN_ORDER.index(c) if c in KNOWN_ORDER else len(KNOWN_ORDER), c))
    for category in order:
        exprs = known[category]
        key = json.dumps(category)
        if quote == "'":
            key = "'" + key[1:-1].replace("'", "\\'") + "'"
        if forbidden and (quote in forbidden or "\\" in key):
            continue
        values = []
        for expr in exprs:
            try:
                node = ast.parse(expr.strip(), mode="eval").body
                cst.parse_expression(expr.strip())
            except (SyntaxError, ValueError, cst.ParserSyntaxError, RecursionError):
                continue  # not an expression we can repeat safely: the runtime's detectors still run
            text = expr.strip() if "\n" not in expr else ast.unparse(node)
            if forbidden and any(c in text for c in forbidden + "\\"):
                continue
            if text not in values:
                values.append(text)
        if values:
            items.append(f"{key}: [{', '.join(values)}]")
    return "{" + ", ".join(items) + "}" if items else ""


def _is_single_import(stmt: cst.CSTNode) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], (cst.Import, cst.ImportFrom)))


@dataclass
class RuntimeNames:
    """Under which local names the fix refers to the runtime's functions."""

    use: dict[str, str]  # "protect" -> "protect" | "gdpr_protect" | an existing alias
    bound: dict[str, set[str]]  # local names anywhere in the module bound to the runtime function


def runtime_names(tree: ast.Module, text: str) -> RuntimeNames:
    """Pick names that shadow nothing: reuse a module-level
    `from gdpr_lint.runtime import protect [as X]`; else `protect` when the module
    neither binds nor references that name anywhere (any scope); else
    `gdpr_protect`, `gdpr_protect_2`, ..."""
    funcs = ("protect", "pseudonymous_id")
    bound: dict[str, set[str]] = {f: set() for f in funcs + PSEUDONYMISE}
    if not any(f in text for f in funcs + PSEUDONYMISE) and "gdpr_p" not in text and "import *" not in text:
        return RuntimeNames({f: f for f in funcs}, bound)  # nothing can clash: skip the walk
    taken: set[str] = set()
    star = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            taken.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            taken.add(node.name)
        elif isinstance(node, ast.arg):
            taken.add(node.arg)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            taken.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            taken.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            taken.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            taken.add(node.rest)
        elif isinstance(node, ast.Import):
            for a in node.names:
                taken.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            ours = node.module == RUNTIME and not node.level
            for a in node.names:
                if a.name == "*":
                    star = True
                elif ours and a.name in bound:
                    bound[a.name].add(a.asname or a.name)
                else:
                    taken.add(a.asname or a.name)
    use: dict[str, str] = {}
    for stmt in tree.body:  # module-level runtime imports, not rebound anywhere
        if isinstance(stmt, ast.ImportFrom) and stmt.module == RUNTIME and not stmt.level:
            for a in stmt.names:
                local = a.asname or a.name
                if a.name in bound and local not in taken:
                    use.setdefault(a.name, local)
    for func in funcs:
        if func in use:
            continue
        for cand in [func, ALIASES[func]] + [f"{ALIASES[func]}_{i}" for i in range(2, 1000)]:
            if cand not in taken and not (star and cand == func):
                use[func] = cand
                break
    return RuntimeNames(use, bound)


class ProtectCalls(VisitorBasedCodemodCommand):
    """Wrap each flagged OpenAI request call with `gdpr_lint.runtime.protect`."""

    DESCRIPTION = "Route OpenAI requests that carry personal data through gdpr_lint.runtime.protect."
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: CodemodContext, findings: Sequence[Finding], names: "RuntimeNames",
                 lines: Sequence[str] = (), line_length: int = DEFAULT_LINE_LENGTH) -> None:
        super().__init__(context)
        self.lines = lines  # the source, to measure the line a wrapper lands on
        self.line_length = line_length
        self.by_span: dict[tuple[int, int, int, int], list[Finding]] = {}
        for f in findings:
            s = f.span
            self.by_span.setdefault((s.line, s.column, s.end_line, s.end_column), []).append(f)
        self.applied: list[Finding] = []
        self.unfixed: list[Unfixed] = []
        self.seen: set[tuple[int, int, int, int]] = set()
        self.names = names.use  # runtime function -> local name to use
        self.protect_locals = names.bound["protect"] | {names.use["protect"]}
        self.pid_locals = names.bound["pseudonymous_id"] | {names.use["pseudonymous_id"]}
        self.pseudonymise_locals = names.bound.get("pseudonymise", set()) | names.bound.get("pseudonymize", set())
        # GDPR004: the runtime call (protect(...) / pseudonymise(...)) that gets the known
        # values, found when the request call is entered and changed when it is left
        self.handover: dict[cst.Call, list[Finding]] = {}
        self.fstring_quotes: list[str] = []  # quote characters of the enclosing f-strings

    # -- imports --------------------------------------------------------------

    def _instantiate_and_run(self, transform, tree: cst.Module) -> cst.Module:
        """Run AddImportsVisitor on the module's import header only.

        It inserts after the docstring, `__future__` and the leading import block,
        and touches at most the leading lines of the first statement after that
        block, so running it on `header + stand-in for that statement` gives the
        same result as on the whole module, without a deep copy and a
        matcher-dispatched visit of every node (most of the time on large files).
        """
        if transform is not AddImportsVisitor:
            return super()._instantiate_and_run(transform, tree)
        body = list(tree.body)
        k = 1 if body and isinstance(body[0], cst.SimpleStatementLine) else 0
        while k < len(body) and _is_single_import(body[k]):
            k += 1
        stand_in = None
        if k < len(body):
            stand_in = cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=body[k].leading_lines)
        head = tree.with_changes(body=[*body[:k], *([stand_in] if stand_in is not None else [])])
        new_head = super()._instantiate_and_run(transform, head)
        new_body = list(new_head.body)
        if stand_in is None:
            return new_head.with_changes(body=place_runtime_import(body[:k], new_body))
        lines = new_body.pop().leading_lines
        new_body = place_runtime_import(body[:k], new_body)
        return new_head.with_changes(body=[*new_body, body[k].with_changes(leading_lines=lines), *body[k + 1:]])

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        self.fstring_quotes.append(node.quote[0])
        return True

    def leave_FormattedString(self, original_node: cst.FormattedString,
                              updated_node: cst.FormattedString) -> cst.FormattedString:
        self.fstring_quotes.pop()
        return updated_node

    def _need(self, func: str) -> str:
        local = self.names[func]
        AddImportsVisitor.add_needed_import(self.context, RUNTIME, func, asname=None if local == func else local)
        return local

    def _is_runtime_call(self, node: cst.BaseExpression, func: str) -> bool:
        if not isinstance(node, cst.Call):
            return False
        dotted = dotted_name(node.func)
        locals_ = self.protect_locals if func == "protect" else self.pid_locals
        return dotted in locals_ or dotted == f"{RUNTIME}.{func}"

    def _is_pseudonymise_call(self, node: cst.CSTNode) -> bool:
        if not isinstance(node, cst.Call):
            return False
        dotted = dotted_name(node.func)
        return dotted in self.pseudonymise_locals or dotted in {f"{RUNTIME}.{f}" for f in PSEUDONYMISE}

    # -- calls ----------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> bool:
        pos = self.get_metadata(PositionProvider, node)
        group = self.by_span.get((pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1))
        handover = [f for f in group or () if f.code == HANDOVER_CODE]
        if handover:
            if self._is_runtime_call(node.func, "protect"):
                targets = [node.func]
            else:
                targets = [c for c in _calls_within(node.args) if self._is_pseudonymise_call(c)]
            if len(targets) == 1:
                assert isinstance(targets[0], cst.Call)
                self.handover[targets[0]] = handover
            else:
                where = ("the data passes pseudonymise(...) or protect(...) outside this call" if not targets
                         else "more than one pseudonymise(...) in this call")
                for f in handover:
                    literal = _known_literal(f.known)
                    what = f"known={literal}" if literal else "the values in known="
                    self.unfixed.append(Unfixed(f, f"{where}; add {what} where the data passes it"))
        return True

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if original_node in self.handover:
            updated_node = self._hand_over(updated_node, self.handover.pop(original_node))
        pos = self.get_metadata(PositionProvider, original_node)
        key = (pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1)
        group = self.by_span.get(key)
        if not group:
            return updated_node
        self.seen.add(key)
        node = updated_node
        if all(f.code == HANDOVER_CODE for f in group):
            return updated_node  # handled at the runtime call inside (visit_Call)
        content = [f for f in group if f.code in CONTENT_CODES]
        identity = [f for f in group if f.code == IDENTITY_CODE]
        if identity:
            node = self._fix_identity(node, identity)
        if content:
            node = self._fix_content(node, content, original_node)
        return node

    def _fits(self, original: cst.Call, head: str) -> bool:
        """Whether the call's first line, with its callee replaced by `head`, stays within the
        configured line length (unknown: assume it does)."""
        func = self.get_metadata(PositionProvider, original.func)
        if func.start.line != func.end.line or not (0 < func.start.line <= len(self.lines)):
            return True
        line = self.lines[func.start.line - 1].rstrip("\r\n")
        return func.start.column + len(head) + len(line) - func.end.column <= self.line_length

    def _fix_content(self, node: cst.Call, findings: list[Finding], original: cst.Call | None = None) -> cst.Call:
        if self._is_runtime_call(node.func, "protect"):
            self.unfixed.extend(Unfixed(f, "the call already goes through protect(...)") for f in findings)
            return node
        literal = self._known_of(findings)
        protect = self._need("protect")
        head = f"{protect}(__gdpr_lint_callee__" + (f", known={literal})" if literal else ")")
        callee = cst.Module(body=[]).code_for_node(node.func)
        if literal and original is not None and not self.fstring_quotes \
                and not self._fits(original, head.replace("__gdpr_lint_callee__", callee)):
            # one argument per line, as Black and Ruff's formatter would write it (the block's
            # indentation is added when the code is generated)
            head = f"{protect}(\n    __gdpr_lint_callee__,\n    known={literal},\n)"
        wrapper = cst.parse_expression(head)
        assert isinstance(wrapper, cst.Call)
        first = wrapper.args[0].with_changes(value=node.func)
        wrapper = wrapper.with_changes(args=(first, *wrapper.args[1:]))
        self.applied.extend(findings)
        return node.with_changes(func=wrapper)

    def _known_of(self, findings: list[Finding]) -> str:
        """The findings' known values, merged, as a `known=` literal writable here ("" if none is)."""
        known: dict[str, list[str]] = {}
        for f in findings:
            for category, exprs in f.known.items():
                bucket = known.setdefault(category, [])
                bucket.extend(e for e in exprs if e not in bucket)
        return _known_literal(known, "".join(sorted(set(self.fstring_quotes))))

    def _hand_over(self, node: cst.Call, findings: list[Finding]) -> cst.Call:
        """Add the findings' known values to the `known=` of this runtime call (a new
        mapping, or new entries / values in a literal one)."""
        literal = self._known_of(findings)
        if not literal:
            self.unfixed.extend(Unfixed(f, "the values cannot be written at this call") for f in findings)
            return node
        addition = cst.parse_expression(literal)
        assert isinstance(addition, cst.Dict)
        args = list(node.args)
        i = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == "known"), None)
        if i is None:
            if args and args[-1].comma is not cst.MaybeSentinel.DEFAULT:
                pass  # a trailing comma stays where it is
            elif args:
                args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            args.append(cst.Arg(value=addition, keyword=cst.Name("known"),
                                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                      whitespace_after=cst.SimpleWhitespace(""))))
        else:
            merged = _merge_known(args[i].value, addition)
            if merged is None:
                self.unfixed.extend(Unfixed(f, "its known= is not a literal mapping: add the values there")
                                    for f in findings)
                return node
            args[i] = args[i].with_changes(value=merged)
        self.applied.extend(findings)
        return node.with_changes(args=args)

    def _fix_identity(self, node: cst.Call, findings: list[Finding]) -> cst.Call:
        args = list(node.args)
        for f in findings:
            missing = []
            changed = False
            for param in f.params:
                if param not in ID_PARAMS:
                    missing.append(f"`{param}` needs the real value: send it only if the request requires it")
                    continue
                i = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == param), None)
                if i is None:
                    missing.append(f"`{param}` is not passed as a keyword argument here (e.g. it comes in **kwargs): "
                                   f"wrap its value with gdpr_lint.runtime.pseudonymous_id(...) where it is built")
                    continue
                if self._is_runtime_call(args[i].value, "pseudonymous_id"):
                    continue
                pid = self._need("pseudonymous_id")
                call = cst.Call(func=cst.Name(pid), args=[cst.Arg(value=args[i].value)])
                args[i] = args[i].with_changes(value=call)
                changed = True
            if missing:
                self.unfixed.append(Unfixed(f, "; ".join(missing)))
            elif changed:
                self.applied.append(f)
            else:
                self.unfixed.append(Unfixed(f, "the identifier already goes through pseudonymous_id(...)"))
        return node.with_changes(args=args)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        new = super().transform_module_impl(tree)
        for key, group in self.by_span.items():
            if key not in self.seen:
                self.unfixed.extend(Unfixed(f, "the call was not found at the reported position") for f in group)
        return new


def _calls_within(args: Sequence[cst.Arg]) -> list[cst.Call]:
    found: list[cst.Call] = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> bool:
            found.append(node)
            return True

    for a in args:
        a.value.visit(_Calls())
    return found


def _merge_known(existing: cst.BaseExpression, addition: cst.Dict) -> cst.Dict | None:
    """`{"name": [c.name]}` + `{"health": [c.diagnosis]}`: new categories appended, new
    values added to a category's list (a single value becomes a list). None: not a literal."""
    if not isinstance(existing, cst.Dict):
        return None
    elements = list(existing.elements)
    for new in addition.elements:
        assert isinstance(new, cst.DictElement) and isinstance(new.value, cst.List)
        key = new.key.evaluated_value if isinstance(new.key, cst.SimpleString) else None
        j = next((j for j, e in enumerate(elements) if isinstance(e, cst.DictElement)
                  and isinstance(e.key, cst.SimpleString) and e.key.evaluated_value == key), None)
        if j is None:
            if elements:
                elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            elements.append(new.with_changes(comma=cst.MaybeSentinel.DEFAULT))
            continue
        old = elements[j]
        assert isinstance(old, cst.DictElement)
        values: list[cst.BaseElement] = list(old.value.elements) if isinstance(old.value, (cst.List, cst.Tuple)) \
            else [cst.Element(value=old.value)]
        have = {cst.Module(body=[]).code_for_node(v.value) for v in values}
        for v in new.value.elements:
            if cst.Module(body=[]).code_for_node(v.value) not in have:
                if values:
                    values[-1] = values[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                values.append(v.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        elements[j] = old.with_changes(value=cst.List(elements=values))
    return existing.with_changes(elements=elements)


# --------------------------------------------------------------------------- one file


def rewrite_source(data: bytes, findings: Sequence[Finding], filename: str = "<string>", *,
                   names: RuntimeNames | None = None, top_level_await: bool = False,
                   line_length: int | None = None) -> tuple[bytes, list[Finding], list[Unfixed]]:
    """Apply the fixes for `findings` (all in this file) to `data`.

    Returns the new bytes (same encoding, BOM and newlines), the findings that
    were fixed and those that could not be. Raises FixError when the file cannot
    be rewritten safely (the result would not parse). A notebook cell is rewritten
    with `top_level_await` and the runtime's `names` chosen for the whole notebook
    (fix/notebook.py). A wrapper that would make a line longer than `line_length` (by
    default the project's, fix/style.py) is written one argument per line.
    """
    try:
        module = cst.parse_module(data)
    except (cst.ParserSyntaxError, RecursionError, UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise FixError(f"cannot parse for rewriting: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    try:
        text = decode(data)
        tree = parse_text(text, filename, top_level_await=top_level_await)
    except SourceError as exc:
        raise FixError(str(exc)) from None
    if names is None:
        names = runtime_names(tree, text)
    if line_length is None:
        line_length = line_length_for(filename.split(":cell ", 1)[0])
    command = ProtectCalls(CodemodContext(filename=filename), findings, names, text.splitlines(), line_length)
    try:
        new_module = command.transform_module(module)
        new = new_module.bytes
    except RecursionError:
        raise FixError("too deeply nested to rewrite") from None
    except (cst.ParserSyntaxError, cst.CSTValidationError, ValueError) as exc:
        raise FixError(f"cannot build the rewritten code ({str(exc).splitlines()[0]}); file left unchanged") from None
    if command.applied and new != data:
        try:
            parse_text(decode(new), filename, top_level_await=top_level_await)
            cst.parse_module(new)
        except (SourceError, cst.ParserSyntaxError) as exc:
            raise FixError(f"the rewritten code does not parse ({str(exc).splitlines()[0]}); file left unchanged") from None
    return new, command.applied, command.unfixed
