"""Configuration: `[tool.gdpr-lint]` in pyproject.toml, or a `gdpr-lint.toml` /
`.gdpr-lint.toml`. The closest config to a file wins; `extend = "../pyproject.toml"`
inherits from another config. Keys follow Ruff's names. An unknown key or a value
of the wrong type is a ConfigError naming the file and the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gdpr_lint.config.ruledata import RuleDataError, load_toml
from gdpr_lint.checks.rules import DEFAULT_SELECT, expand_selector

CONFIG_FILES = ("gdpr-lint.toml", ".gdpr-lint.toml", "pyproject.toml")

# Which files a folder walk picks up (Ruff's `include`): Python files and Jupyter notebooks.
DEFAULT_INCLUDE = ("*.py", "*.ipynb")

DEFAULT_EXCLUDE = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".mypy_cache", ".nox",
    ".pants.d", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__",
    "_build", "buck-out", "build", "dist", "node_modules", "site-packages", "venv",
    ".gdpr_lint_cache", "__pycache__", ".pytest_cache",
)


class ConfigError(Exception):
    """Bad configuration; the message names the file and the key."""


@dataclass(frozen=True)
class Sink:
    """A project function that sends its arguments to OpenAI (an internal wrapper)."""

    function: str  # qualified name, e.g. "app.llm.ask" (or a bare function name)
    content: tuple[str, ...] = ()  # parameter names carrying content; empty = every argument
    identity: tuple[str, ...] = ()


@dataclass(frozen=True)
class MapInfo:
    """`[tool.gdpr-lint.map]`: what the data map says beyond the code (docs/map.md)."""

    project: str | None = None  # the name the map gives the project (default: pyproject's, or the folder's)
    purpose: str | None = None  # purpose of the processing (Art. 30(1)(b))
    legal_basis: str | None = None  # Art. 6 (and Art. 9(2)) basis
    retention: str | None = None  # how long the controller keeps the data (Art. 30(1)(f))
    zero_data_retention: bool = False  # an approved Zero Data Retention agreement with OpenAI
    provider_retention: str | None = None  # the project's own statement of what the provider keeps
    provider_retention_checked: str | None = None  # when that statement was checked


MAP_KEYS = {"project": "project", "purpose": "purpose", "legal-basis": "legal_basis", "retention": "retention",
            "zero-data-retention": "zero_data_retention", "provider-retention": "provider_retention",
            "provider-retention-checked": "provider_retention_checked"}


def _map_info(base: MapInfo, table: Any, where: str) -> MapInfo:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table [tool.gdpr-lint.map]")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in MAP_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (expected one of {', '.join(sorted(MAP_KEYS))})")
        if key == "zero-data-retention":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}.{key}: expected true or false")
        elif not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}.{key}: expected a non-empty string")
        values[MAP_KEYS[key]] = value.strip() if isinstance(value, str) else value
    return replace(base, **values)


@dataclass(frozen=True)
class Settings:
    path: Path | None = None  # the config file these came from
    root: Path | None = None  # the folder the config lives in (import resolution root)
    select: tuple[str, ...] = DEFAULT_SELECT
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    include: tuple[str, ...] = DEFAULT_INCLUDE
    extend_include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    # "needed": only files that may hold or feed a request are parsed (a syntax error in
    # one of them fails the run); "all": every file is compiled, so any syntax error fails it
    syntax_check: str = "needed"
    personal_data: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sanitizers: tuple[str, ...] = ()
    sinks: tuple[Sink, ...] = ()
    eu_base_urls: tuple[str, ...] = ()
    src: tuple[str, ...] = ()
    # extra vocabulary files (`extend-rules`), validated: ((file, ((category, spec), ...)), ...)
    extend_rules: tuple[tuple[str, tuple[tuple[str, "RuleCategory"], ...]], ...] = ()
    map_info: MapInfo = MapInfo()  # [tool.gdpr-lint.map]: not part of the analysis (not in the fingerprint)

    def enabled_codes(self) -> frozenset[str]:
        return frozenset(c for c in self.select if c not in self.ignore)

    def fingerprint(self) -> str:
        """A stable text of everything that changes analysis results (for the cache)."""
        return repr((self.select, self.ignore, self.per_file_ignores, self.personal_data,
                     self.sanitizers, self.sinks, self.eu_base_urls, self.src, self.extend_rules))


_KEYS = {
    "extend", "select", "ignore", "extend-select", "extend-ignore", "per-file-ignores", "exclude",
    "extend-exclude", "include", "extend-include", "respect-gitignore", "personal-data", "sanitizers", "sinks",
    "eu-base-urls", "src", "extend-rules", "syntax-check", "map",
}
SYNTAX_CHECK_MODES = ("needed", "all")


@dataclass(frozen=True)
class RuleCategory:
    """One `[categories.KEY]` table of a personal-data vocabulary file (an `extend-rules` file)."""

    label: str | None = None
    special: bool | None = None
    direct_identifier: bool | None = None
    content: bool | None = None
    terms: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    contextual: tuple[tuple[str, tuple[str, ...], str | None], ...] = ()  # (term, owners, category)

    def as_toml_table(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in ("label", "special", "direct_identifier", "content")
                               if getattr(self, k) is not None}
        out["terms"] = list(self.terms)
        out["ambiguous"] = list(self.ambiguous)
        out["contextual"] = [{"term": t, "owners": list(o), **({"category": c} if c else {})}
                             for t, o, c in self.contextual]
        return out


_CATEGORY_KEYS = {"label", "special", "direct_identifier", "content", "terms", "ambiguous", "contextual"}


def parse_rule_categories(data: Any, where: str) -> tuple[tuple[str, RuleCategory], ...]:
    """Validate a personal-data vocabulary file: only `[categories.KEY]` tables with the keys
    of rules/personal_data/ (the flags of categories.toml, the word lists of the language
    files). `where` names the file in error messages."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a TOML document")
    unknown = set(data) - {"categories"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (expected [categories.NAME] tables)")
    cats = data.get("categories", {})
    if not isinstance(cats, dict):
        raise ConfigError(f"{where}: categories: expected tables [categories.NAME]")
    out = []
    for key, spec in cats.items():
        at = f"{where}: categories.{key}"
        if not isinstance(spec, dict):
            raise ConfigError(f"{at}: expected a table")
        bad = set(spec) - _CATEGORY_KEYS
        if bad:
            raise ConfigError(f"{at}: unknown key {sorted(bad)[0]!r}")
        if "label" in spec and not isinstance(spec["label"], str):
            raise ConfigError(f"{at}.label: expected a string")
        for flag in ("special", "direct_identifier", "content"):
            if flag in spec and not isinstance(spec[flag], bool):
                raise ConfigError(f"{at}.{flag}: expected true or false")
        terms = _strings(spec.get("terms", []), f"{at}.terms")
        ambiguous = _strings(spec.get("ambiguous", []), f"{at}.ambiguous")
        for name, words in (("terms", terms), ("ambiguous", ambiguous)):
            for w in words:
                if not w.strip():
                    raise ConfigError(f"{at}.{name}: empty term")
        contextual = []
        raw = spec.get("contextual", [])
        if not isinstance(raw, list):
            raise ConfigError(f"{at}.contextual: expected a list of {{ term = ..., owners = [...] }}")
        for i, item in enumerate(raw):
            ci = f"{at}.contextual[{i}]"
            if not isinstance(item, dict):
                raise ConfigError(f"{ci}: expected {{ term = ..., owners = [...] }}")
            bad = set(item) - {"term", "owners", "category"}
            if bad:
                raise ConfigError(f"{ci}: unknown key {sorted(bad)[0]!r}")
            if not isinstance(item.get("term"), str) or not item["term"].strip():
                raise ConfigError(f"{ci}.term: expected a non-empty string")
            owners = _strings(item.get("owners"), f"{ci}.owners")
            if "category" in item and not isinstance(item["category"], str):
                raise ConfigError(f"{ci}.category: expected a category name")
            contextual.append((item["term"], owners, item.get("category")))
        out.append((key, RuleCategory(spec.get("label"), spec.get("special"), spec.get("direct_identifier"),
                                      spec.get("content"), terms, ambiguous, tuple(contextual))))
    known = {k for k, _ in out}
    for key, cat in out:
        for term, _, target in cat.contextual:
            if target is not None and target not in known and target not in _builtin_categories():
                raise ConfigError(f"{where}: categories.{key}.contextual: {term!r} names unknown category {target!r}")
    return tuple(out)


def _builtin_categories() -> set[str]:
    return set(_builtin_category_specs())


def _extend_rules(value: Any, where: str, base: Path) -> tuple:
    files = _strings(value, where)
    out = []
    for i, name in enumerate(files):
        target = (base / os.path.expanduser(name)).resolve()
        at = f"{where}[{i}]"
        if not target.is_file():
            raise ConfigError(f"{at}: {name} does not exist or is not a file")
        try:
            data = load_toml(target)
        except RuleDataError as exc:
            raise ConfigError(f"{at}: {exc}") from None
        cats = parse_rule_categories(data, f"{at}: {target}")
        builtin = _builtin_category_specs()
        for key, cat in cats:
            for flag in ("special", "direct_identifier", "content"):
                have = bool(builtin[key].get(flag, flag == "content")) if key in builtin else None
                if have is not None and getattr(cat, flag) is not None and getattr(cat, flag) != have:
                    raise ConfigError(f"{at}: {target}: categories.{key}.{flag}: cannot change a built-in "
                                      f"category (add a new category instead)")
        out.append((str(target), cats))
    return tuple(out)


def _builtin_category_specs() -> dict[str, dict]:
    from gdpr_lint.config.ruledata import load_vocabulary_data

    return load_vocabulary_data()["categories"]


def merged_vocabulary_data(groups) -> dict:
    """The built-in vocabulary (rules/personal_data/) with the `extend-rules` categories added:
    terms of a known category are appended to it, new categories are added with their flags."""
    import copy

    from gdpr_lint.config.ruledata import load_vocabulary_data

    data = copy.deepcopy(load_vocabulary_data())
    cats = data.setdefault("categories", {})
    for group in groups:
        for key, cat in group:
            table = cat.as_toml_table()
            have = cats.get(key)
            if have is None:
                cats[key] = table
                continue
            for name in ("terms", "ambiguous", "contextual"):
                have[name] = list(have.get(name, [])) + table[name]
    return data


def _codes(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes")
    out: list[str] = []
    for sel in value:
        codes = expand_selector(sel)
        if not codes:
            raise ConfigError(f"{where}: unknown rule code or prefix {sel!r}")
        out.extend(codes)
    return tuple(dict.fromkeys(out))


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def _table_of(path: Path) -> dict[str, Any] | None:
    try:
        data = load_toml(path)
    except RuleDataError as exc:
        raise ConfigError(str(exc).replace("rule data", "config")) from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("gdpr-lint") if isinstance(tool, dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.gdpr-lint] must be a table")
        return table
    return data


def load_settings(path: Path, *, _seen: tuple[Path, ...] = ()) -> Settings:
    """Load one config file (following `extend`)."""
    path = path.resolve()
    if path in _seen:
        raise ConfigError(f"{path}: `extend` loops back to this file")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    table = _table_of(path)
    if table is None:
        if path.name == "pyproject.toml":
            raise ConfigError(f"{path}: no [tool.gdpr-lint] table")
        table = {}
    name = f"{path}"
    base = Settings()
    if "extend" in table:
        target = table["extend"]
        if not isinstance(target, str):
            raise ConfigError(f"{name}: extend: expected a path string")
        target_path = (path.parent / os.path.expanduser(target)).resolve()
        if not target_path.is_file():
            raise ConfigError(f"{name}: extend: {target} does not exist or is not a file")
        base = load_settings(target_path, _seen=(*_seen, path))
    return apply_table(base, table, name, path)


def apply_table(base: Settings, table: dict[str, Any], name: str, path: Path | None) -> Settings:
    for key in table:
        if key not in _KEYS:
            raise ConfigError(f"{name}: unknown key {key!r} in [tool.gdpr-lint]")
    s = replace(base, path=path, root=path.parent if path else base.root)
    if "select" in table:
        s = replace(s, select=_codes(table["select"], f"{name}: select"))
    if "extend-select" in table:
        s = replace(s, select=tuple(dict.fromkeys(s.select + _codes(table["extend-select"], f"{name}: extend-select"))))
    if "ignore" in table:
        s = replace(s, ignore=_codes(table["ignore"], f"{name}: ignore"))
    if "extend-ignore" in table:
        s = replace(s, ignore=tuple(dict.fromkeys(s.ignore + _codes(table["extend-ignore"], f"{name}: extend-ignore"))))
    if "per-file-ignores" in table:
        pfi = table["per-file-ignores"]
        if not isinstance(pfi, dict):
            raise ConfigError(f"{name}: per-file-ignores: expected a table of glob = [codes]")
        s = replace(s, per_file_ignores=tuple(
            (glob, _codes(codes, f"{name}: per-file-ignores.{glob}")) for glob, codes in pfi.items()
        ))
    if "include" in table:
        s = replace(s, include=_strings(table["include"], f"{name}: include"))
    if "extend-include" in table:
        s = replace(s, extend_include=s.extend_include + _strings(table["extend-include"], f"{name}: extend-include"))
    if "exclude" in table:
        s = replace(s, exclude=_strings(table["exclude"], f"{name}: exclude"))
    if "extend-exclude" in table:
        s = replace(s, extend_exclude=s.extend_exclude + _strings(table["extend-exclude"], f"{name}: extend-exclude"))
    if "respect-gitignore" in table:
        if not isinstance(table["respect-gitignore"], bool):
            raise ConfigError(f"{name}: respect-gitignore: expected true or false")
        s = replace(s, respect_gitignore=table["respect-gitignore"])
    if "syntax-check" in table:
        if table["syntax-check"] not in SYNTAX_CHECK_MODES:
            raise ConfigError(f"{name}: syntax-check: expected \"needed\" or \"all\", got {table['syntax-check']!r}")
        s = replace(s, syntax_check=table["syntax-check"])
    if "personal-data" in table:
        pd = table["personal-data"]
        if not isinstance(pd, dict):
            raise ConfigError(f"{name}: personal-data: expected a table of category = [terms]")
        s = replace(s, personal_data=s.personal_data + tuple(
            (cat, _strings(terms, f"{name}: personal-data.{cat}")) for cat, terms in pd.items()
        ))
    if "sanitizers" in table:
        s = replace(s, sanitizers=s.sanitizers + _strings(table["sanitizers"], f"{name}: sanitizers"))
    if "eu-base-urls" in table:
        s = replace(s, eu_base_urls=_strings(table["eu-base-urls"], f"{name}: eu-base-urls"))
    if "src" in table:
        s = replace(s, src=_strings(table["src"], f"{name}: src"))
    if "extend-rules" in table:
        base_dir = path.parent if path is not None else Path.cwd()
        s = replace(s, extend_rules=s.extend_rules + _extend_rules(table["extend-rules"], f"{name}: extend-rules",
                                                                   base_dir))
    if "map" in table:
        s = replace(s, map_info=_map_info(s.map_info, table["map"], f"{name}: map"))
    if "sinks" in table:
        sinks = []
        raw = table["sinks"]
        if not isinstance(raw, list):
            raise ConfigError(f"{name}: sinks: expected a list")
        for i, item in enumerate(raw):
            where = f"{name}: sinks[{i}]"
            if isinstance(item, str):
                sinks.append(Sink(item))
            elif isinstance(item, dict):
                unknown = set(item) - {"function", "content", "identity"}
                if unknown:
                    raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
                if not isinstance(item.get("function"), str):
                    raise ConfigError(f"{where}: function: expected a string")
                # `content` left out: every argument carries content (as with the string form);
                # an empty list would say "no argument", which is no wrapper around OpenAI
                content = _strings(item.get("content", []), f"{where}.content")
                if "content" in item and not content:
                    raise ConfigError(f"{where}.content: empty list (leave `content` out to count every argument "
                                      f"as content, or name the parameters that carry it)")
                sinks.append(Sink(item["function"], content, _strings(item.get("identity", []), f"{where}.identity")))
            else:
                raise ConfigError(f"{where}: expected a string or a table")
        s = replace(s, sinks=s.sinks + tuple(sinks))
    return s


def has_config(directory: Path) -> Path | None:
    for fname in CONFIG_FILES:
        candidate = directory / fname
        if candidate.is_file():
            if fname != "pyproject.toml":
                return candidate
            try:
                if _table_of(candidate) is not None:
                    return candidate
            except ConfigError:
                raise
    return None


class ConfigResolver:
    """Finds the settings for each file: the closest config wins (Ruff's model)."""

    def __init__(self, *, config_file: Path | None = None, isolated: bool = False,
                 overrides: dict[str, Any] | None = None, cwd: Path | None = None) -> None:
        self.cwd = (cwd or Path.cwd()).resolve()
        self.overrides = overrides or {}
        self._by_dir: dict[Path, Settings] = {}
        self._by_given_dir: dict[Path, Settings] = {}  # folder as given -> its settings
        self.fixed: Settings | None = None
        if isolated:
            self.fixed = self._override(replace(Settings(), root=self.cwd))
        elif config_file is not None:
            self.fixed = self._override(load_settings(config_file))

    def _override(self, s: Settings) -> Settings:
        if not self.overrides:
            return s
        overrides = self._relative_to(s.root or self.cwd)
        return apply_table(s, overrides, "command line", s.path) if s.path else replace(
            apply_table(s, overrides, "command line", None), root=s.root)

    def _relative_to(self, root: Path) -> dict[str, Any]:
        """The overrides for a config in `root`: `--exclude` / `--extend-exclude` patterns with
        a '/' are relative to the working directory, a config's to its folder."""
        out = dict(self.overrides)
        for key in ("exclude", "extend-exclude"):
            if key not in out or not isinstance(out[key], list):
                continue
            patterns = []
            for pattern in out[key]:
                if "/" in pattern.rstrip("/") and not os.path.isabs(pattern):
                    full = os.path.normpath(os.path.join(self.cwd, pattern))
                    rel = os.path.relpath(full, root)
                    pattern = full if rel == ".." or rel.startswith(".." + os.sep) else rel.replace(os.sep, "/")
                patterns.append(pattern)
            out[key] = patterns
        return out

    def for_path(self, path: Path) -> Settings:
        return self.for_folder(path if path.is_dir() else path.parent)

    def for_folder(self, directory: Path) -> Settings:
        if self.fixed is not None:
            return self.fixed
        hit = self._by_given_dir.get(directory)
        if hit is None:  # resolving costs a system call per path component: once per folder
            hit = self._by_given_dir[directory] = self._for_dir(directory.resolve())
        return hit

    def _for_dir(self, directory: Path) -> Settings:
        hit = self._by_dir.get(directory)
        if hit is not None:
            return hit
        found = has_config(directory)
        if found is not None:
            settings = self._override(load_settings(found))
        elif directory.parent == directory:
            settings = self._override(replace(Settings(), root=self.cwd))
        else:
            settings = self._for_dir(directory.parent)
        self._by_dir[directory] = settings
        return settings
