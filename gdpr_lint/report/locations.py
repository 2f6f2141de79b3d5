"""Where a finding's file lives, for formats that CI systems resolve themselves, and
where in that file it stands.

GitHub code scanning, GitHub annotations and GitLab code quality resolve a
relative path against the repository checkout, so those formats name files
relative to the root of the repository the run happens in (the closest parent
directory of the working directory that holds `.git`), not relative to the
working directory: `cd services/api && gdpr-lint check` still reports
`services/api/app.py`. Outside a repository the working directory is the root.

Those formats (and SARIF, and JUnit's `line`) point into the file as stored: in a
Jupyter notebook that is the JSON text, so `file_region` maps a finding's (cell,
line, column) to the line and column of the JSON string that holds that character
(with one string per source line, as Jupyter writes notebooks, the line of the
code itself). The cell and the position within it go into each format's message.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=32)
def source_root(cwd: Path) -> Path:
    cwd = Path(cwd).resolve()
    for d in (cwd, *cwd.parents):
        if (d / ".git").exists():
            return d
    return cwd


def absolute(display: str, context) -> Path:
    src = context.sources.get(display) if context is not None else None
    if src is not None and getattr(src, "path", None) is not None:
        return Path(src.path).absolute()
    p = Path(display)
    return p if p.is_absolute() else Path(context.cwd) / p


def root_relative(display: str, context) -> str | None:
    """'/'-separated path relative to the source root, or None when outside it."""
    root = source_root(Path(context.cwd))
    path = absolute(display, context)
    try:
        rel = Path(os.path.abspath(path)).relative_to(root)
    except ValueError:
        try:
            rel = path.resolve().relative_to(root)
        except ValueError:
            return None
    from gdpr_lint.pipeline.discovery import printable_path

    return printable_path(rel.as_posix())


def source_line(context, display: str, line: int, cell: int | None = None) -> str | None:
    """The text of `line` (of `cell` in a notebook) as the file holds it; None if unknown."""
    src = context.sources.get(display) if context is not None else None
    if src is None:
        return None
    notebook = getattr(src, "notebook", None)
    if notebook is not None:
        return notebook.line_text(cell, line) if cell is not None else None
    return src.lines[line - 1] if 1 <= line <= len(src.lines) else None


def file_position(context, display: str, line: int, column: int, cell: int | None = None) -> tuple[int, int]:
    """(line, column) in the file on disk: the same, except in a notebook (the JSON text)."""
    if cell is None:
        return line, column
    src = context.sources.get(display) if context is not None else None
    notebook = getattr(src, "notebook", None)
    if notebook is None:
        return line, column
    return notebook.raw_position(cell, line, column)


def file_region(context, item) -> tuple[int, int, int, int]:
    """(line, column, end line, end column) of a Finding or CallSite in the file on disk."""
    span, cell = item.span, getattr(item, "cell", None)
    if cell is None:
        return span.line, span.column, span.end_line, span.end_column
    line, column = file_position(context, item.path, span.line, span.column, cell)
    end_line, end_column = file_position(context, item.path, span.end_line, span.end_column, cell)
    return line, column, end_line, end_column


def cell_note(item) -> str:
    """`cell 3, line 4, column 9` for a notebook position, '' otherwise (for messages)."""
    cell = getattr(item, "cell", None)
    if cell is None:
        return ""
    return f"cell {cell}, line {item.line}, column {item.column}"


def ci_path(display: str, context) -> str:
    """The root-relative path when there is one, else the path as displayed."""
    return root_relative(display, context) or display
