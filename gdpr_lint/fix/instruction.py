"""How the reader applies a fix, as the messages say it."""

from __future__ import annotations

import os


def fix_instruction(path: str = "") -> str:
    """`gdpr-lint check --fix [path]`. Under pre-commit (which sets PRE_COMMIT=1 for its
    hooks) gdpr-lint runs in pre-commit's own environment, so the `gdpr-lint` command may
    not be on the reader's PATH: point at the fix hook instead."""
    if os.environ.get("PRE_COMMIT") == "1":
        files = f" --files {path}" if path else ""
        return f"the `gdpr-lint-fix` pre-commit hook (`pre-commit run gdpr-lint-fix{files}`)"
    return f"`gdpr-lint check --fix{' ' + path if path else ''}`"
