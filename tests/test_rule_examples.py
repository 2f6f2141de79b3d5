"""Fixit-style: every rule's documented VALID examples produce no finding of that
rule, every INVALID example produces exactly one, and `--fix` turns an INVALID
example into its `expected-replacement` (rules/checks.toml), after which the rule
no longer reports it. So `gdpr-lint rule` and SARIF help cannot drift from what
the analysis and the fix do."""

from __future__ import annotations

import textwrap

import pytest

from helpers import analyse
from gdpr_lint.checks.rules import ALL_RULES
from gdpr_lint.fix.codemod import FIX_CODES
from gdpr_lint.fix.runner import plan_fixes

VALID = [(r.code, i, ex) for r in ALL_RULES for i, ex in enumerate(r.valid)]
INVALID = [(r.code, i, ex) for r in ALL_RULES for i, ex in enumerate(r.invalid)]


def _source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _analyse(tmp_path, src: str):
    (tmp_path / "example.py").write_text(_source(src), encoding="utf-8")
    result = analyse(tmp_path)
    assert not result.errors, [str(e) for e in result.errors]
    return result


def _codes(tmp_path, src: str) -> list[str]:
    return [f.code for f in _analyse(tmp_path, src).findings]


def test_every_default_rule_has_examples():
    for r in ALL_RULES:
        if r.code in ("GDPR001", "GDPR002", "GDPR003"):
            assert r.valid and r.invalid, r.code


def test_every_fixable_rule_shows_its_fix():
    for r in ALL_RULES:
        if r.code in FIX_CODES:
            assert any(ex.expected_replacement for ex in r.invalid), r.code


@pytest.mark.parametrize(("code", "index", "example"), VALID, ids=[f"{c}-valid-{i}" for c, i, _ in VALID])
def test_valid_example_is_not_reported(tmp_path, code, index, example):
    assert code not in _codes(tmp_path, example.code)


@pytest.mark.parametrize(("code", "index", "example"), INVALID, ids=[f"{c}-invalid-{i}" for c, i, _ in INVALID])
def test_invalid_example_is_reported_once(tmp_path, code, index, example):
    assert _codes(tmp_path, example.code).count(code) == 1


@pytest.mark.parametrize(("code", "index", "example"), INVALID, ids=[f"{c}-invalid-{i}" for c, i, _ in INVALID])
def test_invalid_example_is_fixed_as_documented(tmp_path, code, index, example):
    result = _analyse(tmp_path, example.code)
    outcome = plan_fixes(result, [f for f in result.findings if f.code == code])
    assert not outcome.errors, [str(e) for e in outcome.errors]
    fixed = outcome.files[0].new_text if outcome.files else _source(example.code)
    expected = _source(example.expected_replacement or example.code)
    assert fixed == expected
    if example.expected_replacement is not None:
        assert code not in _codes(tmp_path, fixed)


@pytest.mark.parametrize(("spec", "message"), [
    ({"name": "x", "summary": "x", "description": "x", "fix": "x", "security-severity": "1.0", "severity": "severe"},
     "rules.GDPR999: `severity` must be one of low, medium, high, not 'severe'"),
    ({"name": "x", "summary": "x", "description": "x", "fix": "x", "security-severity": "1.0"},
     "rules.GDPR999: `severity` is missing"),
    ({"name": "x", "summary": "x", "description": "x", "fix": "x", "security-severity": "1.0", "severity": "low",
      "invalid": [{"code": "x", "expected-replacement": 1}]},
     "rules.GDPR999.invalid: `expected-replacement` must be a string"),
])
def test_malformed_rule_data_names_file_and_key(spec, message):
    from gdpr_lint.checks.rules import _rule
    from gdpr_lint.config.ruledata import RuleDataError

    with pytest.raises(RuleDataError) as exc:
        _rule("GDPR999", spec)
    assert str(exc.value).endswith(f"checks.toml: {message}")
