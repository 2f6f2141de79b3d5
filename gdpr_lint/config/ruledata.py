"""Locate and load the declarative rule data (the repository's `rules/` folder).

In an installed wheel the folder ships as `gdpr_lint/_rules`; in a source checkout
(editable install, tests) it is the top-level `rules/` beside the package.
"""

from __future__ import annotations

import os
import pickle
import sys
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Callable

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
# data is kept in the user's cache folder, keyed by the file's path, size and mtime. The
# file name is a checksum of that key (zlib's: hashlib loads OpenSSL, milliseconds that code
# without OpenAI use would pay for nothing else) and the pickle holds the key itself, so
# two keys with one checksum never share data.
def _cache_key(path: Path) -> tuple[Path, str] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    base = os.environ.get("GDPR_LINT_RULEDATA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "gdpr-lint")
    key = f"{path}|{st.st_size}|{st.st_mtime_ns}|{sys.version_info[:2]}"
    raw = key.encode("utf-8", "surrogateescape")
    return Path(base) / "ruledata" / f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.pickle", key


def _parsed_cache(path: Path) -> dict | None:
    where = _cache_key(path)
    if where is None:
        return None
    target, key = where
    try:
        with open(target, "rb") as fh:
            stored = pickle.load(fh)
    except Exception:  # noqa: BLE001 - missing or unreadable: parse the TOML
        return None
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key and isinstance(stored[1], dict):
        return stored[1]
    return None


def _store_parsed(path: Path, data: dict) -> None:
    where = _cache_key(path)
    if where is None:
        return
    target, key = where
    import tempfile  # (only when the parsed data is stored: most runs find it)

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((key, data), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        return


def load_toml(path: Path) -> dict:
    # (imported here: the parsed rule data comes from the cache, and a project without a
    # pyproject.toml parses no TOML at all)
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise RuleDataError(f"{path}: cannot read rule data: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleDataError(f"{path}: malformed TOML: {exc}") from None


# --- the personal-data vocabulary: rules/personal_data/ -------------------------------

VOCABULARY_FOLDER = "personal_data"
_CATEGORY_FLAGS = {"label": str, "special": bool, "direct_identifier": bool, "content": bool}
_CONTEXT_LISTS = ("person_owners", "non_person_owners", "animal_owners", "non_personal_modifiers",
                  "written_records", "written_fields", "data_heads", "technical_owners")


# The owner lists of [context] and the owner kind their words name (vocabulary.owner_kind).
_OWNER_KINDS = {"person_owners": "person", "non_person_owners": "thing", "animal_owners": "animal"}


@lru_cache(maxsize=None)
def load_vocabulary_data() -> dict:
    """The built-in vocabulary, rules/personal_data/, as one document (read_vocabulary_folder)."""
    return read_vocabulary_folder(rules_dir() / VOCABULARY_FOLDER,
                                  lambda path: load_rule_file(f"{VOCABULARY_FOLDER}/{path.name}"))


def read_vocabulary_folder(folder: Path, load: Callable[[Path], dict] = load_toml) -> dict:
    """A vocabulary folder as one document: the `[categories.KEY]` tables of
    categories.toml, with the word lists of every other `*.toml` file of the folder
    (one per language, and common.toml) appended in file-name order, repeats dropped.

    {"categories": {KEY: {label, flags..., terms, ambiguous, contextual, modifiers}},
     "context": {person_owners: [...], ...}, "labels": {KEY: [...]}, "purpose": {KEY: [...]},
     "normalise": {"neutral_suffixes": [...]}}
    """
    defs_path = folder / "categories.toml"
    defs = load(defs_path)
    _check_keys(defs, ("categories",), defs_path, "")
    categories: dict[str, dict] = {}
    for key, spec in _tables(defs, "categories", defs_path).items():
        _check_keys(spec, _CATEGORY_FLAGS, defs_path, f"categories.{key}")
        for flag, kind in _CATEGORY_FLAGS.items():
            if flag in spec and not isinstance(spec[flag], kind):
                raise RuleDataError(f"{defs_path}: categories.{key}.{flag}: expected a {kind.__name__}")
        categories[key] = {**spec, "terms": [], "ambiguous": [], "contextual": [], "modifiers": []}
    context: dict[str, list] = {name: [] for name in _CONTEXT_LISTS}
    labels: dict[str, list] = {}
    purpose: dict[str, list] = {}
    purpose_by_language: dict[str, dict[str, dict[str, list]]] = {}
    suffixes: list[str] = []
    by_language: dict[str, dict[str, dict[str, list]]] = {}  # file stem -> category -> terms / ambiguous
    owners_by_language: dict[str, dict[str, dict[str, list]]] = {}  # file stem -> owner kind -> terms
    for path in sorted(folder.glob("*.toml")):
        if path.name == "categories.toml":
            continue
        data = load(path)
        _check_keys(data, ("categories", "context", "labels", "purpose", "normalise"), path, "")
        for key, spec in _tables(data, "categories", path).items():
            where = f"categories.{key}"
            if key not in categories:
                raise RuleDataError(f"{path}: {where}: not a category of categories.toml")
            _check_keys(spec, ("terms", "ambiguous", "contextual", "modifiers"), path, where)
            _append(categories[key]["modifiers"], spec.get("modifiers", []), path, f"{where}.modifiers")
            for name in ("terms", "ambiguous"):
                _append(categories[key][name], spec.get(name, []), path, f"{where}.{name}")
                by_language.setdefault(path.stem, {}).setdefault(key, {}).setdefault(name, []).extend(
                    spec.get(name, []))
            contextual = spec.get("contextual", [])
            if not isinstance(contextual, list):
                raise RuleDataError(f"{path}: {where}.contextual: expected a list of {{ term = ..., owners = [...] }}")
            for i, item in enumerate(contextual):
                at = f"{where}.contextual[{i}]"
                _check_keys(item, ("term", "owners", "category"), path, at)
                _append([], [item.get("term")], path, f"{at}.term")
                _append([], item.get("owners"), path, f"{at}.owners")
                if item.get("category", key) not in categories:
                    raise RuleDataError(f"{path}: {at}.category: not a category of categories.toml")
            categories[key]["contextual"].extend(contextual)
        ctx = _tables(data, "context", path)
        _check_keys(ctx, _CONTEXT_LISTS, path, "context")
        for name, words in ctx.items():
            _append(context[name], words, path, f"context.{name}")
            if name in _OWNER_KINDS:
                owners_by_language.setdefault(path.stem, {}).setdefault(_OWNER_KINDS[name], {}).setdefault(
                    "terms", []).extend(words)
        for key, words in _tables(data, "labels", path).items():
            if key not in categories:
                raise RuleDataError(f"{path}: labels.{key}: not a category of categories.toml")
            _append(labels.setdefault(key, []), words, path, f"labels.{key}")
        for key, words in _tables(data, "purpose", path).items():
            if key not in categories:
                raise RuleDataError(f"{path}: purpose.{key}: not a category of categories.toml")
            _append(purpose.setdefault(key, []), words, path, f"purpose.{key}")
            purpose_by_language.setdefault(path.stem, {}).setdefault(key, {}).setdefault("terms", []).extend(words)
        norm = _tables(data, "normalise", path)
        _check_keys(norm, ("neutral_suffixes",), path, "normalise")
        _append(suffixes, norm.get("neutral_suffixes", []), path, "normalise.neutral_suffixes")
    return {"categories": categories, "context": context, "labels": labels,
            "normalise": {"neutral_suffixes": suffixes}, "languages": by_language,
            "owner_languages": owners_by_language, "purpose": purpose, "purpose_languages": purpose_by_language}


def _tables(data: dict, name: str, path: Path) -> dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise RuleDataError(f"{path}: {name}: expected a table")
    return value


def _check_keys(table, allowed, path: Path, where: str) -> None:
    if not isinstance(table, dict):
        raise RuleDataError(f"{path}: {where}: expected a table")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise RuleDataError(f"{path}: {where + ': ' if where else ''}unknown key {unknown[0]!r}")


def _append(target: list[str], words, path: Path, where: str) -> None:
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise RuleDataError(f"{path}: {where}: expected a list of strings")
    seen = set(target)
    target.extend(w for w in dict.fromkeys(words) if w not in seen)
