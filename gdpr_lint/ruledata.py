"""Locate and load the declarative rule data (the repository's `rules/` folder).

In an installed wheel the folder ships as `gdpr_lint/_rules`; in a source checkout
(editable install, tests) it is the top-level `rules/` beside the package.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class RuleDataError(Exception):
    """A rule data file is missing or malformed; the message names the file."""


def rules_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise RuleDataError(f"{here / '_rules'}: rule data folder not found (broken installation)")


@lru_cache(maxsize=None)
def load_rule_file(name: str) -> dict:
    return load_toml(rules_dir() / name)


def load_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise RuleDataError(f"{path}: cannot read rule data: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleDataError(f"{path}: malformed TOML: {exc}") from None
