"""The progress line: on a terminal only, never under -q or in a pipe, only once a run
has taken longer than a second, at most ten updates a second, and wiped before the
report is printed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import LEAKY, cli_command, write_files
from gdpr_lint.pipeline.progress import ProgressLine



class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_in_the_first_second_then_throttled_updates_and_a_wiped_line():
    clock, out = _Clock(), []
    line = ProgressLine(out.append, clock=clock)
    clock.now += 0.5
    line(1, 40)
    assert out == []  # a short run says nothing
    line.finish()
    assert out == []  # and has nothing to wipe
    clock.now += 0.6
    line(2, 40)
    clock.now += 0.05
    line(3, 40)  # too soon after the last update
    clock.now += 0.06
    line(4, 40)
    line(40, 40)  # the last one is always shown
    assert out == ["\r\x1b[Kgdpr-lint: analysed 2/40 files", "\r\x1b[Kgdpr-lint: analysed 4/40 files",
                   "\r\x1b[Kgdpr-lint: analysed 40/40 files"]
    line.finish()
    assert out[-1] == "\r\x1b[K"
    line.finish()
    assert out.count("\r\x1b[K") == 1


def _run_with_terminal_stderr(args: list[str], cwd, env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run the CLI with stderr on a pseudo-terminal (as in an interactive shell)."""
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.run([*cli_command(), *args], cwd=cwd, stdout=subprocess.PIPE, stderr=slave,
                              env={**os.environ, **env}, timeout=120)
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal is closed once everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.returncode, proc.stdout, b"".join(chunks)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_cli_shows_the_line_on_a_terminal_only(tmp_path):
    root = write_files(tmp_path, {"crm/__init__.py": "", "crm/followup.py": LEAKY})
    now = {"GDPR_LINT_PROGRESS_AFTER": "0"}  # every run counts as a long one
    code, out, err = _run_with_terminal_stderr(["check", "--no-cache", "."], root, now)
    assert code == 1 and b"crm/followup.py" in out
    assert b"gdpr-lint: analysed 1/1 files" in err
    assert err.rstrip(b"\r\n").endswith(b"\r\x1b[K")  # wiped before the report
    code, out, err = _run_with_terminal_stderr(["check", "--no-cache", "-q", "."], root, now)
    assert code == 1 and b"analysed" not in err
    # not a terminal (CI logs, pipes): never
    proc = subprocess.run([*cli_command(), "check", "--no-cache", "."], cwd=root, capture_output=True,
                          env={**os.environ, **now}, timeout=120)
    assert proc.returncode == 1 and b"analysed" not in proc.stderr
    # and the default waits a second: this run is shorter
    code, out, err = _run_with_terminal_stderr(["check", "--no-cache", "."], root, {"GDPR_LINT_PROGRESS_AFTER": "30"})
    assert code == 1 and b"analysed" not in err
