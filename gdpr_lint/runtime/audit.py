"""Structured audit records on standard :mod:`logging`.

Records go to the ``gdpr_lint.runtime.audit`` logger at INFO level.  Each
record carries a ``gdpr_lint`` attribute (a dict, also rendered as JSON in the
message) with: ``event``, ``call_site``, ``endpoint``, ``conversation`` (a
keyed fingerprint, never the id), ``entities`` (type -> count), ``actions``
(type -> action -> count), ``fingerprints`` (keyed, per value), ``latency_ms`` and
``key_id``.  Raw personal values are never logged.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, Iterable, Optional

__all__ = ["LOGGER_NAME", "get_logger", "emit", "call_site", "summarise"]

LOGGER_NAME = "gdpr_lint.runtime.audit"
INFO = 20
WARNING = 30
_logger: Any = None


def get_logger() -> Any:
    """The audit logger (``logging`` is imported on first use)."""
    global _logger
    if _logger is None:
        import logging

        _logger = logging.getLogger(LOGGER_NAME)
    return _logger

_SKIP_PARTS = (
    os.sep + "gdpr_lint" + os.sep + "runtime" + os.sep,
    os.sep + "openai" + os.sep,
    os.sep + "httpx" + os.sep,
    os.sep + "httpx2" + os.sep,
    os.sep + "httpcore" + os.sep,
    os.sep + "anyio" + os.sep,
    os.sep + "asyncio" + os.sep,
    os.sep + "concurrent" + os.sep,
    os.sep + "contextlib.py",
    os.sep + "functools.py",
    os.sep + "threading.py",
)


def call_site(skip: int = 1) -> Optional[str]:
    """``file:line`` of the first frame outside this package and the HTTP stack."""
    try:
        frame: Any = sys._getframe(skip + 1)
    except (AttributeError, ValueError):
        return None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not any(part in filename for part in _SKIP_PARTS) and not filename.startswith("<frozen"):
            try:
                rel = os.path.relpath(filename)
                if not rel.startswith(".."):
                    filename = rel
            except ValueError:
                pass
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def summarise(findings: Iterable[Any]) -> Dict[str, Any]:
    """Aggregate findings (objects with type, action, fingerprint) for a record."""
    entities: Dict[str, int] = {}
    # every action taken on a type, with counts: a policy override or a
    # pseudonymous id can treat values of one type differently in one request
    actions: Dict[str, Dict[str, int]] = {}
    prints: Dict[str, None] = {}
    for f in findings:
        entities[f.type] = entities.get(f.type, 0) + 1
        per_type = actions.setdefault(f.type, {})
        per_type[f.action] = per_type.get(f.action, 0) + 1
        prints[f"{f.type}:{f.fingerprint}"] = None
    return {"entities": entities, "actions": actions, "fingerprints": list(prints)}


def enabled() -> bool:
    return bool(get_logger().isEnabledFor(INFO))


def emit(event: str, level: int = INFO, **fields: Any) -> None:
    logger = get_logger()
    if not logger.isEnabledFor(level):
        return
    import json

    record = {"event": event, **{k: v for k, v in fields.items() if v is not None}}
    logger.log(level, "gdpr-lint %s %s", event, json.dumps(record, sort_keys=True, default=str), extra={"gdpr_lint": record})
