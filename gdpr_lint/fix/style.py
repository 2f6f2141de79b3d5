"""The project's code style as the fix follows it: the line length configured for Ruff
or Black (the nearest `.ruff.toml`, `ruff.toml` or `pyproject.toml` above the file)."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_LINE_LENGTH = 88  # Black's and Ruff's default


def line_length_for(path: str | Path) -> int:
    """The line length configured for `path`'s project; 88 when none is."""
    try:
        start = Path(path).resolve().parent
    except (OSError, RuntimeError):
        return DEFAULT_LINE_LENGTH
    return _line_length_in(start)


@lru_cache(maxsize=256)
def _line_length_in(directory: Path) -> int:
    for d in (directory, *directory.parents):
        for name, tables in ((".ruff.toml", ((),)), ("ruff.toml", ((),)),
                             ("pyproject.toml", (("tool", "ruff"), ("tool", "black")))):
            data = _load(d / name)
            if data is None:
                continue
            for table in tables:
                value = _line_length(data, table)
                if value is not None:
                    return value
        if (d / ".git").exists():
            break  # the repository's root: settings above it are not the project's
    return DEFAULT_LINE_LENGTH


def _load(path: Path) -> dict | None:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, ValueError):
        return None  # missing or not TOML: the linter reports broken configuration elsewhere


def _line_length(data: dict, table: tuple[str, ...]) -> int | None:
    section: object = data
    for key in table:
        section = section.get(key) if isinstance(section, dict) else None
    if not isinstance(section, dict):
        return None
    value = section.get("line-length", section.get("line_length"))
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
