"""Which rule a flow of personal data breaks, and what its finding says.

The one place the findings (checks/findings.py), the data flows of the map
(analysis/dataflows.py) and the map itself (report/inventory.py) decide between
GDPR001, GDPR002 and GDPR003; the wording and severities are data
(rules/checks.toml, loaded by checks/rules.py).
"""

from __future__ import annotations

from typing import Iterable

from gdpr_lint.analysis import protection
from gdpr_lint.checks.rules import PATH_SHOWN, RULES_BY_CODE, SPECIAL_CATEGORY_ARTICLE
from gdpr_lint.surfaces.catalogue import sanitizers

MAX_LISTED = 4  # data named in a message before "and N more"


def code_for(kind: str, category, via: str = "") -> str | None:
    """The rule broken by data of `category` (a vocabulary Category) arriving raw in a
    request parameter of `kind`: request content (GDPR002 for a special category,
    else GDPR001, unless the category only matters as an identifier), or the end-user
    identifier of user= / safety_identifier= (GDPR003 for a direct identifier).
    Data redacted on its way (`via` a sanitizer) breaks none, unless the runtime
    pseudonymiser let it through unrecognised (GDPR004). None: not a finding."""
    if via:
        if kind != "content" or not category.content:
            return None
        san = sanitizers()
        return "GDPR004" if protection.uncovered(via, category.key, san.runtime_steps, san.runtime_covers) else None
    if kind == "content":
        if not category.content:
            return None
        return "GDPR002" if category.special else "GDPR001"
    return "GDPR003" if category.direct_identifier else None


def article(category) -> str | None:
    """The GDPR article of a special category ("Art. 9", "Art. 10"); None for others."""
    if not category.special:
        return None
    return SPECIAL_CATEGORY_ARTICLE.get(category.key, SPECIAL_CATEGORY_ARTICLE["default"])


def listed(data: list[str]) -> str:
    """`a (email), b (name) and 3 more`."""
    more = len(data) - MAX_LISTED
    return ", ".join(data[:MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def message(code: str, *, endpoint: str, data: list[str], categories: str = "", params: Iterable[str] = (),
            residency: str = "") -> str:
    """The rule's message template (rules/checks.toml) filled in."""
    return RULES_BY_CODE[code].message.format(
        endpoint=endpoint, data=listed(data), categories=categories,
        params=", ".join(p + "=" for p in params), residency=residency)


def describe(code: str, endpoint: str, data: list[str], categories: list[str], params: list[str],
             vocab) -> tuple[str, str]:
    """The message and severity of a data-flow finding (GDPR001-004) from what reaches the call."""
    labels = ", ".join(dict.fromkeys(vocab.categories[c].label for c in categories if c in vocab.categories))
    text = message(code, endpoint=endpoint, data=data, categories=labels, params=params)
    if len(data) > 1:  # the flow shows the path of the first datum
        text += PATH_SHOWN.format(first=data[0].rsplit(" (", 1)[0])
    return text, RULES_BY_CODE[code].severity_for(categories)
