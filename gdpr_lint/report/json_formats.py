"""Machine-readable JSON (the contract documented in README.md)."""

from __future__ import annotations

import json

from gdpr_lint.report.context import Report


def render_json(report: Report) -> str:
    return json.dumps([f.to_dict() for f in report.findings], indent=2, ensure_ascii=False) + "\n"
