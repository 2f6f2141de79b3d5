"""Running the codemod over a project (LibCST's `_runner` to codemod.py's `_codemod`):
plan the rewrites file by file in a contained child process with a time limit, show
them as diffs or write them - atomically (temporary file in the same directory +
`os.replace`, permissions kept), leaving alone a file that changed on disk since it
was analysed - and summarise what was fixed and what remains.
"""

from __future__ import annotations

import difflib
import os
import signal
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence


from gdpr_lint.config.environment import number
from gdpr_lint.fix.instruction import fix_instruction
from gdpr_lint.model import FileError, Finding
from gdpr_lint.pipeline.source import decode

from gdpr_lint.fix.codemod import FIX_CODES, FixError, Unfixed, rewrite_source
from gdpr_lint.fix.imports import RUNTIME
from gdpr_lint.fix.style import line_length_for
from gdpr_lint.fix.notebook import rewrite_notebook


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
    # a notebook: (cell number, source before, source after) of each rewritten cell
    cells: list[tuple[int, str, str]] | None = None

    def diff(self) -> str:
        """A unified diff; for a notebook one per rewritten cell, named `nb.ipynb:cell 3` (as Ruff does)."""
        if self.cells is None:
            return _unified(self.old_text, self.new_text, self.display)
        return "".join(_unified(old, new, f"{self.display}:cell {number}") for number, old, new in self.cells)


def _unified(old: str, new: str, name: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
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


REWRITE_TIME_LIMIT = number("GDPR_LINT_REWRITE_TIMEOUT", 60)


def _rewrite_child(conn, data: bytes, findings, filename: str, notebook: bool = False,
                   line_length: int | None = None) -> None:
    try:
        if notebook:
            conn.send(("ok", rewrite_notebook(data, findings, filename)))
        else:
            conn.send(("ok", rewrite_source(data, findings, filename, line_length=line_length)))
    except FixError as exc:
        conn.send(("error", str(exc)))
    except BaseException as exc:  # noqa: BLE001 - reported against the file by the parent
        conn.send(("error", f"internal error while rewriting: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def rewrite_contained(data: bytes, findings: Sequence[Finding], filename: str, *, notebook: bool = False,
                      line_length: int | None = None):
    """rewrite_source (rewrite_notebook for a notebook) in a forked child: LibCST's
    native parser can crash or run for minutes on pathological input; that must cost
    this file, not the run."""
    if os.name != "posix":
        if notebook:
            return rewrite_notebook(data, findings, filename)
        return rewrite_source(data, findings, filename, line_length=line_length)
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_rewrite_child, args=(child, data, list(findings), filename, notebook, line_length),
                       daemon=True)
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
    todo: list[Finding] = []
    cannot: list[Finding] = []
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
        if display in getattr(result, "context_files", ()):
            # a call in a file that was not named (pre-commit passes the changed files):
            # reported through the checked caller, left for a run that checks that file
            outcome.unfixed.extend(Unfixed(f, f"{display} is not among the files being checked; "
                                              f"run {fix_instruction(display)}") for f in by_file[display])
            continue
        src = result.sources.get(display)
        if src is None:
            outcome.errors.append(FileError(display, "source not available for fixing"))
            continue
        notebook = getattr(src, "notebook", None) is not None
        cells = None
        try:
            if notebook:
                new, applied, unfixed, cells = rewrite_contained(src.data, by_file[display], display, notebook=True)
            else:
                new, applied, unfixed = rewrite_contained(src.data, by_file[display], display,
                                                          line_length=line_length_for(src.path))
        except FixError as exc:
            outcome.errors.append(FileError(display, str(exc)))
            continue
        outcome.unfixed.extend(unfixed)
        outcome.fixed.extend(applied)
        if new != src.data:
            new_text = new.decode("utf-8-sig") if notebook else decode(new)
            outcome.files.append(FileFix(display, src.path, src.data, new, src.text, new_text, applied, cells))
    return outcome


def fix_previews(outcome: FixOutcome) -> dict[tuple[str, int, int, str], list[str]]:
    """For `check --show-fixes`: per fixed finding (path, line, column, code), the lines of
    the planned rewrite of its call (diff hunks without context that touch the call, shown
    once per call; the added import goes with the file's first finding)."""
    out: dict[tuple[str, int, int, str], list[str]] = {}
    for ff in outcome.files:
        old, new = ff.old_text.splitlines(), ff.new_text.splitlines()
        hunks = []  # (first old line, last old line (inclusive; first - 1 when only inserting), lines)
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag != "equal":
                hunks.append((i1 + 1, i2, [f"-{line}" for line in old[i1:i2]] + [f"+{line}" for line in new[j1:j2]]))
        used: set[int] = set()
        for f in sorted(ff.fixed, key=lambda f: (f.span.line, f.span.column, f.code)):
            lines: list[str] = []
            for k, (first, last, text) in enumerate(hunks):
                if k not in used and first <= f.span.end_line and max(last, first) >= f.span.line:
                    lines.extend(text)
                    used.add(k)
            if lines:
                out[(f.path, f.span.line, f.span.column, f.code)] = lines
        rest = [text for k, (_, _, text) in enumerate(hunks) if k not in used]
        if rest and ff.fixed:  # the import (or anything outside the calls): with the file's first finding
            first_fixed = min(ff.fixed, key=lambda f: (f.span.line, f.span.column, f.code))
            key = (first_fixed.path, first_fixed.span.line, first_fixed.span.column, first_fixed.code)
            out[key] = [line for text in rest for line in text] + out.get(key, [])
    return out


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
    if any(RUNTIME not in ff.old_text and RUNTIME in ff.new_text for ff in done):
        # the application now needs the runtime where it runs, not only where it is linted
        text += (f"\nThe fixed code imports {RUNTIME}: add gdpr-lint to the application's runtime "
                 "dependencies (see docs/fix.md, 'What the fix adds').")
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
