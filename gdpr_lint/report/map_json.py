"""The data map as JSON (schema "gdpr-lint-map/1", documented in docs/map.md)."""

from __future__ import annotations

import json


def render_map_json(inventory: dict) -> str:
    return json.dumps(inventory, indent=2, ensure_ascii=False) + "\n"
