"""Read and parse one Python file. Every failure becomes a one-line reason that
names the problem (the caller adds the file name); nothing is skipped silently.

Analysis uses the standard library's `ast` (about ten times faster than a
concrete syntax tree, and it carries positions for free); LibCST is used only
where code is rewritten (--fix).
"""

from __future__ import annotations

import ast
import codecs
import errno
import io
import os
import re
import stat
import tokenize
import unicodedata
import warnings
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, overload

if TYPE_CHECKING:
    from gdpr_lint.pipeline.notebook import Notebook

MAX_FILE_BYTES = 10 * 1024 * 1024  # larger files are reported, not analysed
# A notebook's outputs (plots, tables) can be large; its code is held to MAX_FILE_BYTES.
MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024
NOTEBOOK_SUFFIX = ".ipynb"


def is_notebook(name: str) -> bool:
    return name.lower().endswith(NOTEBOOK_SUFFIX)


class SourceError(Exception):
    """The file cannot be analysed; str(exc) is the reason."""


class NotPythonSource(SourceError):
    """A notebook whose kernel runs another language: skipped when found in a folder,
    reported when named explicitly."""


@dataclass
class SourceFile:
    path: Path
    display: str  # path as shown in reports
    text: str
    data: bytes
    tree: ast.Module | None  # None until parsed
    # A Jupyter notebook (pipeline/notebook.py): `text` is then its code cells as one
    # module, `data` the notebook's JSON bytes.
    notebook: Notebook | None = None
    _lines: Lines | None = field(default=None, repr=False)
    _search_view: bytes | None = field(default=None, repr=False)
    _dependency: tuple[str, str] | None = field(default=None, repr=False)

    @property
    def lines(self) -> Lines:
        """The text's lines as the parser numbers them (found on first use: most files are
        never shown or looked into)."""
        if self._lines is None:
            self._lines = Lines(self.text)
        return self._lines

    @property
    def search_view(self) -> bytes:
        """What byte-level searches look at (see `search_view`)."""
        if self._search_view is None:
            data = self.data if self.notebook is None else self.text.encode("utf-8", "surrogatepass")
            self._search_view = search_view(data, self.text)
        return self._search_view

    @property
    def dependency(self) -> tuple[str, str]:
        """(path, sha256 of the bytes): how a cached answer that read this file names it.
        Worked out once per file: the units of a package read the same modules."""
        if self._dependency is None:
            self._dependency = (str(self.path), sha256(self.data))
        return self._dependency

    def column(self, lineno: int, byte_offset: int) -> int:
        """Convert ast's UTF-8 byte column to a 1-based code-point column."""
        if 1 <= lineno <= len(self.lines):
            line = self.lines[lineno - 1]
            if line.isascii():
                return byte_offset + 1
            return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace")) + 1
        return byte_offset + 1

    def segment(self, node: ast.AST) -> str:
        seg = ast.get_source_segment(self.text, node)
        return seg if seg is not None else ast.unparse(node)


_LINE_END = re.compile(r"\r\n|\r|\n")  # what ends a line for Python's tokenizer


class Lines(Sequence[str]):
    """A text's lines, without their ends, numbered as Python's parser numbers them: only
    `\r\n`, `\r` and `\n` end a line (`str.splitlines` also breaks at a form feed, which
    would shift every line after it). Kept as where each line starts, not as strings: a
    worker holds the lines of every file it analysed (a list of them took twice the text)."""

    __slots__ = ("text", "_starts", "_count")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = array("I", [0])  # (files are at most MAX_FILE_BYTES)
        starts.extend(m.end() for m in _LINE_END.finditer(text))
        if starts[-1] != len(text):
            starts.append(len(text))  # the last line has no end
        self._starts = starts
        self._count = len(starts) - 1

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("line index out of range")
        line = self.text[self._starts[index]:self._starts[index + 1]]
        if line.endswith("\n"):
            return line[:-2] if line.endswith("\r\n") else line[:-1]
        return line[:-1] if line.endswith("\r") else line

    def start(self, lineno: int) -> int:
        """Where line `lineno` (1-based; one past the last: the text's end) starts in the text."""
        return self._starts[lineno - 1]


def sha256(data: bytes) -> str:
    """The hex digest of `data`, as the cache names what an answer read."""
    import hashlib  # (here: OpenSSL takes milliseconds to load; code without OpenAI use never hashes)

    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> str:
    """Decode per PEP 263 (BOM, coding cookie, default UTF-8)."""
    if not data.startswith(codecs.BOM_UTF8) and b"coding" not in data[:_end_of_line_2(data)]:
        # no BOM and no cookie: UTF-8, as `detect_encoding` would say after reading the two
        # lines again (most files; it costs as much as the decoding)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceError(f"cannot decode as utf-8: invalid byte at offset {exc.start}") from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if b"coding" not in b"".join(data.splitlines(keepends=True)[:2]):
            try:  # no declaration at all: the bytes are simply not UTF-8
                data.decode("utf-8")
            except UnicodeDecodeError as uexc:
                raise SourceError(f"cannot decode as utf-8: invalid byte at offset {uexc.start}") from None
        raise SourceError(f"invalid encoding declaration: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    try:
        text = data.decode(encoding)
    except LookupError:
        raise SourceError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"cannot decode as {encoding}: invalid byte at offset {exc.start}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def search_view(data: bytes, text: str | None = None) -> bytes:
    """The bytes that byte-level searches (prefilter, reach, helper names) look at.

    Python reads identifiers in NFKC form and honours any coding cookie, so
    `import ｏｐｅｎａｉ` (full-width letters) and `import +AG8-penai` (UTF-7) both
    import openai. For a file that is not plain ASCII, or that declares an encoding,
    the searches see its decoded text, NFKC-normalised, as UTF-8 (lines keep their
    numbers). Plain ASCII without a declaration, the common case, is returned as is.
    """
    if data.isascii() and b"coding" not in data[:_end_of_line_2(data)]:
        return data
    if text is None:
        try:
            text = decode(data)
        except SourceError:
            return data  # reported by whoever reads it as source
    if not unicodedata.is_normalized("NFKC", text):  # (the check is many times faster)
        text = unicodedata.normalize("NFKC", text)
    return text.encode("utf-8", "surrogatepass")


def _end_of_line_2(data: bytes) -> int:
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    return len(data) if second < 0 else second


def parse_text(text: str, filename: str, *, top_level_await: bool = False) -> ast.Module:
    """`top_level_await`: accept `await`, `async for` and `async with` outside a function
    (a notebook cell)."""
    return _parse(text, filename, tree=True, top_level_await=top_level_await)


def verify_syntax(text: str, filename: str, *, top_level_await: bool = False) -> None:
    """SourceError if the text is not valid Python. Compiling without building the
    Python AST objects is faster than ast.parse, and it also rejects what only the
    compiler checks (`return` outside a function, `nonlocal` at module level)."""
    _parse(text, filename, tree=False, top_level_await=top_level_await)


def parse_source(src: SourceFile) -> ast.Module:
    """The file's syntax tree (a notebook's: its code cells, errors named by cell)."""
    if src.notebook is None:
        return parse_text(src.text, src.display)
    try:
        return parse_text(src.text, src.display, top_level_await=True)
    except SourceError:
        raise SourceError(_notebook_syntax_error(src.notebook, src.display)) from None


def verify_source(src: SourceFile) -> None:
    """SourceError if the file (a notebook: any of its code cells) is not valid Python."""
    if src.notebook is None:
        verify_syntax(src.text, src.display)
        return
    try:
        verify_syntax(src.text, src.display, top_level_await=True)
    except SourceError:
        raise SourceError(_notebook_syntax_error(src.notebook, src.display)) from None


def _notebook_syntax_error(notebook: Notebook, filename: str) -> str:
    """The error of the first code cell that does not compile by itself, named by the
    cell (IPython compiles cell by cell); else that of the cells together."""
    for cell in notebook.cells:
        if cell.foreign:
            continue
        try:
            verify_syntax(cell.python, filename, top_level_await=True)
        except SourceError as exc:
            return _in_cell(exc, cell)
    try:
        verify_syntax(notebook.text, filename, top_level_await=True)
    except SourceError as exc:
        hit = notebook.cell_at(getattr(exc, "lineno", 0) or 0)
        if hit is not None:
            cell, k = hit
            return _in_cell(exc, cell, k)
        return str(exc)
    return "syntax error"


def _in_cell(exc: SourceError, cell, k: int | None = None) -> str:
    """`cell 3: syntax error at line 2, column 5: ...` (positions within the cell)."""
    lineno = getattr(exc, "lineno", None)
    offset = getattr(exc, "offset", None)
    msg = getattr(exc, "msg", str(exc))
    if not lineno:
        return f"cell {cell.number}: syntax error: {msg}"
    k = lineno - 1 if k is None else k
    where = f"line {k + 1}"
    if offset:
        where += f", column {offset + (cell.offsets[k] if 0 <= k < len(cell.offsets) else 0)}"
    return f"cell {cell.number}: syntax error at {where}: {msg}"


def _parse(text: str, filename: str, *, tree: bool, top_level_await: bool = False):
    if "\x00" in text:
        raise SourceError("file contains NUL bytes")
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if top_level_await else 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes is not ours to report
            if not tree:
                compile(text, filename, "exec", flags=flags, dont_inherit=True)
                return None
            if top_level_await:
                return compile(text, filename, "exec", flags=flags | ast.PyCF_ONLY_AST, dont_inherit=True)
            return ast.parse(text, filename=filename, type_comments=False)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "") if exc.lineno else ""
        msg = exc.msg if hasattr(exc, "msg") else str(exc)
        from gdpr_lint.pipeline.newer_syntax import newer_python_note, older_spelling

        # Python 3.12 f-strings that reuse their quotes: parsed in the running Python's
        # spelling, every position unchanged
        older = older_spelling(text)
        if older is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if not tree:
                        compile(older, filename, "exec", flags=flags, dont_inherit=True)
                        return None
                    return compile(older, filename, "exec", flags=flags | ast.PyCF_ONLY_AST, dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass

        note = newer_python_note(text)
        error = SourceError(f"syntax error{' at ' + where if where else ''}: {msg}{f' ({note})' if note else ''}")
        error.lineno, error.offset, error.msg = exc.lineno, exc.offset, msg  # type: ignore[attr-defined]
        raise error from None
    except RecursionError:
        raise SourceError("too deeply nested to parse") from None
    except MemoryError:  # also how CPython's parser reports its own stack overflowing on deep nesting
        raise SourceError("too deeply nested to parse (or out of memory)") from None
    except ValueError as exc:
        raise SourceError(f"cannot parse: {exc}") from None


# Non-blocking: a FIFO opens at once (and is refused for not being a regular file) instead
# of waiting for a writer; it changes nothing for a regular file.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or SourceError with the reason it cannot be read. One open, one
    fstat and the reads on the descriptor: every file of a run comes through here, and
    `Path.stat` plus `Path.read_bytes` cost twice the time on code without OpenAI use."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        raise _read_error(path, exc) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise SourceError("is a directory")
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            raise SourceError("not a regular file")
        size = st.st_size
        limit = MAX_NOTEBOOK_BYTES if is_notebook(path.name) else MAX_FILE_BYTES
        if size > limit:
            raise SourceError(f"file too large to analyse ({size} bytes; limit {limit})")
        chunks = []
        while chunk := os.read(fd, size + 1):  # (until the end: the file may have grown)
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError as exc:
        raise _read_error(path, exc) from None
    finally:
        os.close(fd)


def _read_error(path: Path, exc: OSError) -> SourceError:
    if isinstance(exc, FileNotFoundError):
        return SourceError("file disappeared before it could be read")
    if isinstance(exc, IsADirectoryError) or os.path.isdir(path):  # (Windows refuses to open a folder)
        return SourceError("is a directory")
    if exc.errno == errno.ENXIO:  # a socket cannot be opened
        return SourceError("not a regular file")
    if isinstance(exc, PermissionError):
        return SourceError("permission denied")
    if exc.errno == errno.ELOOP:
        return SourceError("symbolic link loop")
    return SourceError(f"cannot read: {exc.strerror or exc}")


def text_source(path: Path, display: str, data: bytes) -> SourceFile:
    """Decoded but not parsed (for reports and suppression comments); SourceError if undecodable.
    A notebook (`.ipynb`) is read as its code cells (pipeline/notebook.py)."""
    if is_notebook(path.name):
        return notebook_source(path, display, data)
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(f"file too large to analyse ({len(data)} bytes; limit {MAX_FILE_BYTES})")
    text = decode(data)
    if "\x00" in text:  # Python refuses such source outright: no need to parse it to know
        raise SourceError("file contains NUL bytes")
    return SourceFile(path=path, display=display, text=text, data=data, tree=None)


def notebook_source(path: Path, display: str, data: bytes) -> SourceFile:
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise SourceError(f"file too large to analyse ({len(data)} bytes; limit {MAX_NOTEBOOK_BYTES})")
    # imported for the first notebook (10 ms; most runs read none)
    from gdpr_lint.pipeline.notebook import NotebookError, NotPythonNotebook, load_notebook

    try:
        notebook = load_notebook(data)
    except NotPythonNotebook as exc:
        raise NotPythonSource(str(exc)) from None
    except NotebookError as exc:
        raise SourceError(str(exc)) from None
    if len(notebook.text) > MAX_FILE_BYTES:
        raise SourceError(f"notebook code too large to analyse ({len(notebook.text)} characters; "
                          f"limit {MAX_FILE_BYTES})")
    return SourceFile(path=path, display=display, text=notebook.text, data=data, tree=None, notebook=notebook)


def read_source(path: Path, display: str, data: bytes | None = None) -> SourceFile:
    if data is None:
        data = read_bytes(path)
    src = text_source(path, display, data)
    src.tree = parse_source(src)
    return src
