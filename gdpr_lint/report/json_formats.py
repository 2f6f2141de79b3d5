"""Machine-readable JSON (the contract documented in README.md)."""

from __future__ import annotations

import json

from gdpr_lint.model import Finding
from gdpr_lint.report import ReportContext


def render_json(findings: list[Finding], context: ReportContext) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False) + "\n"
