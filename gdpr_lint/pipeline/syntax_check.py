"""`syntax-check = "all"`: compile the files the analysis does not need.

A file that cannot hold or feed a request is never analysed; by default it is not
parsed either. Under "all" it is still compiled, so a file that does not parse
fails the run. On many files the check runs in forked child processes that start
before the analysis and work while it runs, so on code without OpenAI use the run
costs about one parse of the repository spread over the cores. Each child reports
file by file through a pipe, so a parser that crashes or hangs on one file (native
code no signal can interrupt) is named, killed after the time limit, and the rest
of its files are checked by a fresh child. Verdicts are cached by content hash.
"""

from __future__ import annotations

import os
import select
import signal
import struct
import time
from pathlib import Path

from gdpr_lint.config.environment import number
from gdpr_lint.pipeline.cache import Cache
from gdpr_lint.model import FileError
from gdpr_lint.pipeline.source import SourceError, sha256, text_source, verify_source

# Same bound as an analysis unit's: a file that takes longer to compile is reported.
TIME_LIMIT = number("GDPR_LINT_UNIT_TIMEOUT", 60)
MIN_FILES_PER_CHILD = 32  # below this a fork costs more than it saves
BIG_FILE_BYTES = 1_000_000  # a file this large is compiled in a child even in a small run

_START, _DONE = 0, 1
_HEADER = struct.Struct("<BId I")  # record kind, file index, monotonic time, message length


def time_limit(display: str) -> float:
    """How long compiling one file may take (the same for every file; the tests give one
    file a short limit, so the others keep the whole one however slow the machine is)."""
    return TIME_LIMIT


def syntax_message(path: Path, display: str, data: bytes) -> str:
    """'' when the file compiles, else why not (one line)."""
    try:
        verify_source(text_source(path, display, data))
        return ""
    except SourceError as exc:
        return str(exc)


class SyntaxCheck:
    """Started with every file that may need checking; `errors()` is called once the
    analysis knows which files it analysed itself (those are left out)."""

    def __init__(self, files: dict[Path, tuple[str, bytes]], cache: Cache, jobs: int) -> None:
        self._cache = cache
        self._verdicts = cache.syntax_verdicts()
        self._known: dict[Path, tuple[str, str]] = {}  # path -> (display, cached verdict)
        self._todo: list[tuple[Path, str, bytes, str]] = []
        for path, (display, data) in files.items():
            digest = sha256(data)
            verdict = self._verdicts.get(digest)
            if verdict is None:
                self._todo.append((path, display, data, digest))
            else:
                self._known[path] = (display, verdict)
        self._children: list[_Child] = []
        children = min(jobs, len(self._todo) // MIN_FILES_PER_CHILD) if jobs > 1 else 0
        if not children and any(len(item[2]) > BIG_FILE_BYTES for item in self._todo):
            children = 1  # a parse that might hang runs where it can be stopped
        if children and hasattr(os, "fork"):
            for part in _balanced(self._todo, children):
                self._children.append(_Child.start(part))
            self._todo = []

    def errors(self, analysed: set[Path]) -> list[FileError]:
        found: dict[Path, tuple[str, str]] = dict(self._known)  # path -> (display, message)
        for child in self._children:
            for (path, display, _data, digest), message, cacheable in child.collect():
                if cacheable:
                    self._verdicts[digest] = message
                found[path] = (display, message)
        self._children = []
        for path, display, data, digest in self._todo:
            if path in analysed:
                continue  # the analysis parsed it and reported what it found
            message = syntax_message(path, display, data)
            self._verdicts[digest] = message
            found[path] = (display, message)
        if len(found) > len(self._known):
            self._cache.save_syntax_verdicts(self._verdicts)
        out = []
        for path, (display, message) in found.items():
            if message and path not in analysed:
                out.append(FileError(display, message))
        return out

    def close(self) -> None:
        """Stop the children (an interrupted run)."""
        for child in self._children:
            child.kill()
        self._children = []


def _balanced(items: list, parts: int) -> list[list]:
    """Split into `parts` lists of about equal total size (largest first, greedily)."""
    bins: list[list] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for item in sorted(items, key=lambda i: len(i[2]), reverse=True):
        k = sizes.index(min(sizes))
        bins[k].append(item)
        sizes[k] += len(item[2])
    return [b for b in bins if b]


class _Child:
    """One forked process compiling a list of files, reporting each through a pipe."""

    def __init__(self, items: list, pid: int, fd: int) -> None:
        self.items, self.pid, self.fd = items, pid, fd
        self.buffer = b""

    @classmethod
    def start(cls, items: list) -> _Child:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (its results are what the tests see)
            status = 0
            try:
                os.close(r)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                for i, (path, display, data, _digest) in enumerate(items):
                    _write(w, _START, i, b"")
                    _write(w, _DONE, i, syntax_message(path, display, data).encode("utf-8", "replace"))
            except BaseException:  # noqa: BLE001 - the parent sees the missing records
                status = 1
            finally:
                os._exit(status)
        os.close(w)
        return cls(items, pid, r)

    def collect(self) -> list[tuple[tuple, str, bool]]:
        """(item, message, cacheable) for every item; waits for the child, with a time
        limit per file. A file the child died or hung on is reported as such, and the
        files after it are given to a fresh child."""
        results: dict[int, str] = {}
        started: tuple[int, float] | None = None  # the file being compiled, since when
        failed: tuple[int, str] | None = None
        last_read = time.monotonic()
        while True:
            # a child that filled the pipe waits for this reader: its clock restarts at each read
            limit = TIME_LIMIT if started is None else time_limit(self.items[started[0]][1])
            timeout = None if started is None else max(0.0, max(started[1], last_read) + limit - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready and started is not None:  # no progress within the time limit: kill it, name the file
                failed = (started[0], f"compiling stopped after the {limit:g} s time limit")
                self._stop()
                break
            chunk = os.read(self.fd, 65536)
            last_read = time.monotonic()
            if not chunk:
                break
            self.buffer += chunk
            for kind, index, stamp, message in self._records():
                if kind == _START:
                    started = (index, stamp)  # the child's clock: CLOCK_MONOTONIC is system-wide
                else:
                    results[index] = message
                    started = None
        os.close(self.fd)
        self.fd = -1
        _, status = os.waitpid(self.pid, 0) if self.pid else (0, 0)
        self.pid = 0
        if failed is None and len(results) < len(self.items):
            index = started[0] if started is not None else len(results)
            if os.WIFSIGNALED(status):
                why = f"the parser crashed on this file (signal {os.WTERMSIG(status)})"
            else:
                why = f"the syntax check failed on this file (exit status {os.waitstatus_to_exitcode(status)})"
            failed = (index, why)
        out = [(self.items[i], results[i], True) for i in sorted(results)]
        if failed is not None:
            index, why = failed
            out.append((self.items[index], why, False))  # not cached: may pass on a quieter machine
            rest = [item for i, item in enumerate(self.items) if i not in results and i != index]
            if rest:
                out.extend(_Child.start(rest).collect())
        return out

    def _records(self):
        while len(self.buffer) >= _HEADER.size:
            kind, index, stamp, length = _HEADER.unpack_from(self.buffer)
            end = _HEADER.size + length
            if len(self.buffer) < end:
                return
            message = self.buffer[_HEADER.size:end].decode("utf-8", "replace")
            self.buffer = self.buffer[end:]
            yield kind, index, stamp, message

    def _stop(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = 0

    def kill(self) -> None:
        self._stop()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _write(fd: int, kind: int, index: int, message: bytes) -> None:
    data = _HEADER.pack(kind, index, time.monotonic(), len(message)) + message
    while data:
        data = data[os.write(fd, data):]
