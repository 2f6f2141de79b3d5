"""`gdpr-lint check --fix` / `--diff`: rewrite leaking OpenAI calls to go through
the runtime pseudonymiser.

For every call with a GDPR001/GDPR002 finding the callee is wrapped::

    client.chat.completions.create(model=..., messages=...)
    ->
    protect(client.chat.completions.create, known={"name": [customer.name]})(model=..., messages=...)

handing the runtime the personal expressions the analysis found in scope
(`Finding.known`), so it pseudonymises even what its detectors cannot recognise.
For GDPR003 the identifier argument (`user=`, `safety_identifier=`,
`prompt_cache_key=`) is wrapped in `pseudonymous_id(...)`.

The rewrite is a LibCST codemod (`ProtectCalls`): calls are located by position
(`PositionProvider`, matched against `Finding.span`), only the call and the
import change, comments and formatting elsewhere are kept. The driver
(`plan_fixes`, `write_fixes`) re-parses every result before writing, writes
atomically (temporary file in the same directory + `os.replace`, permissions
kept) and leaves alone a file that changed on disk since it was analysed.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import signal
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import PositionProvider

from gdpr_lint.checks.rules import KNOWN_ORDER
from gdpr_lint.model import FileError, Finding
from gdpr_lint.pipeline.source import SourceError, decode, parse_text

RUNTIME = "gdpr_lint.runtime"
CONTENT_CODES = ("GDPR001", "GDPR002")
IDENTITY_CODE = "GDPR003"
FIX_CODES = CONTENT_CODES + (IDENTITY_CODE,)
# Request parameters that take an opaque identifier: a pseudonymous id is a
# drop-in replacement. Others (an invite's `email=`) need the real value.
ID_PARAMS = ("user", "safety_identifier", "prompt_cache_key")
ALIASES = {"protect": "gdpr_protect", "pseudonymous_id": "gdpr_pseudonymous_id"}


@dataclass
class Unfixed:
    finding: Finding
    reason: str


@dataclass
class FileFix:
    """The planned rewrite of one file."""

    display: str
    path: Path
    old: bytes
    new: bytes
    old_text: str
    new_text: str
    fixed: list[Finding] = field(default_factory=list)

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.old_text.splitlines(keepends=True), self.new_text.splitlines(keepends=True),
            fromfile=f"a/{self.display}", tofile=f"b/{self.display}")
        out = []
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)


@dataclass
class FixOutcome:
    files: list[FileFix] = field(default_factory=list)  # files whose source changes
    fixed: list[Finding] = field(default_factory=list)  # findings a rewrite was planned for
    unfixed: list[Unfixed] = field(default_factory=list)  # fixable in principle, but not rewritten
    not_fixable: list[Finding] = field(default_factory=list)  # shapes the runtime cannot protect
    errors: list[FileError] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # display paths actually written

    def diff(self) -> str:
        return "".join(f.diff() for f in self.files)


class FixError(Exception):
    """The rewrite of one file failed; str(exc) says why."""


# --------------------------------------------------------------------------- codemod


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


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
    bound: dict[str, set[str]] = {f: set() for f in funcs}
    if not any(f in text for f in funcs) and "gdpr_p" not in text and "import *" not in text:
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

    def __init__(self, context: CodemodContext, findings: Sequence[Finding], names: "RuntimeNames") -> None:
        super().__init__(context)
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
            return new_head
        lines = new_body.pop().leading_lines
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
        dotted = _dotted(node.func)
        locals_ = self.protect_locals if func == "protect" else self.pid_locals
        return dotted in locals_ or dotted == f"{RUNTIME}.{func}"

    # -- calls ----------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        pos = self.get_metadata(PositionProvider, original_node)
        key = (pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1)
        group = self.by_span.get(key)
        if not group:
            return updated_node
        self.seen.add(key)
        node = updated_node
        content = [f for f in group if f.code in CONTENT_CODES]
        identity = [f for f in group if f.code == IDENTITY_CODE]
        if identity:
            node = self._fix_identity(node, identity)
        if content:
            node = self._fix_content(node, content)
        return node

    def _fix_content(self, node: cst.Call, findings: list[Finding]) -> cst.Call:
        if self._is_runtime_call(node.func, "protect"):
            self.unfixed.extend(Unfixed(f, "the call already goes through protect(...)") for f in findings)
            return node
        known: dict[str, list[str]] = {}
        for f in findings:
            for category, exprs in f.known.items():
                bucket = known.setdefault(category, [])
                bucket.extend(e for e in exprs if e not in bucket)
        literal = _known_literal(known, "".join(sorted(set(self.fstring_quotes))))
        protect = self._need("protect")
        head = f"{protect}(__gdpr_lint_callee__" + (f", known={literal})" if literal else ")")
        wrapper = cst.parse_expression(head)
        assert isinstance(wrapper, cst.Call)
        first = wrapper.args[0].with_changes(value=node.func)
        wrapper = wrapper.with_changes(args=(first, *wrapper.args[1:]))
        self.applied.extend(findings)
        return node.with_changes(func=wrapper)

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


# --------------------------------------------------------------------------- one file


def rewrite_source(data: bytes, findings: Sequence[Finding], filename: str = "<string>") -> tuple[bytes, list[Finding], list[Unfixed]]:
    """Apply the fixes for `findings` (all in this file) to `data`.

    Returns the new bytes (same encoding, BOM and newlines), the findings that
    were fixed and those that could not be. Raises FixError when the file cannot
    be rewritten safely (the result would not parse).
    """
    try:
        module = cst.parse_module(data)
    except (cst.ParserSyntaxError, RecursionError, UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise FixError(f"cannot parse for rewriting: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    try:
        text = decode(data)
        tree = parse_text(text, filename)
    except SourceError as exc:
        raise FixError(str(exc)) from None
    command = ProtectCalls(CodemodContext(filename=filename), findings, runtime_names(tree, text))
    try:
        new_module = command.transform_module(module)
        new = new_module.bytes
    except RecursionError:
        raise FixError("too deeply nested to rewrite") from None
    except (cst.ParserSyntaxError, cst.CSTValidationError, ValueError) as exc:
        raise FixError(f"cannot build the rewritten code ({str(exc).splitlines()[0]}); file left unchanged") from None
    if command.applied and new != data:
        try:
            parse_text(decode(new), filename)
            cst.parse_module(new)
        except (SourceError, cst.ParserSyntaxError) as exc:
            raise FixError(f"the rewritten code does not parse ({str(exc).splitlines()[0]}); file left unchanged") from None
    return new, command.applied, command.unfixed


REWRITE_TIME_LIMIT = float(os.environ.get("GDPR_LINT_REWRITE_TIMEOUT", "60"))


def _rewrite_child(conn, data: bytes, findings, filename: str) -> None:
    try:
        conn.send(("ok", rewrite_source(data, findings, filename)))
    except FixError as exc:
        conn.send(("error", str(exc)))
    except BaseException as exc:  # noqa: BLE001 - reported against the file by the parent
        conn.send(("error", f"internal error while rewriting: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def rewrite_contained(data: bytes, findings: Sequence[Finding], filename: str):
    """rewrite_source in a forked child: LibCST's native parser can crash or run for
    minutes on pathological input; that must cost this file, not the run."""
    if os.name != "posix":
        return rewrite_source(data, findings, filename)
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_rewrite_child, args=(child, data, list(findings), filename), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(REWRITE_TIME_LIMIT):
            proc.kill()
            raise FixError(f"rewrite stopped after the {REWRITE_TIME_LIMIT:g} s time limit; file left unchanged")
        try:
            status, payload = parent.recv()
        except EOFError:
            proc.join(5)
            raise FixError(f"the rewrite process crashed on this file (exit {proc.exitcode}); file left unchanged") from None
    finally:
        parent.close()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
    if status == "error":
        raise FixError(payload)
    return payload


# --------------------------------------------------------------------------- driver


def fix_candidates(findings: Iterable[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(findings --fix rewrites, findings whose call shape the runtime cannot protect)."""
    todo, cannot = [], []
    for f in findings:
        if f.code not in FIX_CODES:
            continue
        (todo if f.fixable else cannot).append(f)
    return todo, cannot


def plan_fixes(result, findings: Sequence[Finding]) -> FixOutcome:
    """Compute the rewrite of every file with fixable findings; nothing is written."""
    outcome = FixOutcome()
    todo, outcome.not_fixable = fix_candidates(findings)
    by_file: dict[str, list[Finding]] = {}
    for f in todo:
        by_file.setdefault(f.path, []).append(f)
    for display in sorted(by_file):
        src = result.sources.get(display)
        if src is None:
            outcome.errors.append(FileError(display, "source not available for fixing"))
            continue
        try:
            new, applied, unfixed = rewrite_contained(src.data, by_file[display], display)
        except FixError as exc:
            outcome.errors.append(FileError(display, str(exc)))
            continue
        outcome.unfixed.extend(unfixed)
        outcome.fixed.extend(applied)
        if new != src.data:
            outcome.files.append(FileFix(display, src.path, src.data, new, src.text, decode(new), applied))
    return outcome


def _write_atomic(path: Path, data: bytes) -> None:
    path = path.resolve() if path.is_symlink() else path  # write through a symlink, keep the link
    st = path.stat()
    # Ctrl-C / SIGTERM wait until this file is replaced or cleaned up: an interrupt right
    # after mkstemp would otherwise leave the temporary file behind
    blocked = {s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s is not None}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked) if hasattr(signal, "pthread_sigmask") else None
    try:
        _write_replace(path, data, st)
    finally:
        if old_mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def _write_replace(path: Path, data: bytes, st: os.stat_result) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".gdpr-lint.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_fixes(outcome: FixOutcome, *, skip: Iterable[str] = ()) -> None:
    """Write each planned file atomically, unless it changed since it was analysed."""
    skip = set(skip)
    for ff in outcome.files:
        if ff.display in skip:
            continue
        try:
            current = ff.path.read_bytes()
        except OSError as exc:
            outcome.errors.append(FileError(ff.display, f"cannot re-read before writing: {exc.strerror or exc}"))
            continue
        if current != ff.old:
            outcome.errors.append(FileError(ff.display, "changed on disk since it was analysed; not fixed (run --fix again)"))
            continue
        try:
            _write_atomic(ff.path, ff.new)
        except OSError as exc:
            outcome.errors.append(FileError(ff.display, f"cannot write the fix: {exc.strerror or exc}"))
            continue
        outcome.written.append(ff.display)


def explain_remaining(outcome: FixOutcome, remaining: list[Finding]) -> list[Finding]:
    """Mark findings left after --fix that the fix could not handle as not
    auto-fixable, with the reason (shown as `help:` in the full output)."""
    reasons = {(u.finding.code, u.finding.path, u.finding.function, u.finding.callee): u.reason
               for u in outcome.unfixed}
    failed = {ff.display for ff in outcome.files if ff.display not in outcome.written}
    failed |= {e.path for e in outcome.errors}
    for f in remaining:
        if f.code not in FIX_CODES or not f.fixable:
            continue
        reason = reasons.get((f.code, f.path, f.function, f.callee))
        if reason is None and f.path in failed:
            reason = "the file could not be fixed (see the error above)"
        if reason is not None:
            f.fixable = False
            f.fix_hint = f"--fix could not rewrite this call: {reason}."
        else:  # rewritten, yet still reported: never claim a second --fix would help
            f.fixable = False
            f.fix_hint = ("--fix rewrote this call but the analysis still finds personal data reaching it; "
                          "redact it by hand (gdpr_lint.runtime.pseudonymise) and please report this.")
    return remaining


def summary(outcome: FixOutcome, remaining: list[Finding], *, diff: bool) -> str:
    """`Fixed 3 findings in 2 files. 1 finding is not auto-fixable (see the help: lines).`"""
    done = outcome.files if diff else [ff for ff in outcome.files if ff.display in outcome.written]
    n = sum(len(ff.fixed) for ff in done)
    where = f"{n} finding{'s' if n != 1 else ''} in {len(done)} file{'s' if len(done) != 1 else ''}"
    if diff:
        text = f"Would fix {where}."
        left = len(outcome.not_fixable) + len(outcome.unfixed)
    else:
        text = f"Fixed {where}." if done else "No fixes applied."
        left = sum(1 for f in remaining if f.code in FIX_CODES and not f.fixable)
    if left:
        text += f" {left} finding{'s are' if left != 1 else ' is'} not auto-fixable" + (
            "." if diff else " (see the help: lines).")
    return text


# --------------------------------------------------------------------------- command


@dataclass
class FixRun:
    """What `check --fix` did, for the CLI's summary and exit code."""

    outcome: FixOutcome
    note: str  # one-line fix summary

    @property
    def failed(self) -> bool:
        return bool(self.outcome.errors)


def check_fix(result, findings: list[Finding], *, diff: bool, rerun, refilter, stdin_display: str | None,
              echo, quiet: bool):
    """Drive `check --fix` / `check --diff` for the CLI.

    `rerun(stdin_data)` analyses the same paths again (`stdin_data` replaces the
    standard-input source when not None), `refilter(findings)` applies the
    command's level filters, `echo(text, err=)` prints. Returns `(result,
    findings, FixRun)` with what is left after writing, or an exit code when the
    command is complete (`--diff`, or a fix of standard input, whose fixed
    source goes to standard output as Ruff does).
    """
    outcome = plan_fixes(result, findings)
    for e in outcome.errors:
        echo(f"gdpr-lint: error: {e.path}: {e.message}", err=True)
    if diff:
        text = outcome.diff()
        if text:
            echo(text, nl=False)
        if not quiet:
            echo(summary(outcome, [], diff=True), err=True)
        if outcome.errors or result.errors:
            return 2
        return 1 if text else 0
    if stdin_display is not None:
        planned = next((ff for ff in outcome.files if ff.display == stdin_display), None)
        src = result.sources.get(stdin_display)
        new = planned.new if planned else (src.data if src else b"")
        before_errors = len(outcome.errors)
        write_fixes(outcome, skip={stdin_display})
        for e in outcome.errors[before_errors:]:
            echo(f"gdpr-lint: error: {e.path}: {e.message}", err=True)
        sys.stdout.buffer.write(new)
        sys.stdout.flush()
        after = rerun(new)
        left = refilter(after.findings)
        if outcome.errors or after.errors:
            return 2
        return 1 if left else 0
    before_errors = len(outcome.errors)
    write_fixes(outcome)
    for e in outcome.errors[before_errors:]:
        echo(f"gdpr-lint: error: {e.path}: {e.message}", err=True)
    if outcome.written:
        result = rerun(None)
        findings = refilter(result.findings)
    explain_remaining(outcome, findings)
    return result, findings, FixRun(outcome, summary(outcome, findings, diff=False))
