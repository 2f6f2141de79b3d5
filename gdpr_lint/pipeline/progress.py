"""The progress line on a terminal: `gdpr-lint: analysed 120/240 files`, rewritten in
place once a run has taken longer than a second, and wiped before the report is
printed. The CLI only uses it when stderr is a terminal and `-q` is not given."""

from __future__ import annotations

import time
from typing import Callable

from gdpr_lint.config.environment import number


def progress_after() -> float:
    """Seconds before the line appears (GDPR_LINT_PROGRESS_AFTER; 1 by default)."""
    return max(0.0, number("GDPR_LINT_PROGRESS_AFTER", 1))


class ProgressLine:
    def __init__(self, write: Callable[[str], None], *, after: float = 1.0, every: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._write, self._after, self._every, self._clock = write, after, every, clock
        self._start = clock()
        self._last: float | None = None
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if now - self._start < self._after:
            return  # a short run says nothing
        if self._last is not None and now - self._last < self._every and done < total:
            return  # a terminal does not need more than ten updates a second
        self._last = now
        self._shown = True
        self._write(f"\r\x1b[Kgdpr-lint: analysed {done}/{total} files")

    def finish(self) -> None:
        """Wipe the line, so the report starts on a clean one."""
        if self._shown:
            self._write("\r\x1b[K")
            self._shown = False
