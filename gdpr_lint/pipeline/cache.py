"""Result cache: one entry per analysis unit, in `.gdpr_lint_cache/` (which ignores
itself in git). The key is the entry file's content hash, the tool version, the
rule data, the settings and the helper names the unit was analysed with; the entry
also records the hash of every file the unit read (and where it looked for modules
that did not exist), and is used only while all of them are unchanged. So editing
an imported prompt builder invalidates the files that import it. Content hashes,
not modification times: CI checkouts have fresh mtimes.
"""

from __future__ import annotations

import os
import pickle
import sys
from functools import lru_cache
from pathlib import Path
from typing import Callable

from gdpr_lint import __version__
from gdpr_lint.config.ruledata import rules_dir

CACHE_DIR_NAME = ".gdpr_lint_cache"
FORMAT = 1
# Files are parsed with the running Python's grammar: a file in Python 3.12 syntax fails under
# 3.11 and parses under 3.12, so results are kept per Python version (and interpreter, whose
# path the message of such a failure names).
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}:{sys.executable}"


@lru_cache(maxsize=None)
def rules_fingerprint() -> str:
    import hashlib  # (in the functions: OpenSSL takes milliseconds to load; code without OpenAI use never hashes)

    h = hashlib.sha256()
    base = rules_dir()
    for p in sorted(base.rglob("*.toml")):  # with the vocabulary's folder (personal_data/*.toml)
        h.update(p.relative_to(base).as_posix().encode())
        h.update(p.read_bytes())
    # the analysis code itself: a development checkout changes without a version bump
    pkg = Path(__file__).resolve().parent.parent
    for p in sorted(pkg.rglob("*.py")):
        if "runtime" in p.relative_to(pkg).parts:
            continue  # the runtime does not take part in the analysis
        h.update(str(p.relative_to(pkg)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


class Cache:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0
        # places a module was looked for in vain: the same hundreds recur in every entry's
        # answer (each unit probes the same imports), so each is looked at once per run
        self._exists: dict[str, bool] = {}

    @property
    def enabled(self) -> bool:
        return self.directory is not None

    def key(self, entry: Path, entry_hash: str, settings_fp: str, words: frozenset[str]) -> str:
        import hashlib

        h = hashlib.sha256()
        for part in (str(FORMAT), __version__, PYTHON, rules_fingerprint(), settings_fp, str(entry), entry_hash,
                     ",".join(sorted(words))):
            h.update(part.encode("utf-8", "surrogateescape"))  # file names need not be UTF-8
            h.update(b"\0")
        return h.hexdigest()

    def get(self, key: str, current_hash: Callable[[str], str | None]):
        if self.directory is None:
            return None
        path = self.directory / key[:2] / key
        try:
            with open(path, "rb") as fh:
                stored = pickle.load(fh)
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # noqa: BLE001 - a corrupt entry is a miss, never an error
            self.misses += 1
            return None
        for dep, digest in stored.deps.items():
            if digest == "missing":
                exists = self._exists.get(dep)
                if exists is None:
                    exists = self._exists[dep] = os.path.exists(dep)
                if exists:
                    self.misses += 1
                    return None
            elif current_hash(dep) != digest:
                self.misses += 1
                return None
        self.hits += 1
        return stored

    def put(self, key: str, result) -> None:
        if self.directory is None:
            return
        target_dir = self.directory / key[:2]
        try:
            self._ensure_root()
            target_dir.mkdir(parents=True, exist_ok=True)
            import tempfile  # (a run without the cache never writes)

            fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target_dir / key)
        except OSError:
            return  # a read-only checkout still gets its answer, just not cached

    def syntax_verdicts(self) -> dict[str, str]:
        """content hash -> '' (parses) or the reason it does not; one file for all."""
        if self.directory is None:
            return {}
        try:
            with open(self.directory / "syntax.pickle", "rb") as fh:
                stored = pickle.load(fh)
            if isinstance(stored, dict) and stored.get("version") == (FORMAT, __version__, PYTHON):
                return dict(stored["verdicts"])
        except Exception:  # noqa: BLE001 - missing or corrupt: start afresh
            pass
        return {}

    def save_syntax_verdicts(self, verdicts: dict[str, str]) -> None:
        if self.directory is None:
            return
        try:
            self._ensure_root()
            import tempfile

            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"version": (FORMAT, __version__, PYTHON), "verdicts": verdicts}, fh)
            os.replace(tmp, self.directory / "syntax.pickle")
        except OSError:
            return

    def _ensure_root(self) -> None:
        assert self.directory is not None
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / ".gitignore").write_text("# created by gdpr-lint\n*\n", encoding="utf-8")
            (self.directory / "CACHEDIR.TAG").write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n# gdpr-lint result cache\n", encoding="utf-8")
