"""`gdpr-lint calls`: every OpenAI request call site, as text or JSON."""

from __future__ import annotations

import json

from gdpr_lint.report.context import Report


def render_calls_text(report: Report) -> str:
    sites = report.sites
    lines = []
    for s in sites:
        prot = " protected" if s.protected else ""
        lines.append(f"{s.location}: {s.endpoint} [{s.flavour}, {s.confidence} confidence{prot}]")
    text = "\n".join(lines) + ("\n" if lines else "")
    if not report.quiet:
        text += f"{len(sites)} OpenAI call site{'s' if len(sites) != 1 else ''} in {report.context.files} files.\n"
    return text


def render_calls_json(report: Report) -> str:
    return json.dumps([s.to_dict() for s in report.sites], indent=2) + "\n"
