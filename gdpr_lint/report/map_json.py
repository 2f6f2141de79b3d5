"""The data map as JSON (schema "gdpr-lint-map/1", documented in docs/map.md)."""

from __future__ import annotations

import json

from gdpr_lint.report.context import Report


def render_map_json(report: Report) -> str:
    return json.dumps(report.inventory, indent=2, ensure_ascii=False) + "\n"
