"""Suppression comments, read with `tokenize` (a `# noqa` inside a string is text,
not a comment).

Three forms, each naming the codes it silences (other tools' codes in the same
comment, such as `E501`, are left alone):

* `# noqa: GDPR001[, GDPR002]` anywhere on the lines of the statement holding the
  reported call (a multi-line call can carry it on its first or its last line);
* `# gdpr-lint: ignore[GDPR001, ...]` on its own line directly above that
  statement (only comment lines may sit in between), or on the statement's lines;
* `# gdpr-lint: file-ignore[GDPR001, ...]` anywhere in the file: the whole file.

Text after the codes is the reason, kept on the finding and shown in SARIF as
the suppression's justification: `# noqa: GDPR001 -- consented research export`,
`# gdpr-lint: ignore[GDPR002] reason: DPIA 2024-07 approved`.

A blanket `# noqa` (or `# gdpr-lint: ignore` without codes) silences nothing:
a privacy gate must not be switched off by a comment written for another linter.

A GDPR code in a suppression that silenced nothing is stale and reported as
GDPR100 at the comment (one finding per comment, naming the stale codes), when
GDPR100 is enabled for the file and the stale code is one that could have been
reported there (a code turned off by configuration is not called stale, since
the finding may exist). GDPR100 itself can be silenced the same ways.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Callable

from gdpr_lint.model import Finding, Span
from gdpr_lint.checks.rules import GDPR100, RULES_BY_CODE

_CODE = r"(?:(?i:gdpr)[0-9]+|[A-Z]+[0-9]+)"
_CODES = rf"{_CODE}(?:[\s,]+{_CODE})*"
_NOQA = re.compile(rf"#\s*(?i:noqa)(?P<colon>\s*:\s*(?P<codes>{_CODES}))?(?P<rest>.*)$")
_DIRECTIVE = re.compile(
    rf"#\s*(?i:gdpr-lint)\s*:\s*(?P<kind>(?i:file-ignore|ignore))\s*(?:\[\s*(?P<codes>{_CODES})?[\s,]*\])?(?P<rest>.*)$"
)
_OWN_CODE = re.compile(r"^GDPR[0-9]+$")
_MAY_MATTER = re.compile(rb"gdpr(?:[0-9]|-lint)")  # on lowered bytes: a code or a directive, one pass
_REASON_PREFIX = re.compile(r"^[\s\-\u2013\u2014:;,#]*(?:(?:reason|because|justification)\s*[:=]?\s*)?", re.IGNORECASE)


@dataclass
class Suppression:
    kind: str  # noqa | ignore | file-ignore
    line: int
    column: int  # 1-based code-point column of the comment's '#'
    end_column: int  # exclusive, 1-based
    own_line: bool  # the comment is alone on its line
    codes: list[str]  # GDPR codes it names, in order
    reason: str
    text: str
    used: set[str] = field(default_factory=set)


def _reason(rest: str) -> str:
    rest = rest.strip()
    if not rest:
        return ""
    # the reason ends where another tool's comment begins: `... # type: ignore`
    rest = re.split(r"\s#\s*(?:type|pragma|noqa|pylint|fmt|isort)\b", rest)[0]
    return _REASON_PREFIX.sub("", rest, count=1).strip()


def _own_codes(text: str | None) -> list[str]:
    return [c.upper() for c in re.split(r"[\s,]+", text or "") if _OWN_CODE.match(c.upper())]


def _parse_comment(text: str) -> list[tuple[str, list[str], str, int]]:
    """(kind, GDPR codes, reason, offset of the match in the comment) of every directive."""
    out = []
    for m in re.finditer(r"#", text):
        chunk = text[m.start():]
        d = _DIRECTIVE.match(chunk)
        if d:
            codes = _own_codes(d.group("codes"))
            out.append((d.group("kind").lower(), codes, _reason(d.group("rest")), m.start()))
            continue
        n = _NOQA.match(chunk)
        if n:
            codes = _own_codes(n.group("codes"))
            out.append(("noqa", codes, _reason(n.group("rest")) if n.group("colon") else "", m.start()))
    return out


def read_suppressions(text: str) -> list[Suppression]:
    """Every suppression comment of a module (blanket ones included, with no codes)."""
    out: list[Suppression] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return out
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            own_line = tok.line[: tok.start[1]].strip() == ""
            for kind, codes, reason, offset in _parse_comment(tok.string):
                out.append(Suppression(kind, tok.start[0], tok.start[1] + offset + 1, tok.end[1] + 1,
                                       own_line, codes, reason, tok.string))
    return out


def _body_lists(node: ast.AST):
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        value = getattr(node, name, None)
        if isinstance(value, list):
            yield value


def _innermost(stmts: list, line: int) -> ast.AST | None:
    for s in stmts:
        start = getattr(s, "lineno", None)
        end = getattr(s, "end_lineno", None)
        if start is None:  # match_case has no position of its own
            start = s.pattern.lineno
            end = max(x.end_lineno for x in s.body)
        if start <= line <= (end or start):
            for body in _body_lists(s):
                inner = _innermost(body, line)
                if inner is not None:
                    return inner
            return s
    return None


def statement_lines(tree: ast.Module | None, span: Span, fallback: tuple[int, int]) -> tuple[int, int]:
    """First and last line of the statement holding a call; for a call in the header
    of a compound statement (`for chunk in client...create(...):`), the header lines
    up to the end of the call only, never the block below."""
    if tree is None:
        return fallback if fallback[0] else (span.line, span.end_line)
    node = _innermost(tree.body, span.line)
    if node is None or not hasattr(node, "lineno"):
        return fallback if fallback[0] else (span.line, span.end_line)
    bodies = [b for b in _body_lists(node) if b]
    if bodies:
        first_body = min(getattr(b[0], "lineno", span.line) for b in bodies)
        start = node.lineno if span.line < first_body else span.line
        return (min(start, span.line), span.end_line)
    return (min(node.lineno, span.line), max(getattr(node, 'end_lineno', None) or span.end_line, span.end_line))


def _enclosing_function(tree: ast.Module | None, line: int) -> str:
    names: list[str] = []
    stmts = tree.body if tree is not None else []
    while True:
        for s in stmts:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and s.lineno <= line <= (s.end_lineno or s.lineno):
                names.append(s.name)
                stmts = s.body
                break
        else:
            return ".".join(names)


class _FileSuppressions:
    def __init__(self, src) -> None:
        self.src = src
        self.tree = getattr(src, "tree", None)
        text = src.text if src is not None else ""
        # tokenizing is the slow part: skip files that cannot hold a suppression that
        # matters. Only one naming a GDPR code does (a blanket or another linter's noqa
        # silences nothing and is never stale), and it names a code or is a gdpr-lint
        # directive (`import gdpr_lint` is neither).
        # (on the bytes: lowering them is several times faster than lowering the text)
        lowered = src.data.lower() if src is not None else b""
        relevant = _MAY_MATTER.search(lowered) is not None
        self.all = read_suppressions(text) if relevant else []
        if self.all and self.tree is None:
            # sources may arrive unparsed (cached runs): statement boundaries need the tree
            try:
                self.tree = ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self.tree = None
        self.by_line: dict[int, list[Suppression]] = {}
        for s in self.all:
            self.by_line.setdefault(s.line, []).append(s)
        self.file_level = [s for s in self.all if s.kind == "file-ignore"]

    def _comment_only(self, line: int) -> bool:
        lines = self.src.lines if self.src is not None else []  # split only when asked
        return 1 <= line <= len(lines) and lines[line - 1].lstrip().startswith("#")

    def matching(self, code: str, first: int, last: int) -> list[Suppression]:
        """Suppressions naming `code` that apply to a statement on lines first..last."""
        found = []
        for line in range(first, last + 1):
            for s in self.by_line.get(line, ()):
                if s.kind in ("noqa", "ignore") and code in s.codes:
                    found.append(s)
        line = first - 1
        while self._comment_only(line):
            for s in self.by_line.get(line, ()):
                if s.kind == "ignore" and s.own_line and code in s.codes:
                    found.append(s)
            line -= 1
        found.extend(s for s in self.file_level if code in s.codes)
        return found


def _silence(f: Finding, matches: list[Suppression]) -> None:
    for s in matches:
        s.used.add(f.code)
    f.suppression_reason = next((s.reason for s in matches if s.reason), "")


def apply_suppressions(findings: list[Finding], sources: dict, reportable: Callable[[str, str], bool]
                       ) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """Split `findings` into (kept, suppressed) and return the stale-suppression
    findings (GDPR100) as a third list. `sources` maps display path -> SourceFile;
    `reportable(path, code)` says whether `code` is enabled for the file at `path`."""
    files: dict[str, _FileSuppressions] = {}

    def for_file(path: str) -> _FileSuppressions:
        if path not in files:
            files[path] = _FileSuppressions(sources.get(path))
        return files[path]

    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for f in findings:
        fs = for_file(f.path)
        if not fs.all:
            kept.append(f)
            continue
        first, last = statement_lines(fs.tree, f.span, f.statement_lines)
        matches = fs.matching(f.code, first, last)
        if matches:
            _silence(f, matches)
            suppressed.append(f)
        else:
            kept.append(f)

    for path in sources:
        for_file(path)
    stale: list[Finding] = []
    for path, fs in files.items():
        if not reportable(path, GDPR100.code):
            continue
        for s in fs.all:
            unused = [c for c in dict.fromkeys(s.codes)
                      if c not in s.used and c != GDPR100.code
                      and (c not in RULES_BY_CODE or reportable(path, c))]
            if not unused:
                continue
            stale.append(_stale_finding(path, s, unused, fs.tree))
    stale_kept: list[Finding] = []
    for f in stale:
        fs = files[f.path]
        matches = fs.matching(f.code, f.span.line, f.span.line)
        if matches:
            _silence(f, matches)
            suppressed.append(f)
        else:
            stale_kept.append(f)
    return kept, suppressed, stale_kept


def _stale_finding(path: str, s: Suppression, unused: list[str], tree) -> Finding:
    form = {"noqa": "`# noqa`", "ignore": "`# gdpr-lint: ignore[...]`", "file-ignore": "`# gdpr-lint: file-ignore[...]`"}[s.kind]
    unknown = [c for c in unused if c not in RULES_BY_CODE]
    listed = ", ".join(unused)
    message = f"Unused suppression: {form} names {listed}, which {'matches' if len(unused) == 1 else 'match'} no finding here"
    if unknown:
        message += f" ({', '.join(unknown)} {'is not a gdpr-lint rule' if len(unknown) == 1 else 'are not gdpr-lint rules'})"
    rest = [c for c in s.codes if c not in unused]
    hint = f"Remove {listed} from the comment." if rest else "Remove the comment."
    return Finding(
        code=GDPR100.code, path=path, span=Span(s.line, s.column, s.line, s.end_column), message=message,
        severity=GDPR100.severity, confidence="high", data=list(unused), categories=[],
        flow=[], endpoint="", flavour="", function=_enclosing_function(tree, s.line),
        callee=s.kind, fixable=False, fix_hint=hint, statement_lines=(s.line, s.line),
    )
