"""The project's own redaction functions: `def anonymise(text): return re.sub(EMAIL, "<email>", text)`.

A project function is a redaction step when its name says it redacts and its body
replaces text (rules/sanitizers.toml `[project]`). What it redacts is read from its
patterns where they are literals: each is tried on sample values of the categories
that have a recognisable shape (an e-mail address, a phone or CPR number, a name ...).
Data of a sampled category none of its patterns matches passes through it; a function
whose literal patterns match no sample at all (`scrub_html`) is not a redaction step.
Patterns the code computes (a recogniser's entities, values looked up at run time) are
trusted like a library's anonymiser.

A place named as holding redacted data (`anonymised_emails/`, a `redacted:emails` queue)
was written by such a step: what is read from it is redacted text (`redacted_location`).

The verdict travels in the `via` of the redacted labels:
"app.privacy.mask_cpr (misses: email, name)"; `values.redacted` keeps the missed
categories raw, also where the data reaches the function through a helper's parameter.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from gdpr_lint.analysis.values import MISSES
from gdpr_lint.analysis.vocabulary import tokenize
from gdpr_lint.config.ruledata import load_rule_file


@dataclass(frozen=True)
class ProjectRules:
    verbs: tuple[str, ...]
    removal_verbs: tuple[str, ...]
    pii_words: frozenset[str]
    entity_attributes: frozenset[str]
    samples: tuple[tuple[str, tuple[str, ...]], ...]


@lru_cache(maxsize=None)
def rules() -> ProjectRules:
    data = load_rule_file("sanitizers.toml").get("project", {})
    return ProjectRules(
        verbs=tuple(data.get("verbs", [])),
        removal_verbs=tuple(data.get("removal_verbs", [])),
        pii_words=frozenset(data.get("pii_words", [])),
        entity_attributes=frozenset(data.get("entity_attributes", [])),
        samples=tuple((k, tuple(v)) for k, v in sorted(data.get("samples", {}).items())),
    )


def named_as_redaction(name: str) -> bool:
    """`redact_pii`, `anonymiseText`, `mask_cpr`, `strip_pii`, `pseudonymisieren`."""
    r = rules()
    toks = tokenize(name)
    if any(t.startswith(r.verbs) for t in toks):
        return True
    return any(t.startswith(r.removal_verbs) for t in toks) and any(t.startswith(tuple(r.pii_words)) for t in toks)


def scrubber_via(qualname: str, node: ast.FunctionDef | ast.AsyncFunctionDef, module: ast.Module | None,
                 cls: ast.ClassDef | None = None) -> str | None:
    """The `via` of a project redaction function (with the sampled categories it misses),
    or None when `node` is not one; `cls`: the class of a method (its patterns may be
    class attributes or set in `__init__`)."""
    if not named_as_redaction(node.name):
        return None
    r = rules()
    dynamic = any(_member(n) in r.entity_attributes for n in ast.walk(node))
    patterns: list[str] = []
    found = dynamic
    for call in ast.walk(node):
        target = _substitution(call)
        if target is None:
            continue
        found = True
        expr, literal_text = target
        resolved = _strings(expr, node, module, cls=cls)
        if resolved is None:
            dynamic = True
        else:
            patterns.extend(re.escape(s) if literal_text else s for s in resolved)
    if not found:
        return None
    if dynamic:
        return qualname
    compiled = []
    for p in patterns:
        try:
            compiled.append(re.compile(p))
        except re.error:
            return qualname  # another regex dialect: what it matches is not known here
    covered = {cat for cat, samples in r.samples if any(c.search(s) for c in compiled for s in samples)}
    if not covered:
        return None  # it replaces something, but nothing personal (markup, whitespace)
    missed = sorted(cat for cat, _ in r.samples if cat not in covered)
    return f"{qualname}{MISSES}{', '.join(missed)})" if missed else qualname


def _member(node: ast.AST) -> str | None:
    """`ent.label_`, `e["entity_group"]`: the member read."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    return None


def _substitution(node: ast.AST) -> tuple[ast.AST, bool] | None:
    """The pattern of a text replacement, and whether it is plain text (`str.replace`)
    rather than a regular expression: `re.sub(P, ...)`, `P.sub(...)`, `s.replace(P, ...)`."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    attr, recv = node.func.attr, node.func.value
    if attr in ("sub", "subn"):
        if isinstance(recv, ast.Name) and recv.id in ("re", "regex"):
            return (node.args[0], False) if node.args else None
        return recv, False
    if attr == "replace" and len(node.args) >= 2:
        return node.args[0], True
    return None


def _strings(expr: ast.AST, func: ast.AST, module: ast.Module | None, depth: int = 0,
             cls: ast.ClassDef | None = None) -> list[str] | None:
    """The literal strings a pattern expression can be, or None when it is computed
    (looked up at run time, an entity's text). Names are followed to their assignments
    and loop collections in the function, then at module level."""
    if depth > 4:
        return None
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "compile" and expr.args:
        return _strings(expr.args[0], func, module, depth + 1)
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return _all(expr.elts, func, module, depth)
    if isinstance(expr, ast.Dict):
        return _all([v for v in expr.values if v is not None], func, module, depth)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("items", "values"):
        return _strings(expr.func.value, func, module, depth + 1)
    if isinstance(expr, ast.Subscript):
        return _strings(expr.value, func, module, depth + 1)
    if isinstance(expr, ast.Attribute) and cls is not None and isinstance(expr.value, ast.Name) \
            and expr.value.id in ("self", "cls", cls.name):
        # `self.EMAIL.sub(...)`: a class attribute, or set on self in a method
        found: list[ast.AST] = [n.value for n in ast.walk(cls) if isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == expr.attr and n in cls.body
            or isinstance(t, ast.Attribute) and t.attr == expr.attr and isinstance(t.value, ast.Name)
            and t.value.id == "self" for t in n.targets)]
        return _all(found, func, module, depth) if found else None
    if isinstance(expr, ast.Name):
        sources: list[ast.AST] = []
        for scope in (func, module):
            if scope is None:
                continue
            nodes = ast.walk(scope) if scope is func else iter(module.body if module is not None else ())
            for n in nodes:
                if isinstance(n, ast.Assign) and any(_binds(t, expr.id) for t in n.targets):
                    sources.append(n.value)
                elif isinstance(n, ast.AnnAssign) and n.value is not None and _binds(n.target, expr.id):
                    sources.append(n.value)
                elif isinstance(n, (ast.For, ast.comprehension)) and _binds(n.target, expr.id):
                    sources.append(n.iter)
            if sources:
                break
        return _all(sources, func, module, depth) if sources else None
    return None


def _all(exprs: Sequence[ast.AST], func: ast.AST, module: ast.Module | None, depth: int) -> list[str] | None:
    out: list[str] = []
    for e in exprs:
        if isinstance(e, (ast.Tuple, ast.List)):  # (label, pattern) pairs: both are tried
            got = _all(list(e.elts), func, module, depth + 1)
        else:
            got = _strings(e, func, module, depth + 1)
        if got is None:
            return None
        out.extend(got)
    return out


def _binds(target: ast.AST, name: str) -> bool:
    if isinstance(target, ast.Name):
        return target.id == name
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_binds(t, name) for t in target.elts)
    return False


@dataclass(frozen=True)
class LocationRules:
    words: frozenset[str]
    negations: frozenset[str]
    calls: frozenset[str]


@lru_cache(maxsize=None)
def location_rules() -> LocationRules:
    data = load_rule_file("sanitizers.toml").get("redacted_locations", {})
    return LocationRules(frozenset(data.get("words", [])), frozenset(data.get("negations", [])),
                         frozenset(data.get("calls", [])))


def redacted_location(path: str) -> bool:
    """`data/emails/anonymized`, `pseudonymisiert/kunden.json`: a path that names its data as
    redacted (a whole word, not negated: `not_anonymised`, `to_redact`, `unredacted` do not)."""
    r = location_rules()
    toks = tokenize(path)
    return any(t in r.words and (i == 0 or toks[i - 1] not in r.negations) for i, t in enumerate(toks))
