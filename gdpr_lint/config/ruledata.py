"""Locate and load the declarative rule data (the repository's `rules/` folder).

In an installed wheel the folder ships as `gdpr_lint/_rules`; in a source checkout
(editable install, tests) it is the top-level `rules/` beside the package.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class RuleDataError(Exception):
    """A rule data file is missing or malformed; the message names the file."""


def rules_dir() -> Path:
    here = Path(__file__).resolve().parent.parent  # the gdpr_lint package
    for candidate in (here / "_rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise RuleDataError(f"{here / '_rules'}: rule data folder not found (broken installation)")


@lru_cache(maxsize=None)
def load_rule_file(name: str) -> dict:
    path = rules_dir() / name
    cached = _parsed_cache(path)
    if cached is not None:
        return cached
    data = load_toml(path)
    _store_parsed(path, data)
    return data


# Parsing the rule TOML costs more than the rest of a small pre-commit run; the parsed
# data is kept in the user's cache folder, keyed by the file's path, size and mtime.
def _cache_file(path: Path) -> Path | None:
    try:
        st = path.stat()
    except OSError:
        return None
    base = os.environ.get("GDPR_LINT_RULEDATA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "gdpr-lint")
    key = hashlib.sha256(f"{path}|{st.st_size}|{st.st_mtime_ns}|{sys.version_info[:2]}".encode()).hexdigest()[:32]
    return Path(base) / "ruledata" / f"{key}.pickle"


def _parsed_cache(path: Path) -> dict | None:
    target = _cache_file(path)
    if target is None:
        return None
    try:
        with open(target, "rb") as fh:
            data = pickle.load(fh)
        return data if isinstance(data, dict) else None
    except Exception:  # noqa: BLE001 - missing or unreadable: parse the TOML
        return None


def _store_parsed(path: Path, data: dict) -> None:
    target = _cache_file(path)
    if target is None:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        return


def load_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise RuleDataError(f"{path}: cannot read rule data: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleDataError(f"{path}: malformed TOML: {exc}") from None
