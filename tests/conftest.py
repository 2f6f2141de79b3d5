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
