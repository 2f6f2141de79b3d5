"""Shared test helpers: run the installed `gdpr-lint` CLI on small realistic projects."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _cli() -> list[str]:
    exe = shutil.which("gdpr-lint", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    return [exe] if exe else [sys.executable, "-m", "gdpr_lint"]


def run_cli(*args: str, cwd: Path, input: bytes | None = None) -> subprocess.CompletedProcess:
    """Run the installed CLI as a user would (a separate process)."""
    return subprocess.run([*_cli(), *args], cwd=cwd, capture_output=True, input=input, timeout=120)


@pytest.fixture
def write(tmp_path: Path):
    """write({"app/views.py": "...source..."}) -> tmp_path, with dedented sources."""

    def _write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return _write


def check_json(root: Path, *args: str) -> list[dict]:
    proc = run_cli("check", ".", "--output-format", "json", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return json.loads(proc.stdout)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst
