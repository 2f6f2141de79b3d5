"""`check --add-noqa`: adopt the gate on a repository that already has findings, by
suppressing each one where it is, with a reason (as Ruff's `--add-noqa`).

Each reported statement gets `# gdpr-lint: ignore[GDPR001, GDPR002] <reason>` on its own
line directly above it, indented like it: the suppression form that can always be placed
(a `# noqa` at the end of a line could fall inside a multi-line string or after a
backslash continuation, and would lengthen lines other linters check). The reason is
kept as the suppression's justification (SARIF). Files are rewritten atomically, and a
file that changed since it was analysed is left alone.
"""

from __future__ import annotations

import ast
import codecs
import io
import tokenize
from dataclasses import dataclass, field

from gdpr_lint.model import FileError, Finding
from gdpr_lint.pipeline.suppression import statement_lines

DEFAULT_REASON = "existing finding when gdpr-lint was adopted; review it"
NOT_SUPPRESSED = ("GDPR100",)  # an unused suppression is removed, not suppressed


@dataclass
class NoqaOutcome:
    added: int = 0  # comments written
    findings: int = 0  # findings they suppress
    files: list[str] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


def check_reason(reason: str) -> str | None:
    """Why a reason cannot be used, or None."""
    if "\n" in reason or "\r" in reason:
        return "the reason must be one line"
    return None


def add_noqa(findings: list[Finding], sources: dict, reason: str = DEFAULT_REASON) -> NoqaOutcome:
    """Write the suppression comments for `findings` (display path -> SourceFile in `sources`)."""
    from gdpr_lint.fix.runner import _write_atomic

    outcome = NoqaOutcome()
    by_file: dict[str, list[Finding]] = {}
    for f in findings:
        if f.code not in NOT_SUPPRESSED:
            by_file.setdefault(f.path, []).append(f)
    for display in sorted(by_file):
        src = sources.get(display)
        if src is None or src.path is None:
            outcome.errors.append(FileError(display, "cannot add suppressions: source not available"))
            continue
        try:
            new, comments = _with_comments(src, by_file[display], reason)
        except (SyntaxError, ValueError, UnicodeEncodeError) as exc:
            outcome.errors.append(FileError(display, f"cannot add suppressions: {exc}"))
            continue
        try:
            if src.path.read_bytes() != src.data:
                outcome.errors.append(FileError(display, "changed on disk since it was analysed; not changed"))
                continue
            _write_atomic(src.path, new)
        except OSError as exc:
            outcome.errors.append(FileError(display, f"cannot write: {exc.strerror or exc}"))
            continue
        outcome.added += comments
        outcome.findings += len(by_file[display])
        outcome.files.append(display)
    return outcome


def _with_comments(src, findings: list[Finding], reason: str) -> tuple[bytes, int]:
    """The file's bytes with a suppression line above each reported statement."""
    data: bytes = src.data
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    tree = src.tree if src.tree is not None else ast.parse(src.text)
    codes_at: dict[int, list[str]] = {}  # first line of the statement -> codes
    for f in findings:
        first, _last = statement_lines(tree, f.span, f.statement_lines)
        codes = codes_at.setdefault(first, [])
        if f.code not in codes:
            codes.append(f.code)
    lines = data.splitlines(keepends=True)
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    newline = b"\r\n" if b"\r\n" in data else b"\r" if b"\r" in data and b"\n" not in data else b"\n"
    for first in sorted(codes_at, reverse=True):  # bottom up: earlier line numbers stay right
        target = lines[first - 1] if first - 1 < len(lines) else b""
        if first == 1 and bom:
            target = target[len(bom):]
        indent = target[:len(target) - len(target.lstrip(b" \t"))]
        text = f"# gdpr-lint: ignore[{', '.join(sorted(codes_at[first]))}] {reason}".rstrip()
        comment = indent + _encode(text, encoding) + newline
        if first == 1 and bom:
            lines[0:0] = [bom + comment]
            lines[1] = lines[1][len(bom):]
        else:
            lines[first - 1:first - 1] = [comment]
    return b"".join(lines), len(codes_at)


def _encode(text: str, encoding: str) -> bytes:
    return text.encode("utf-8" if encoding == "utf-8-sig" else encoding)
