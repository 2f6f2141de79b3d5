"""Template files of the project: the text of `env.get_template("summary.txt")` or
`render_template("letter.j2", ...)`, so a rendering shows which fields of its
arguments the template writes. Found by the name the code gives (a path ending in
it) under the project's roots; a template that is not found stays unknown (the
renderer then writes everything it was given).

A part of the whole-program side: `Project` (project.py) combines them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

# Folders that hold no templates of the project (environments, caches, VCS data).
_SKIP_DIRS = frozenset({"node_modules", "site-packages", "__pycache__", "venv", "env", "build", "dist"})
_MAX_ENTRIES = 50_000  # a root this large (a home folder) is not searched further
_MAX_BYTES = 256_000


class TemplateFiles:
    # what it uses of the Project it is part of (project.py)
    roots: list[Path]
    _templates: dict[str, list[Path]] | None = None  # file name -> the project's files of that name
    if TYPE_CHECKING:
        def touch(self, item: tuple) -> None: ...

    def template_text(self, name: str) -> str | None:
        """The text of the project's template file(s) named `name` (joined when several
        folders have one), or None. A dependency of the analysis that read it (kind "t")."""
        index = self._template_index()
        rel = name.replace("\\", "/").lstrip("./")
        if not rel:
            return None
        found = [p for p in index.get(rel.rsplit("/", 1)[-1], ())
                 if p.as_posix() == rel or p.as_posix().endswith("/" + rel)]
        texts = []
        for path in sorted(set(found)):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if len(data) <= _MAX_BYTES:
                self.touch(("t", str(path)))
                texts.append(data.decode("utf-8", errors="replace"))
        return "\n".join(texts) if texts else None

    def _template_index(self) -> dict[str, list[Path]]:
        index = self._templates
        if index is None:
            index = self._templates = {}
            seen = 0
            for root in list(self.roots):
                for base, dirs, files in os.walk(root):
                    dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS]
                    seen += len(files) + len(dirs)
                    for f in files:
                        if not f.endswith((".py", ".pyc")):
                            index.setdefault(f, []).append(Path(base) / f)
                    if seen > _MAX_ENTRIES:
                        break
        return index
