"""Where a finding's file lives, for formats that CI systems resolve themselves.

GitHub code scanning, GitHub annotations and GitLab code quality resolve a
relative path against the repository checkout, so those formats name files
relative to the root of the repository the run happens in (the closest parent
directory of the working directory that holds `.git`), not relative to the
working directory: `cd services/api && gdpr-lint check` still reports
`services/api/app.py`. Outside a repository the working directory is the root.
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


def ci_path(display: str, context) -> str:
    """The root-relative path when there is one, else the path as displayed."""
    return root_relative(display, context) or display
