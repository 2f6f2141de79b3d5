"""pytest fixtures; the helpers they use live in helpers.py (import them from there)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import CORPUS, write_files


@pytest.fixture
def write(tmp_path: Path):
    """write({"app/views.py": "...source..."}) -> tmp_path, with dedented sources."""
    return lambda files: write_files(tmp_path, files)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    if not CORPUS.is_dir():
        pytest.skip("shared corpus not available")
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture
def one_project(monkeypatch):
    """Every unit of the run in one chunk, so one project analyses them in file order (a
    small run gets a fresh project per unit anyway, which would hide what one unit leaves
    behind for the next): a unit's answer must not depend on its neighbours."""
    from gdpr_lint.pipeline import units

    monkeypatch.setattr(units, "_chunks", lambda entries: [sorted(entries, key=lambda e: str(e[0]))])
