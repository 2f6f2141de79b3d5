"""The rules gdpr-lint reports, in the style of Fixit: each rule carries its own
explanation, severity, message and VALID / INVALID examples (an INVALID example
with the code `--fix` turns it into). They are data, in `rules/checks.toml`; the
examples are run as tests (tests/test_rule_examples.py), so the documentation
cannot drift from behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from gdpr_lint.config.ruledata import RuleDataError, load_rule_file, rules_dir

CHECKS_FILE = "checks.toml"
LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class Valid:
    """Code the rule must not report."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report once; `--fix` turns it into `expected_replacement`
    (None: `--fix` leaves it unchanged)."""

    code: str
    expected_replacement: str | None = None


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str  # one line, used as SARIF shortDescription
    description: str  # the full explanation, used by `gdpr-lint rule` and SARIF help
    severity: str  # low | medium | high (Bandit's scale)
    security_severity: str  # SARIF properties.security-severity (GitHub: 0.1-10)
    fix: str  # what --fix does, or what to do by hand
    default_enabled: bool = True
    message: str = ""  # template of the findings' message (placeholders: rules/checks.toml)
    raised_severity: str = ""  # the severity of a finding naming one of `raised_by`
    raised_by: frozenset[str] = frozenset()  # category keys
    precision: str = "medium"  # SARIF properties.precision
    tags: tuple[str, ...] = ()  # SARIF properties.tags
    valid: tuple[Valid, ...] = field(default_factory=tuple)
    invalid: tuple[Invalid, ...] = field(default_factory=tuple)

    def severity_for(self, categories) -> str:
        """The severity of a finding of this rule naming these categories."""
        if self.raised_by and any(c in self.raised_by for c in categories):
            return self.raised_severity
        return self.severity


def _fail(where: str, problem: str) -> NoReturn:
    raise RuleDataError(f"{rules_dir() / CHECKS_FILE}: {where}: {problem}")


def _text(spec: dict, key: str, where: str, default: str | None = None) -> str:
    value = spec.get(key, default)
    if not isinstance(value, str):
        _fail(where, f"`{key}` must be a string" if key in spec else f"`{key}` is missing")
    return value


def _level(spec: dict, key: str, where: str) -> str:
    value = _text(spec, key, where)
    if value not in LEVELS:
        _fail(where, f"`{key}` must be one of {', '.join(LEVELS)}, not {value!r}")
    return value


def _strings(spec: dict, key: str, where: str) -> tuple[str, ...]:
    value = spec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail(where, f"`{key}` must be a list of strings")
    return tuple(value)


def _examples(spec: dict, key: str, where: str) -> list[dict]:
    value = spec.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        _fail(where, f"`{key}` must be an array of tables ([[{where}.{key}]])")
    return value


def _rule(code: str, spec: dict) -> Rule:
    where = f"rules.{code}"
    if not isinstance(spec, dict):
        _fail(where, "must be a table")
    raised_to, raised_by = "", frozenset[str]()
    if "raise-severity" in spec:
        raise_spec = spec["raise-severity"]
        if not isinstance(raise_spec, dict):
            _fail(where, "`raise-severity` must be a table")
        raised_to = _level(raise_spec, "to", f"{where}.raise-severity")
        raised_by = frozenset(_strings(raise_spec, "categories", f"{where}.raise-severity"))
    default = spec.get("default", True)
    if not isinstance(default, bool):
        _fail(where, "`default` must be true or false")
    return Rule(
        code=code,
        name=_text(spec, "name", where),
        summary=_text(spec, "summary", where),
        description=_text(spec, "description", where),
        severity=_level(spec, "severity", where),
        security_severity=_text(spec, "security-severity", where),
        fix=_text(spec, "fix", where),
        default_enabled=default,
        message=_text(spec, "message", where, ""),
        raised_severity=raised_to,
        raised_by=raised_by,
        precision=_text(spec, "precision", where, "medium"),
        tags=_strings(spec, "tags", where),
        valid=tuple(Valid(_text(ex, "code", f"{where}.valid"))
                    for ex in _examples(spec, "valid", where)),
        invalid=tuple(Invalid(_text(ex, "code", f"{where}.invalid"),
                              _text(ex, "expected-replacement", f"{where}.invalid") if "expected-replacement" in ex else None)
                      for ex in _examples(spec, "invalid", where)),
    )


def _table(data: dict, key: str, required: tuple[str, ...]) -> dict[str, str]:
    """A table of strings holding at least the `required` keys."""
    table = data.get(key, {})
    if not isinstance(table, dict):
        _fail(key, "must be a table")
    return {k: _text(table, k, key) for k in (*required, *table)}


REQUIRED = ("GDPR001", "GDPR002", "GDPR003", "GDPR010", "GDPR100")  # the codes the analysis reports


def _load() -> tuple[dict, tuple[Rule, ...]]:
    data = load_rule_file(CHECKS_FILE)
    if not isinstance(data.get("rules"), dict):
        _fail("rules", "no rules defined ([rules.CODE] tables)")
    for code in REQUIRED:
        if code not in data["rules"]:
            _fail(f"rules.{code}", "missing")
    return data, tuple(_rule(code, spec) for code, spec in data["rules"].items())


CHECKS, ALL_RULES = _load()
RULES_BY_CODE: dict[str, Rule] = {r.code: r for r in ALL_RULES}
DEFAULT_SELECT: tuple[str, ...] = tuple(r.code for r in ALL_RULES if r.default_enabled)
GDPR010 = RULES_BY_CODE["GDPR010"]
GDPR100 = RULES_BY_CODE["GDPR100"]
# The order of categories in the `known=` mapping --fix writes (others follow alphabetically).
KNOWN_ORDER: tuple[str, ...] = _strings(CHECKS, "known-order", "known-order")
# The GDPR article of a special category: `default` unless the category is listed.
SPECIAL_CATEGORY_ARTICLE: dict[str, str] = _table(CHECKS, "special-category-article", ("default",))
PATH_SHOWN: str = _table(CHECKS, "messages", ("path-shown",))["path-shown"]


def expand_selector(selector: str) -> list[str]:
    """`GDPR` -> all codes, `GDPR00` -> GDPR001..009, `GDPR001` -> itself; unknown -> []."""
    sel = selector.strip().upper()
    if sel == "ALL":
        return [r.code for r in ALL_RULES]
    return [r.code for r in ALL_RULES if r.code.startswith(sel)]
