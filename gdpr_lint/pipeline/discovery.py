"""Discover the files to analyse: walk the given paths, pick up what `include` /
`extend-include` name (Python files and Jupyter notebooks by default), skip
virtualenvs, build folders and site-packages, honour `exclude` / `extend-exclude`
and `.gitignore`. Paths that do not exist or cannot be listed become FileErrors
(fail closed), never silent skips; so does a file named explicitly that is neither
Python nor a notebook (`notes.txt`), unless `include` / `extend-include` names it.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gdpr_lint.config.settings import ConfigResolver, Settings
from gdpr_lint.model import FileError


def display_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory when inside it, always '/'-separated."""
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = str(path)
    if rel.startswith(".." + os.sep) or rel == "..":
        rel = str(path)
    return printable_path(rel.replace(os.sep, "/"))


def printable_path(text: str) -> str:
    """A name that is not valid UTF-8 (or holds control characters) is shown escaped,
    so reports stay printable and one line per file: b"bad\xffname.py" -> bad\xffname.py."""
    if text.isprintable():  # also False for the surrogates that stand for undecodable bytes
        return text
    return "".join(_escape_char(c) for c in text)


def _escape_char(c: str) -> str:
    if "\udc80" <= c <= "\udcff":  # an undecodable byte kept by the file system encoding
        return f"\\x{ord(c) - 0xDC00:02x}"
    if c.isprintable():
        return c
    return c.encode("unicode_escape").decode("ascii")


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Translate a gitignore-style glob (with `**`) into a regex on '/'-paths."""
    i, out = 0, []
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern[i:i + 3] == "**/":
                out.append("(?:.*/)?")
                i += 3
                continue
            if pattern[i:i + 2] == "**":
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                out.append("[" + pattern[i + 1:j].replace("\\", "\\\\") + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class _IgnoreRule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    anchored: bool


class GitIgnore:
    """The rules of one .gitignore file, relative to its folder."""

    def __init__(self, base: Path, lines: list[str]) -> None:
        self.base = base
        self.rules: list[_IgnoreRule] = []
        for raw in lines:
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip() or line.startswith("#"):
                continue
            line = line.rstrip(" ") if not line.endswith("\\ ") else line
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            if line.startswith("\\"):
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = "/" in line
            line = line.lstrip("/")
            if not line:
                continue
            self.rules.append(_IgnoreRule(_glob_to_regex(line), negate, dir_only, anchored))

    def match(self, path: Path, is_dir: bool) -> bool | None:
        """True ignored, False re-included, None no opinion."""
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            return None
        verdict = None
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            target = rel if rule.anchored else rel.rsplit("/", 1)[-1]
            if rule.regex.match(target):
                verdict = not rule.negate
        return verdict


def _matches_any(path: Path, root: Path, patterns: tuple[str, ...]) -> bool:
    """Whether an `exclude` pattern matches: one without '/' the name, one with '/' the path
    relative to the config's folder (or anything below it)."""
    by_name, by_path = _exclude_matchers(patterns)
    if by_name is not None and by_name.match(os.path.normcase(path.name)):
        return True
    if by_path is None:
        return False
    text, base = str(path), str(root).rstrip(os.sep) + os.sep
    rel = text[len(base):] if text.startswith(base) else ("." if text == str(root) else text)
    return by_path.match(os.path.normcase(rel.replace(os.sep, "/"))) is not None


@lru_cache(maxsize=64)
def _exclude_matchers(patterns: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The patterns as two regular expressions (fnmatch semantics), compiled once per run."""
    names = [os.path.normcase(p.rstrip("/")) for p in patterns if "/" not in p.rstrip("/")]
    paths = [os.path.normcase(p.rstrip("/")) for p in patterns if "/" in p.rstrip("/")]
    by_name = re.compile("|".join(fnmatch.translate(p) for p in names)) if names else None
    by_path = re.compile("|".join(fnmatch.translate(p) + "|" + fnmatch.translate(p + "/*") for p in paths)) \
        if paths else None
    return by_name, by_path


# Files named explicitly are read as Python when they have one of these suffixes or
# none (`bin/manage`), as a notebook when they end in .ipynb; any other suffix is an
# error unless `include` / `extend-include` names the file.
PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")


def included(path: Path, root: Path, settings: Settings) -> bool:
    """Whether `include` / `extend-include` pick up this file in a folder walk."""
    return _matches_any(path, root, settings.include + settings.extend_include)


class Discovery:
    def __init__(self, resolver: ConfigResolver, *, force_exclude: bool = False) -> None:
        self.resolver = resolver
        self.force_exclude = force_exclude
        self.explicit: set[Path] = set()  # files named on the command line (not found in a folder)
        # What the folder walks covered (`unwalked_module_names`): the folders walked from
        # (resolved), and what they left out inside them (excluded, not included, unreadable,
        # a second link to a folder) as (resolved top, path below it, is a folder)
        self._walked: list[Path] = []
        self._left_out: list[tuple[Path, tuple[str, ...], bool]] = []
        self._gitignores: dict[Path, GitIgnore | None] = {}
        self._chains: dict[Path, tuple[GitIgnore, ...]] = {}

    def _gitignore(self, directory: Path) -> GitIgnore | None:
        if directory not in self._gitignores:
            gi = directory / ".gitignore"
            try:
                lines = gi.read_text(encoding="utf-8", errors="replace").splitlines() if gi.is_file() else None
            except OSError:
                lines = None
            self._gitignores[directory] = GitIgnore(directory, lines) if lines is not None else None
        return self._gitignores[directory]

    def _gitignores_above(self, directory: Path) -> tuple[GitIgnore, ...]:
        """The .gitignore files of `directory` and every folder above it, outermost first."""
        hit = self._chains.get(directory)
        if hit is None:
            parent = directory.parent
            outer = self._gitignores_above(parent) if parent != directory else ()
            own = self._gitignore(directory)
            hit = self._chains[directory] = outer + (own,) if own is not None else outer
        return hit

    def _git_ignored(self, path: Path, is_dir: bool) -> bool:
        verdict = None
        for gi in self._gitignores_above(path.parent):
            v = gi.match(path, is_dir)
            if v is not None:
                verdict = v
        return bool(verdict)

    def excluded(self, path: Path, settings: Settings, is_dir: bool) -> bool:
        root = settings.root or self.resolver.cwd
        if _matches_any(path, root, settings.exclude + settings.extend_exclude):
            return True
        if settings.respect_gitignore and self._git_ignored(path, is_dir):
            return True
        return False

    def _excluded_or_parent(self, path: Path, settings: Settings) -> bool:
        """For --force-exclude: the file or a folder above it (up to the config root) is excluded,
        as when the folder is walked (`migrations/0001.py` with `exclude = ["migrations"]`)."""
        if self.excluded(path, settings, False):
            return True
        root = settings.root or self.resolver.cwd
        for parent in path.parents:
            if parent == root or root not in parent.parents:
                break
            if self.excluded(parent, settings, True):
                return True
        return False

    def files(self, paths: list[Path]) -> tuple[list[Path], list[FileError]]:
        found: dict[Path, None] = {}
        errors: list[FileError] = []
        cwd = self.resolver.cwd
        for given in paths:
            path = Path(os.path.abspath(given))
            if not os.path.lexists(path):
                errors.append(FileError(display_path(path, cwd), "No such file or directory"))
                continue
            if not path.is_dir():  # a file, a broken link, a FIFO...: reading it reports the problem
                settings = self.resolver.for_path(path)
                if self.force_exclude and self._excluded_or_parent(path, settings):
                    continue
                suffix = path.suffix.lower()
                if suffix and suffix not in PYTHON_SUFFIXES + (".ipynb",) \
                        and not included(path, settings.root or cwd, settings):
                    errors.append(FileError(display_path(path, cwd),
                                            f"not a Python file or Jupyter notebook ({path.suffix}); add a pattern "
                                            f"to `extend-include` to analyse it as Python"))
                    continue
                found[path] = None
                self.explicit.add(path)
                continue
            self._walk(path, found, errors)
        return list(found), errors

    def unwalked_module_names(self, roots: list[Path]) -> frozenset[str] | None:
        """What an import can find under `roots` (resolved import roots) that the walks did
        not: an excluded `build/` or `venv/`, a `.py` file outside `include`, a second link
        to a folder. Returned as the names an import must spell to reach them (each such
        folder or file, one import step below a folder that was walked). None when a root
        is not inside a folder walked, or lies inside something left out: anything may be there."""
        names: set[str] = set()
        for root in roots:
            if not any(root == top or top in root.parents for top in self._walked):
                return None
            for top, below, is_dir in self._left_out:
                where = top.joinpath(*below)
                if where == root or where in root.parents:
                    return None
                if root not in where.parents:
                    continue
                parts = where.relative_to(root).parts
                leaf = parts[-1] if is_dir else parts[-1][:-3] if parts[-1].endswith(".py") else ""
                if leaf.isidentifier() and all(p.isidentifier() for p in parts[:-1]) \
                        and (not is_dir or _may_hold_modules(where)):
                    names.add(leaf)
        return frozenset(names)

    def _leave_out(self, top: Path, path: Path, is_dir: bool) -> None:
        self._left_out.append((self._walked[-1], path.relative_to(top).parts, is_dir))

    def _walk(self, top: Path, found: dict[Path, None], errors: list[FileError]) -> None:
        cwd = self.resolver.cwd
        seen_dirs: set[tuple[int, int]] = set()
        self._walked.append(top.resolve())
        stack = [top]
        while stack:
            directory = stack.pop()
            try:
                st = directory.stat()
            except OSError as exc:
                errors.append(FileError(display_path(directory, cwd), f"cannot access folder: {exc.strerror}"))
                self._leave_out(top, directory, True)
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                self._leave_out(top, directory, True)
                continue  # a symlink loop or a second link to a folder already walked
            seen_dirs.add(key)
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                errors.append(FileError(display_path(directory, cwd), f"cannot list folder: {exc.strerror}"))
                self._leave_out(top, directory, True)
                continue
            settings = self.resolver.for_folder(directory)
            subdirs = []
            for entry in entries:
                path = Path(entry.path)
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if self.excluded(path, settings, True):
                        self._leave_out(top, path, True)
                        continue
                    subdirs.append(path)
                elif included(path, settings.root or cwd, settings):
                    if self.excluded(path, settings, False):
                        self._leave_out(top, path, False)
                        continue
                    if entry.is_symlink() and not os.path.exists(entry.path):
                        errors.append(FileError(display_path(path, cwd), _dangling(entry.path)))
                        continue
                    found[path] = None
                elif entry.name.endswith(".py"):
                    self._leave_out(top, path, False)
            stack.extend(reversed(subdirs))


def _may_hold_modules(folder: Path) -> bool:
    """Whether a folder lists something an import can name (a `.py` module or a folder with
    an identifier's name): `dist/` with wheels in it cannot; one it cannot list may."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name[:-3] if entry.name.endswith(".py") else entry.name
                if name.isidentifier() and (name != entry.name or entry.is_dir()):
                    return True
    except OSError:
        return True
    return False


def _dangling(link: str) -> str:
    """Why a symbolic link leads nowhere: a loop, or a missing target."""
    try:
        os.stat(link)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
    return "broken symbolic link"
