"""`gdpr-lint check --statistics`: how many findings per rule, instead of the list
(Ruff's shape: count, code, `[*]` when --fix can fix some of them, rule name).
With `--output-format json` the same as a JSON list."""

from __future__ import annotations

import json
from collections import Counter

from gdpr_lint.model import Finding
from gdpr_lint.report.context import Report
from gdpr_lint.checks.rules import RULES_BY_CODE


def statistics(findings: list[Finding]) -> list[dict]:
    counts = Counter(f.code for f in findings)
    fixable = Counter(f.code for f in findings if f.fixable)
    rows = []
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = RULES_BY_CODE.get(code)
        rows.append({"code": code, "name": rule.name if rule else "", "count": count,
                     "fixable": fixable[code] > 0, "fixable_count": fixable[code]})
    return rows


def render_statistics(report: Report) -> str:
    rows = statistics(report.findings)
    width = max((len(str(r["count"])) for r in rows), default=1)
    any_fixable = any(r["fixable"] for r in rows)
    out = []
    for r in rows:
        mark = ("[*] " if r["fixable"] else "    ") if any_fixable else ""
        out.append(f"{r['count']:>{width}}\t{r['code']}\t{mark}{r['name']}")
    return "\n".join(out) + ("\n" if out else "")


def render_statistics_json(report: Report) -> str:
    return json.dumps(statistics(report.findings), indent=2) + "\n"
