"""What the runtime pseudonymiser covers at one call.

`gdpr_lint.runtime.protect(...)` and `pseudonymise(...)` find personal data with
detectors (names, contact data, national IDs, bank data ...: `[runtime]` in
rules/sanitizers.toml) and replace the values handed over in `known=`. Data of any other
category (a diagnosis, a conviction, a date of birth) that passes through them is sent
as it is. So a flow redacted by the runtime is safe only for the categories it covers
there; the rest is reported as GDPR004 (checks/findings.py).

What was handed over travels with the flow: in the `via` of a redacted label
("gdpr_lint.runtime.protect (known: health, name)") and, for a protected client or
method, in the `protected` field of its tag (True: no known=; "health,name": these
categories; "*": a mapping that cannot be read here, taken to cover everything).
"""

from __future__ import annotations

import ast

from gdpr_lint.analysis.vocabulary import Vocabulary

Protection = bool | str  # False | True | "cat,cat" | "*"
ANY = "*"
_KNOWN = " (known: "


def handed_over(node: ast.Call, vocab: Vocabulary) -> Protection:
    """The categories a runtime call's `known=` names: True when it has none, ANY when the
    mapping is not a literal with constant keys (a variable, `**extra`)."""
    for kw in node.keywords:
        if kw.arg is None:
            return ANY  # protect(x, **options): may hold known=
        if kw.arg != "known":
            continue
        if isinstance(kw.value, ast.Constant) and kw.value.value is None:
            return True
        if not isinstance(kw.value, ast.Dict):
            return ANY
        keys = []
        for k in kw.value.keys:
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                return ANY
            keys.append(category_of_key(k.value, vocab))
        return ",".join(sorted(set(keys))) or True
    return True


def category_of_key(key: str, vocab: Vocabulary) -> str:
    """`known={"diagnosis": ...}` hands over health data: a key is a category's key or a
    word of the vocabulary; otherwise it stays as written (covering only itself)."""
    if key in vocab.categories:
        return key
    match = vocab.classify(key, owner_kind="person")
    return match.category.key if match is not None else key


def via(base: str, protection: Protection) -> str:
    """The `via` of data redacted by the runtime sanitizer `base` with this protection."""
    if not isinstance(protection, str) or not protection:
        return base  # no known= (True), or not protected (False)
    return f"{base}{_KNOWN}{protection.replace(',', ', ')})"


def split_via(text: str) -> tuple[str, Protection]:
    """`via` back into the sanitizer and what was handed over to it."""
    base, sep, rest = text.partition(_KNOWN)
    if not sep:
        return text, True
    return base, rest.rstrip(")").replace(", ", ",")


def uncovered(text: str, category: str, runtime: frozenset[str], covers: frozenset[str]) -> bool:
    """Data of `category` redacted by `text` (a `via`) still leaves the process: the
    sanitizer is the runtime's, its detectors do not cover the category, and `known=`
    did not hand it over."""
    base, protection = split_via(text)
    if base not in runtime or category in covers or protection == ANY:
        return False
    return not (isinstance(protection, str) and category in protection.split(","))
