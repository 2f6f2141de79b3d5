"""Fixit-style: every rule's documented VALID examples produce no finding of that
rule, and every INVALID example produces exactly one, so `gdpr-lint rule` cannot
drift from what the analysis does."""

from __future__ import annotations

import textwrap

import pytest

from conftest import analyse
from gdpr_lint.checks.rules import ALL_RULES

VALID = [(r.code, i, src) for r in ALL_RULES for i, src in enumerate(r.valid)]
INVALID = [(r.code, i, src) for r in ALL_RULES for i, src in enumerate(r.invalid)]


def _codes(tmp_path, src: str) -> list[str]:
    (tmp_path / "example.py").write_text(textwrap.dedent(src).lstrip("\n"), encoding="utf-8")
    result = analyse(tmp_path)
    assert not result.errors, [str(e) for e in result.errors]
    return [f.code for f in result.findings]


def test_every_default_rule_has_examples():
    for r in ALL_RULES:
        if r.code in ("GDPR001", "GDPR002", "GDPR003"):
            assert r.valid and r.invalid, r.code


@pytest.mark.parametrize(("code", "index", "src"), VALID, ids=[f"{c}-valid-{i}" for c, i, _ in VALID])
def test_valid_example_is_not_reported(tmp_path, code, index, src):
    assert code not in _codes(tmp_path, src)


@pytest.mark.parametrize(("code", "index", "src"), INVALID, ids=[f"{c}-invalid-{i}" for c, i, _ in INVALID])
def test_invalid_example_is_reported_once(tmp_path, code, index, src):
    assert _codes(tmp_path, src).count(code) == 1
