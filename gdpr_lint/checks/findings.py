"""Turn the hits of the flow analysis into findings: one per request call and rule,
naming the data, its categories, where it entered and the path it took.
"""

from __future__ import annotations

from collections import defaultdict

from gdpr_lint.analysis.summaries import Hit
from gdpr_lint.checks.decide import code_for, describe
from gdpr_lint.model import Finding
from gdpr_lint.analysis.program.project import Project
from gdpr_lint.analysis.program.symbols import SiteInfo
from gdpr_lint.analysis.values import Src, path_key
from gdpr_lint.analysis.vocabulary import Vocabulary
from gdpr_lint.surfaces import registry as surfaces

_CONF_RANK = {"low": 0, "medium": 1, "high": 2}


def _min_conf(a: str, b: str) -> str:
    return a if _CONF_RANK[a] <= _CONF_RANK[b] else b


def _max_conf(values) -> str:
    return max(values, key=lambda c: _CONF_RANK[c], default="low")


def build_findings(project: Project, vocab: Vocabulary, reported: set[str] | None = None,
                   hits: list[Hit] | None = None) -> list[Finding]:
    """Findings at the request calls in `reported` files (default: the project's own), and
    at calls elsewhere whose data path passes through a reported file (a pre-commit run
    checks only the changed files: a new caller handing a customer's e-mail to an
    unchanged helper is reported at the helper's request)."""
    grouped: dict[tuple[str, str], dict] = defaultdict(dict)
    for hit in (project.all_hits() if hits is None else hits):
        info = project.sites.get(hit.site)
        if info is None:
            continue
        if reported is not None:
            if info.site.path not in reported and not any(
                    st.path in reported for st in (hit.label.origin, *hit.label.path)):
                continue
        elif not info.module.reported:
            continue
        cat = vocab.categories.get(hit.label.category)
        if cat is None:
            continue
        # redacted on its way: listed by `gdpr-lint map`, not a finding (unless GDPR004)
        code = code_for(hit.kind, cat, hit.via)
        if code is None:
            continue
        labels = grouped[(hit.site, code)]
        key = (hit.label.expr, hit.label.category, hit.label.origin)
        rank = (*path_key(hit.label), hit.param)
        if key not in labels or rank < labels[key][2]:
            labels[key] = (hit.label, hit, rank)
    findings = []
    for (site_key, code), labels in grouped.items():
        info = project.sites[site_key]
        findings.append(_finding(info, code, [(lab, hit) for lab, hit, _ in labels.values()], vocab))
    findings.sort(key=Finding.sort_key)
    return findings


def _finding(info: SiteInfo, code: str, labelled: list[tuple[Src, Hit]], vocab: Vocabulary) -> Finding:
    site = info.site
    labelled.sort(key=lambda lh: (-_CONF_RANK[lh[0].confidence], lh[0].origin.path, lh[0].origin.line,
                                  lh[0].origin.column, lh[0].expr, lh[0].category))
    data = []
    categories = []
    for lab, _ in labelled:
        label = vocab.categories[lab.category].label
        entry = f"{lab.expr} ({label})"
        if entry not in data:
            data.append(entry)
        if lab.category not in categories:
            categories.append(lab.category)
    confidence = _min_conf(site.confidence, _max_conf(lab.confidence for lab, _ in labelled))
    first, first_hit = labelled[0]
    flow = [first.origin, *first.path]
    params = sorted({h.param for _, h in labelled})
    message, severity = describe(code, site.endpoint, data, categories, params, vocab)
    # a request a library runs for the code (asyncio.to_thread(fn, ...)) has no call of its own to wrap
    fixable = surfaces.fixable(site.flavour, site.endpoint, code) and not hasattr(info.node, "ran_by")
    known: dict[str, list[str]] = {}
    if code != "GDPR003":
        for lab, _hit in labelled:
            if lab.known and lab.scope == info.function_key and lab.category not in ("record", "free_text"):
                known.setdefault(lab.category, [])
                if lab.known not in known[lab.category]:
                    known[lab.category].append(lab.known)
    if code == "GDPR004":  # fixable by handing the values over, where they are in scope
        fixable = bool(known) and all(lab.category in known for lab, _ in labelled)
        hint = _known_hint(labelled, known, fixable)  # also when fixable: the fix may not find the runtime call
    else:
        hint = "" if fixable else surfaces.fix_hint(site.flavour, site.endpoint)
    return Finding(
        code=code, path=site.path, span=site.span, message=message, severity=severity,
        confidence=confidence, data=data, categories=categories, flow=flow, endpoint=site.endpoint,
        flavour=site.flavour, function=site.function, callee=site.text, fixable=fixable,
        fix_hint=hint, known=known, statement_lines=site.statement_lines, params=params,
    )


def _known_hint(labelled: list[tuple[Src, Hit]], known: dict[str, list[str]], all_known: bool) -> str:
    """GDPR004: what to hand over, written as the `known=` entries to add where the values
    are in scope at the call (`all_known`); else which data to hand over where they are."""
    if all_known:
        entries = ", ".join(f'"{cat}": [{", ".join(values)}]' for cat, values in known.items())
        return f"hand the values over to the runtime: known={{{entries}}}, or leave them out of the request"
    names = ", ".join(dict.fromkeys(lab.expr for lab, _ in labelled))
    return (f"hand {names} over to the runtime in known= (where the values are in scope), "
            "or leave them out of the request")


