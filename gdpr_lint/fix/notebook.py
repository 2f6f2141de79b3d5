"""`--fix` / `--diff` on a Jupyter notebook: rewrite the affected code cells only.

Each cell with fixable findings is rewritten by the same codemod as a Python file
(codemod.py), on the code the analysis read (IPython syntax neutralised, the cell's
common indent stripped); the runtime's local names are chosen for the whole notebook
(the cells share one namespace) and the import goes into each rewritten cell, after
a cell magic line when there is one. Lines the codemod left alone get their original
text back (magics, shell escapes); a rewritten call on a line that holds IPython
syntax keeps it when the syntax sits before the call (`%time r = client...(...)`),
otherwise that finding is left unfixed with the reason.

The JSON file is edited in place: only the "source" values of the rewritten cells are
replaced, serialised the way the file already writes them (a list of lines or one
string; its indent and separators; escaped or literal non-ASCII), so outputs,
metadata, cell ids, key order, indentation and the final newline are untouched and a
`git diff` shows only the changed lines. The result is checked before it is handed
back: it is JSON, it reads as the same notebook with only those sources changed, and
its code still parses.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from typing import Sequence

from gdpr_lint.fix.codemod import FixError, Unfixed, rewrite_source, runtime_names
from gdpr_lint.model import Finding, Span
from gdpr_lint.pipeline.notebook import Cell, Notebook, NotebookError, load_notebook, source_values, split_lines
from gdpr_lint.pipeline.source import SourceError, parse_text

# (cell number, source before, source after) of every rewritten cell
CellChange = tuple[int, str, str]


class _CellError(Exception):
    """This cell cannot be rewritten; str(exc) says why (its findings stay unfixed)."""


def rewrite_notebook(data: bytes, findings: Sequence[Finding], filename: str = "<notebook>"
                     ) -> tuple[bytes, list[Finding], list[Unfixed], list[CellChange]]:
    """Apply the fixes for `findings` (all in this notebook, positioned by cell).

    Returns the new bytes, the findings fixed, those that could not be, and the
    rewritten cells. Raises FixError when the notebook cannot be rewritten safely."""
    try:
        nb = load_notebook(data)
        tree = parse_text(nb.text, filename, top_level_await=True)
    except (NotebookError, SourceError) as exc:
        raise FixError(f"cannot read the notebook for rewriting: {exc}") from None
    names = runtime_names(tree, nb.text)
    by_cell: dict[int, list[Finding]] = {}
    applied: list[Finding] = []
    unfixed: list[Unfixed] = []
    for f in findings:
        cell = nb.by_number(f.cell) if f.cell is not None else None
        if cell is None or cell.foreign:
            unfixed.append(Unfixed(f, "the call was not found in a code cell of the notebook"))
            continue
        by_cell.setdefault(cell.number, []).append(f)
    sources: dict[int, str] = {}
    changes: list[CellChange] = []
    for number in sorted(by_cell):
        cell = nb.by_number(number)
        assert cell is not None
        group = by_cell[number]
        shifted = [_in_code(cell, f) for f in group]
        original = {id(s): f for s, f in zip(shifted, group)}
        try:
            # a cell keeps its lines (they are mapped back to the notebook one to one): no wrapping
            new_code, done, left = rewrite_source(cell.python.encode("utf-8"), shifted, f"{filename}:cell {number}",
                                                  names=names, top_level_await=True, line_length=sys.maxsize)
        except FixError as exc:
            unfixed.extend(Unfixed(f, f"cell {number}: {exc}") for f in group)
            continue
        unfixed.extend(Unfixed(original[id(u.finding)], u.reason) for u in left)
        if not done:
            continue
        try:
            source = _restore(cell, new_code.decode("utf-8"))
        except _CellError as exc:
            unfixed.extend(Unfixed(original[id(f)], str(exc)) for f in done)
            continue
        applied.extend(original[id(f)] for f in done)
        old_source = _source_text(nb, cell.index)
        if source != old_source:
            sources[cell.index] = source
            changes.append((number, old_source, source))
    if not sources:
        return data, applied, unfixed, []
    new = _splice(data, nb, sources)
    _verify(new, nb, sources, filename)
    return new, applied, unfixed, changes


def _in_code(cell: Cell, f: Finding) -> Finding:
    """The finding positioned in the code the codemod reads (the cell's indent stripped)."""
    s = f.span
    off = cell.offsets
    start = off[s.line - 1] if 0 < s.line <= len(off) else 0
    end = off[s.end_line - 1] if 0 < s.end_line <= len(off) else 0
    return replace(f, span=Span(s.line, s.column - start, s.end_line, s.end_column - end))


def _source_text(nb: Notebook, index: int) -> str:
    source = nb.doc["cells"][index].get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _restore(cell: Cell, new_code: str) -> str:
    """The cell's new source: the rewritten code with the cell's own text put back
    where the codemod left a line alone (IPython syntax, the stripped indent).

    The codemod changes lines in place and adds at most one block of import lines
    (the runtime's import, blank lines around it); that block is found, the other
    lines pair one to one with the cell's."""
    old = cell.code
    new = split_lines(new_code)
    indent = next((cell.lines[k][:cell.offsets[k]] for k in range(len(cell.lines)) if cell.offsets[k]), "")
    at, block = _import_block(old, new)
    kept = new[:at] + new[at + len(block):]
    out: list[str] = []
    for k, line in enumerate(kept):
        if line == old[k]:
            out.append(cell.lines[k])
        elif _neutralised(cell, k):
            out.append(_keep_syntax(cell, k, line))
        else:
            out.append(indent + line if line and indent else line)
    if block:
        first = next((k for k, text in enumerate(cell.lines) if text.strip()), 0)
        if cell.magic and at <= first:  # a cell magic must stay the cell's first line
            at = first + 1
        out[at:at] = [indent + line if line and indent else line for line in block]
    text = "\n".join(out)
    return text + "\n" if cell.trailing_newline else text


_IMPORT_LINE = re.compile(r"(from\s+gdpr_lint\.runtime\s+import\b|import\s+gdpr_lint\.runtime\b|\s*$)")


def _import_block(old: list[str], new: list[str]) -> tuple[int, list[str]]:
    """(where, lines) of the block of lines the codemod inserted: import lines of the
    runtime and blank lines, placed where the other lines pair best with the cell's."""
    extra = len(new) - len(old)
    if extra == 0:
        return 0, []
    if extra < 0:
        raise _CellError("the rewrite removed lines from the cell")
    best: tuple[int, int] | None = None  # (mismatches, position)
    for at in range(len(new) - extra + 1):
        block = new[at:at + extra]
        if not all(_IMPORT_LINE.match(line) for line in block) or not any(line.strip() for line in block):
            continue
        rest = new[:at] + new[at + extra:]
        mismatches = sum(1 for a, b in zip(old, rest) if a != b)
        if best is None or mismatches < best[0]:
            best = (mismatches, at)
    if best is None:
        raise _CellError("the rewrite added lines other than the runtime's import")
    return best[1], new[best[1]:best[1] + extra]


def _neutralised(cell: Cell, k: int) -> bool:
    return cell.code[k] != cell.lines[k][cell.offsets[k]:]


def _keep_syntax(cell: Cell, k: int, line: str) -> str:
    """A rewritten line that held IPython syntax, with that syntax put back: possible
    when the codemod changed nothing up to the end of the neutralised part."""
    neutral = cell.code[k]
    own = cell.lines[k][cell.offsets[k]:]
    n = len(neutral)
    tail = 0  # length of the common end after the neutralised part
    while tail < n and neutral[n - 1 - tail] == own[len(own) - 1 - tail]:
        tail += 1
    end = n - tail
    if line[:end] != neutral[:end]:
        raise _CellError("the call shares a line with IPython syntax (a magic or shell escape) that the rewrite "
                         "would change; fix it by hand")
    prefix = cell.lines[k][:cell.offsets[k]]
    return prefix + own[:len(own) - tail] + line[end:]


# --------------------------------------------------------------------------- the JSON file


def _splice(data: bytes, nb: Notebook, sources: dict[int, str]) -> bytes:
    """The notebook's bytes with the "source" values of the cells in `sources` replaced."""
    raw = nb.raw
    values = source_values(raw)
    literal = not raw.isascii() or not _has_non_ascii(nb.doc)  # how the file writes non-ASCII text
    pieces = []
    last = 0
    for index in sorted(sources):
        if index not in values:
            raise FixError(f"cell {index + 1}: cannot find its source in the notebook's JSON text")
        start, end, strings = values[index]
        pieces.append(raw[last:start])
        pieces.append(_serialise(raw, start, end, strings, sources[index], ensure_ascii=not literal))
        last = end
    pieces.append(raw[last:])
    text = "".join(pieces)
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    return bom + text.encode("utf-8")


def _has_non_ascii(value) -> bool:
    if isinstance(value, str):
        return not value.isascii()
    if isinstance(value, list):
        return any(_has_non_ascii(v) for v in value)
    if isinstance(value, dict):
        return any(_has_non_ascii(k) or _has_non_ascii(v) for k, v in value.items())
    return False


def _serialise(raw: str, start: int, end: int, strings: list[tuple[int, int]], source: str, *,
               ensure_ascii: bool) -> str:
    """`source` as a JSON value in the style of the value at raw[start:end]."""
    if raw[start] == '"':
        return json.dumps(source, ensure_ascii=ensure_ascii)
    items = [json.dumps(line, ensure_ascii=ensure_ascii) for line in source.splitlines(keepends=True)]
    if strings:
        opening = raw[start + 1:strings[0][0]]
        closing = raw[strings[-1][1]:end - 1]
        sep = raw[strings[0][1]:strings[1][0]] if len(strings) > 1 else "," + (opening if opening.strip() == "" else " ")
    else:  # `[]`: Jupyter's layout (one more level of indent than the key)
        line_start = raw.rfind("\n", 0, start) + 1
        key_indent = re.match(r"[ \t]*", raw[line_start:]).group(0)  # type: ignore[union-attr]
        step = " " if not key_indent else key_indent[:1]
        opening = "\n" + key_indent + step
        closing = "\n" + key_indent
        sep = "," + opening
    if not items:
        return "[]"
    return "[" + opening + sep.join(items) + closing + "]"


def _verify(new: bytes, nb: Notebook, sources: dict[int, str], filename: str) -> None:
    """The rewritten notebook is JSON, is the same notebook but for the given sources,
    and its code parses; else FixError (the file is left unchanged)."""
    try:
        doc = json.loads(new.decode("utf-8-sig"))
        rewritten = load_notebook(new)
        parse_text(rewritten.text, filename, top_level_await=True)
    except (ValueError, NotebookError, SourceError) as exc:
        raise FixError(f"the rewritten notebook does not read back ({str(exc).splitlines()[0]}); "
                       f"file left unchanged") from None
    expected = json.loads(nb.raw)
    for index, source in sources.items():
        cell = expected["cells"][index]
        cell["source"] = source.splitlines(keepends=True) if isinstance(cell.get("source"), list) else source
    if doc != expected:
        raise FixError("the rewritten notebook differs from the original beyond the rewritten cells; "
                       "file left unchanged")
