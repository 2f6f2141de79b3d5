"""Jupyter notebooks (`.ipynb`): read the JSON, turn the code cells into one module,
and map every position back to (cell, line, column).

The kernel runs cells one after another in one namespace, so the code cells are
concatenated in order into one module (a later cell sees the names an earlier one
bound): that module is what the analysis reads (`SourceFile.text`), while
`SourceFile.data` stays the notebook's bytes (content hashes, the fix's check that
the file did not change, SARIF line hashes of the file on disk).

IPython syntax is neutralised in place, never shifting a line or (apart from a
cell's common indent, which IPython strips) a column:

* a line magic whose argument is a Python statement (`%time`, `%timeit`, `%prun`,
  ...) keeps the statement: `%time r = f(x)` is read as `0;    r = f(x)`;
* any other line magic (`%pip install openai`), a shell escape (`!ls`, `!!ls`),
  help (`?obj`, `obj?`, `obj??`) and autocall escapes (`/f x`, `,f a b`, `;f a`)
  become a no-op `0` padded with blanks (and lines they continue with `\\`, blank);
* `x = !ls` and `x = %sx ls` keep the assignment of an unknown value
  (`x = 0      `); `x = %time f()` keeps `f()`;
* cell magics: the body of `%%time`, `%%timeit`, `%%capture`, `%%prun`, ... and
  `%%python` is Python (the magic line becomes a no-op); the body of `%%bash`,
  `%%sql`, `%%html`, `%%writefile`, ... is not and the cell is blanked. A cell magic
  of neither list is read as Python when its body compiles, otherwise blanked;
* top-level `await`, `async for` and `async with` are parsed with
  `PyCF_ALLOW_TOP_LEVEL_AWAIT` (source.py).

Cells are numbered from 1 counting every cell, markdown and raw ones included
(what Jupyter shows as the cell's position; Ruff's `nb.ipynb:cell 3:4:9`); lines
and columns are 1-based within the cell's source.

A notebook that is not JSON, is not nbformat 4 or later, or whose cells are not
what the format says is a `NotebookError` (the file is reported, never
"analysed"); a notebook in another language (an R or Julia kernel) is a
`NotPythonNotebook`.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

from gdpr_lint.model import Span

# Line magics whose argument (after their options) is a Python statement, with the
# option letters that take a value (getopt style, as IPython parses them); None: the
# magic takes no options (`%time -x` times `-x`).
PYTHON_LINE_MAGICS: dict[str, str | None] = {
    "time": None, "timeit": "nrp", "prun": "DlrsT", "debug": None, "memit": "rt",
    "mprun": "fT", "lprun": "fmDT", "snakeviz": "t",
}
# Cell magics whose body runs as Python (in the kernel, or in a Python subprocess).
PYTHON_CELL_MAGICS = frozenset({
    "time", "timeit", "capture", "prun", "debug", "memit", "mprun", "lprun", "snakeviz",
    "python", "python3", "pypy", "px", "sync", "local", "tracemalloc",
})
# Cell magics whose body is not Python (shell, SQL, markup, other languages, files).
FOREIGN_CELL_MAGICS = frozenset({
    "bash", "sh", "script", "system", "!", "sql", "html", "HTML", "javascript", "js", "latex",
    "markdown", "md", "perl", "ruby", "svg", "writefile", "file", "cython", "R", "julia", "octave",
    "spark", "pyspark", "sparksql", "configure", "info", "help", "cmd", "powershell", "kql",
    "mermaid", "dot", "graphviz", "bigquery", "scala", "java",
})
_MAGIC_NAME = re.compile(r"%{1,2}([^\s(]*)")
_WORD = re.compile(r"[A-Za-z_]")


class NotebookError(Exception):
    """The notebook cannot be analysed; str(exc) is the reason (one line)."""


class NotPythonNotebook(NotebookError):
    """A notebook whose kernel runs another language: it holds no Python code."""


@dataclass
class Cell:
    """One code cell: its source, the Python the analysis reads, and where that sits."""

    index: int  # 0-based position in the notebook's "cells" (every cell type counted)
    lines: list[str]  # the source's lines, without line endings
    code: list[str]  # the lines as the analysis reads them (same count; IPython syntax neutralised)
    offsets: list[int]  # per line: columns IPython strips (the cell's common indent)
    start: int = 0  # 1-based line of the module where the cell's first line is
    magic: str = ""  # the cell magic (`%%time` -> "time"), "" for none
    foreign: bool = False  # a cell magic whose body is not Python: nothing of it is analysed
    trailing_newline: bool = False  # the source ends with a line break (Jupyter's usually does not)

    @property
    def number(self) -> int:
        """1-based, counting every cell (markdown and raw ones too)."""
        return self.index + 1

    @property
    def source(self) -> str:
        return "\n".join(self.lines)

    @property
    def python(self) -> str:
        """The cell as the analysis reads it (one module per cell: for the fix)."""
        return "".join(line + "\n" for line in self.code)


@dataclass
class Notebook:
    doc: dict[str, Any]  # the parsed JSON
    raw: str  # the JSON text
    cells: list[Cell]  # the code cells, in order
    text: str  # the code cells as one module
    _starts: list[int] = field(default_factory=list, repr=False)
    _raw_lines: list[int] | None = field(default=None, repr=False)
    _spans: dict[int, list[tuple[int, int]]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._starts = [c.start for c in self.cells]

    def cell_at(self, line: int) -> tuple[Cell, int] | None:
        """The cell holding `line` of the module and the 0-based line within it."""
        i = bisect.bisect_right(self._starts, line) - 1
        if i < 0:
            return None
        cell = self.cells[i]
        k = line - cell.start
        if 0 <= k < len(cell.lines):
            return cell, k
        return None

    def position(self, line: int, column: int) -> tuple[int, int, int] | None:
        """(cell number, line, column) in the cell of a module position; None past the cells."""
        hit = self.cell_at(line)
        if hit is None:
            return None
        cell, k = hit
        return cell.number, k + 1, column + cell.offsets[k]

    def by_number(self, number: int) -> Cell | None:
        for cell in self.cells:
            if cell.number == number:
                return cell
        return None

    def line_text(self, number: int, line: int) -> str | None:
        """The text of 1-based `line` of cell `number` as the notebook holds it."""
        cell = self.by_number(number)
        if cell is None or not 1 <= line <= len(cell.lines):
            return None
        return cell.lines[line - 1]

    # -- positions in the JSON file ---------------------------------------------

    def raw_position(self, number: int, line: int, column: int) -> tuple[int, int]:
        """Where (line, column of) cell `number` stands in the JSON file, 1-based:
        the character inside the JSON string that holds it (for formats that point into
        the file on disk: SARIF, GitHub, GitLab, JUnit). Falls back to the start of the
        cell's "source" value, then to line 1."""
        spans = self._source_spans().get(number - 1)
        if not spans:
            return 1, 1
        offset = _raw_offset(self.raw, spans, line, column)
        return self._line_col(offset)

    def _line_col(self, offset: int) -> tuple[int, int]:
        if self._raw_lines is None:
            self._raw_lines = [m.end() for m in re.finditer("\n", self.raw)]
        k = bisect.bisect_right(self._raw_lines, offset)
        start = self._raw_lines[k - 1] if k else 0
        return k + 1, offset - start + 1

    def _source_spans(self) -> dict[int, list[tuple[int, int]]]:
        if self._spans is None:
            self._spans = source_spans(self.raw)
        return self._spans


# --------------------------------------------------------------------------- reading


def load_notebook(data: bytes) -> Notebook:
    """Parse a notebook's bytes; NotebookError says why it cannot be analysed."""
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not a valid notebook: not UTF-8 (invalid byte at offset {exc.start})") from None
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not a valid notebook: invalid JSON at line {exc.lineno}, column {exc.colno}: "
                            f"{exc.msg}") from None
    except RecursionError:
        raise NotebookError("not a valid notebook: JSON nested too deeply") from None
    if not isinstance(doc, dict):
        raise NotebookError("not a valid notebook: the JSON document is not an object")
    major = doc.get("nbformat")
    if major is None:
        raise NotebookError("not a valid notebook: no \"nbformat\" version")
    if not isinstance(major, int) or isinstance(major, bool):
        raise NotebookError(f"not a valid notebook: \"nbformat\" is {major!r}, not a number")
    if major < 4:
        raise NotebookError(f"unsupported notebook format: nbformat {major} (gdpr-lint reads nbformat 4; "
                            f"convert it with `jupyter nbconvert --to notebook --nbformat 4`)")
    language = _language(doc)
    if language is not None and language != "python":
        raise NotPythonNotebook(f"not a Python notebook (kernel language: {language})")
    cells_value = doc.get("cells")
    if not isinstance(cells_value, list):
        raise NotebookError("not a valid notebook: \"cells\" is missing or not a list")
    cells: list[Cell] = []
    for index, item in enumerate(cells_value):
        where = f"cell {index + 1}"
        if not isinstance(item, dict):
            raise NotebookError(f"{where}: not a JSON object")
        kind = item.get("cell_type")
        if not isinstance(kind, str):
            raise NotebookError(f"{where}: no \"cell_type\"")
        if kind != "code":
            continue
        source = item.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        elif not isinstance(source, str):
            raise NotebookError(f"{where}: \"source\" is neither text nor a list of text")
        if "\x00" in source:
            raise NotebookError(f"{where}: source contains NUL characters")
        cells.append(_cell(index, source))
    return _assemble(doc, raw, cells)


def _language(doc: dict) -> str | None:
    """The kernel's language as the metadata states it (lower case), None when not stated."""
    meta = doc.get("metadata")
    if not isinstance(meta, dict):
        return None
    for key, sub in (("language_info", "name"), ("kernelspec", "language")):
        value = meta.get(key)
        if isinstance(value, dict) and isinstance(value.get(sub), str) and value[sub].strip():
            return value[sub].strip().lower()
    return None


def _assemble(doc: dict, raw: str, cells: list[Cell]) -> Notebook:
    parts: list[str] = []
    line = 1
    for cell in cells:
        cell.start = line
        parts.append(cell.python)
        line += len(cell.lines)
    return Notebook(doc=doc, raw=raw, cells=cells, text="".join(parts))


_NEWLINE = re.compile(r"\r\n|\r|\n")


def split_lines(source: str) -> list[str]:
    """A cell's lines as Python counts them (\\n, \\r\\n or \\r); no empty line after a final newline."""
    lines = _NEWLINE.split(source)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines if source else []


def _cell(index: int, source: str) -> Cell:
    lines = split_lines(source)
    code = list(lines)
    offsets = [0] * len(lines)
    cell = Cell(index=index, lines=lines, code=code, offsets=offsets, trailing_newline=source.endswith(("\n", "\r")))
    first = next((i for i, text in enumerate(lines) if text.strip()), None)
    if first is None:
        return cell
    # IPython strips the indent of the first non-blank line from every line that has it
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip(" \t"))]
    if indent:
        for i in range(first, len(lines)):
            if lines[i].startswith(indent):
                code[i] = lines[i][len(indent):]
                offsets[i] = len(indent)
    if code[first].startswith("%%"):
        m = _MAGIC_NAME.match(code[first])
        cell.magic = m.group(1) if m else ""
        code[first] = _noop(code[first])
        body = range(first + 1, len(code))
        if not _python_cell_magic(cell.magic, [code[i] for i in body]):
            cell.foreign = True
            for i in body:
                code[i] = ""
            return cell
        _neutralise(code, first + 1)
        return cell
    _neutralise(code, first)
    return cell


def _python_cell_magic(name: str, body: list[str]) -> bool:
    if name in PYTHON_CELL_MAGICS:
        return True
    if name in FOREIGN_CELL_MAGICS:
        return False
    # an extension's magic: Python when its body reads as Python
    code = list(body)
    _neutralise(code, 0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile("".join(line + "\n" for line in code), "<cell>", "exec",
                    flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _noop(line: str) -> str:
    """A line that does nothing, as long as `line`, at its indent: `0` and blanks."""
    stripped = line.lstrip(" \t")
    if not stripped:
        return line
    indent = len(line) - len(stripped)
    return line[:indent] + "0" + " " * (len(stripped) - 1)


def _magic_body(text: str, start: int) -> int | None:
    """For a line magic at `start` (`%time x = f()`), where its Python statement starts,
    or None when the magic does not run Python (or has no statement)."""
    m = _MAGIC_NAME.match(text, start)
    if m is None or text[start:start + 2] == "%%" or m.group(1) not in PYTHON_LINE_MAGICS:
        return None
    with_value = PYTHON_LINE_MAGICS[m.group(1)]
    i, n = m.end(), len(text)
    while with_value is not None:
        while i < n and text[i] in " \t":
            i += 1
        if not (text.startswith("-", i) and i + 1 < n and text[i + 1].isalpha()):
            break
        j = i
        while j < n and text[j] not in " \t":
            j += 1
        option, i = text[i + 1:j], j
        if len(option) == 1 and option in with_value:  # `-n 10`: the value is the next word
            while i < n and text[i] in " \t":
                i += 1
            while i < n and text[i] not in " \t":
                i += 1
    while i < n and text[i] in " \t":
        i += 1
    if i >= n or text[i] == "#":
        return None
    return i


def _neutralise(code: list[str], first: int) -> None:
    """Neutralise IPython syntax on the lines from `first` on, in place (see the module doc)."""
    scan = _Scanner()
    i = first
    while i < len(code):
        line = code[i]
        if scan.at_statement_start():
            stripped = line.lstrip(" \t")
            at = len(line) - len(stripped)
            escape = _escape(stripped)
            if escape == "magic":
                body = _magic_body(line, at)
                if body is not None:
                    pad = body - at
                    code[i] = line[:at] + "0;" + " " * (pad - 2) + line[body:] if pad >= 2 else _noop(line)
                    scan.feed(code[i])
                    i += 1
                    continue
            if escape:
                i = _blank_escape(code, i)
                continue
            assigned = _escape_assignment(line)
            if assigned is not None:
                code[i] = assigned
                scan.feed(code[i])
                i += 1
                continue
            end = scan.probe(line)
            if end is not None and end.rstrip().endswith("?") and not end.rstrip().endswith("\\?"):
                i = _blank_escape(code, i)  # `obj?`, `obj.method??`: help
                continue
        scan.feed(line)
        i += 1


def _escape(stripped: str) -> str:
    """Which IPython escape starts a statement ("" for none)."""
    if not stripped:
        return ""
    c = stripped[0]
    if c == "!":
        return "shell"
    if c == "%":
        return "magic"
    if c == "?":
        return "help"
    if c in "/,;" and len(stripped) > 1 and _WORD.match(stripped[1]):
        return "autocall"
    return ""


def _blank_escape(code: list[str], i: int) -> int:
    """Blank the escape line at `i` and the lines it continues onto with `\\`; the next index."""
    continues = code[i].rstrip().endswith("\\")
    code[i] = _noop(code[i])
    i += 1
    while continues and i < len(code):
        continues = code[i].rstrip().endswith("\\")
        code[i] = ""
        i += 1
    return i


_ASSIGN = re.compile(r"^([ \t]*[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*[ \t]*=[ \t]*)([!%])")


def _escape_assignment(line: str) -> str | None:
    """`files = !ls` -> `files = 0   `; `t = %time f()` -> `t =       f()`; None if not such a line."""
    m = _ASSIGN.match(line)
    if m is None:
        return None
    start = m.start(2)
    if m.group(2) == "%":
        body = _magic_body(line, start)
        if body is not None:
            return line[:start] + " " * (body - start) + line[body:]
    return line[:start] + "0" + " " * (len(line) - start - 1)


class _Scanner:
    """Tracks, line by line, whether the next line starts a statement: not inside
    brackets, a string or a backslash continuation. Strings are skipped as Python
    reads them (a backslash escapes the next character, raw strings too); comments end
    a line."""

    def __init__(self) -> None:
        self.depth = 0
        self.string: str | None = None  # the closing quote of an open string
        self.continued = False

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.string is None and not self.continued

    def probe(self, line: str) -> str | None:
        """The line's code before any comment, when the line ends the statement there
        (single line, nothing left open); None otherwise."""
        saved = (self.depth, self.string, self.continued)
        code = self.feed(line)
        ends = self.at_statement_start()
        self.depth, self.string, self.continued = saved
        return code if ends else None

    def feed(self, line: str) -> str:
        """Advance over one line; returns the line's code before a comment."""
        i, n = 0, len(line)
        comment = n
        while i < n:
            c = line[i]
            if self.string is not None:
                if c == "\\":
                    i += 2
                    continue
                if line.startswith(self.string, i):
                    i += len(self.string)
                    self.string = None
                    continue
                i += 1
                continue
            if c == "#":
                comment = i
                break
            if c in "\"'":
                quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else c
                self.string = quote
                i += len(quote)
                continue
            if c in "([{":
                self.depth += 1
            elif c in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        code = line[:comment]
        ends_with_backslash = line.endswith("\\") and comment == n
        if self.string is not None and len(self.string) == 1 and not line.endswith("\\"):
            self.string = None  # an unterminated one-line string: Python reports it
        self.continued = self.string is None and ends_with_backslash
        return code


# --------------------------------------------------------------------------- the JSON file


def source_spans(raw: str) -> dict[int, list[tuple[int, int]]]:
    """For each cell (0-based index in "cells"), the (start, end) offsets in the JSON
    text of the strings its "source" consists of (one per list element, or one).
    {} when the text cannot be walked (the caller falls back)."""
    return {index: strings for index, (_, _, strings) in source_values(raw).items()}


def source_values(raw: str) -> dict[int, tuple[int, int, list[tuple[int, int]]]]:
    """For each cell (0-based index in "cells"): the (start, end) offsets of its "source"
    value in the JSON text, and those of the strings in it. {} when the text cannot be
    walked."""
    try:
        return _walk_cells(raw)
    except (ValueError, IndexError, RecursionError):
        return {}


_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _skip(raw: str, i: int) -> int:
    m = _WS.match(raw, i)
    return m.end() if m else i


def _members(raw: str, i: int) -> tuple[list[tuple[str, int, int]], int]:
    """The members (key, value start, value end) of the JSON object at `i`, and its end."""
    if raw[i] != "{":
        raise ValueError("not an object")
    out: list[tuple[str, int, int]] = []
    i = _skip(raw, i + 1)
    if raw[i] == "}":
        return out, i + 1
    while True:
        if raw[i] != '"':
            raise ValueError("expected a key")
        key, i = json.decoder.scanstring(raw, i + 1)  # type: ignore[attr-defined]
        i = _skip(raw, i)
        if raw[i] != ":":
            raise ValueError("expected ':'")
        start = _skip(raw, i + 1)
        end = _DECODER.raw_decode(raw, start)[1]
        out.append((key, start, end))
        i = _skip(raw, end)
        if raw[i] == ",":
            i = _skip(raw, i + 1)
        elif raw[i] == "}":
            return out, i + 1
        else:
            raise ValueError("expected ',' or '}'")


def _walk_cells(raw: str) -> dict[int, tuple[int, int, list[tuple[int, int]]]]:
    members, _ = _members(raw, _skip(raw, 1 if raw.startswith("\ufeff") else 0))
    at = next((start for key, start, _ in members if key == "cells"), None)
    if at is None or raw[at] != "[":
        return {}
    out: dict[int, tuple[int, int, list[tuple[int, int]]]] = {}
    i = _skip(raw, at + 1)
    index = 0
    while raw[i] != "]":
        cell, end = _members(raw, i)
        for key, start, stop in cell:
            if key == "source":
                out[index] = (start, stop, _string_spans(raw, start, stop))
        index += 1
        i = _skip(raw, end)
        if raw[i] == ",":
            i = _skip(raw, i + 1)
    return out


def _string_spans(raw: str, start: int, end: int) -> list[tuple[int, int]]:
    """The (start, end) offsets of the JSON strings of a "source" value (a string or a list)."""
    if raw[start] == '"':
        return [(start, end)]
    spans = []
    i = _skip(raw, start + 1)
    while raw[i] != "]":
        j = _DECODER.raw_decode(raw, i)[1]
        spans.append((i, j))
        i = _skip(raw, j)
        if raw[i] == ",":
            i = _skip(raw, i + 1)
    return spans


def _string_chars(raw: str, start: int, end: int):
    """(character, its offset in the JSON text) of the JSON string at start..end."""
    i = start + 1
    stop = end - 1
    while i < stop:
        c = raw[i]
        if c != "\\":
            yield c, i
            i += 1
            continue
        e = raw[i + 1]
        if e == "u":
            code = int(raw[i + 2:i + 6], 16)
            width = 6
            if 0xD800 <= code < 0xDC00 and raw[i + 6:i + 8] == "\\u":
                low = int(raw[i + 8:i + 12], 16)
                if 0xDC00 <= low < 0xE000:
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    width = 12
            yield chr(code), i
            i += width
            continue
        yield {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(e, e), i
        i += 2


def _raw_offset(raw: str, spans: list[tuple[int, int]], line: int, column: int) -> int:
    """The offset in the JSON text of (1-based line, column) of a cell's source."""
    cur_line, cur_col = 1, 1
    last = spans[0][0]
    pending_cr = False
    for start, end in spans:
        for ch, offset in _string_chars(raw, start, end):
            if pending_cr and ch != "\n":
                cur_line, cur_col, pending_cr = cur_line + 1, 1, False
            if cur_line == line and cur_col == column:
                return offset
            if cur_line > line:
                return last
            last = offset
            if ch == "\r":
                pending_cr = True
                continue
            if ch == "\n":
                cur_line, cur_col, pending_cr = cur_line + 1, 1, False
                continue
            cur_col += 1
    return last


# --------------------------------------------------------------------------- results


def _to_cell(books: dict, item) -> None:
    """A finding's or call site's span and statement lines, within its cell."""
    nb = books.get(item.path)
    if nb is None or item.cell is not None:
        return
    span = _span(nb, item.span)
    if span is None:
        return
    item.cell, item.span = span
    first, last = item.statement_lines
    if first:
        item.statement_lines = (_line(nb, first, item.cell), _line(nb, last, item.cell))


def to_cell_positions(result) -> None:
    """Rewrite the positions a run found in notebooks (lines of the code cells taken
    together) as (cell, line, column) within each cell: findings, suppressed findings,
    call sites, data flows and every step of their paths. Python files are untouched.
    `result` is the engine's RunResult; called once, after suppressions were applied."""
    books = {display: src.notebook for display, src in result.sources.items()
             if getattr(src, "notebook", None) is not None}
    if not books:
        return
    for f in [*result.findings, *result.suppressed]:
        _to_cell(books, f)
        f.flow = [_step(books, s) for s in f.flow]
    for site in result.sites:
        _to_cell(books, site)
    flows = []
    for fl in result.flows:
        changes: dict[str, Any] = {"steps": tuple(_step(books, s) for s in fl.steps)}
        nb = books.get(fl.path)
        if nb is not None and fl.cell is None:
            hit = nb.position(fl.line, fl.column)
            if hit is not None:
                changes.update(cell=hit[0], line=hit[1], column=hit[2])
        flows.append(replace(fl, **changes))
    result.flows = flows


def _span(nb: Notebook, span):
    """(cell number, the span within that cell) or None."""
    start = nb.position(span.line, span.column)
    if start is None:
        return None
    end = nb.position(span.end_line, span.end_column)
    if end is None or end[0] != start[0]:
        end = (start[0], start[1], start[2])
    return start[0], Span(start[1], start[2], end[1], end[2])


def _line(nb: Notebook, line: int, cell: int) -> int:
    hit = nb.position(line, 1)
    return hit[1] if hit is not None and hit[0] == cell else line


def _step(books: dict[str, Notebook], step):
    nb = books.get(step.path)
    if nb is None or step.cell is not None:
        return step
    hit = nb.position(step.line, step.column)
    if hit is None:
        return step
    return replace(step, cell=hit[0], line=hit[1], column=hit[2])
