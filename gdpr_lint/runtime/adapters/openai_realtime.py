"""Websocket APIs of a protected OpenAI client are refused.

``client.realtime.connect()`` and its relatives (``beta.realtime``,
``realtime.translations``, ``live``, the Responses websocket mode) open a
websocket with the client's credentials; their events never pass the
pseudonymising HTTP transport.  A protected client therefore refuses to
connect, before anything is sent, instead of leaking silently.

The resources are patched when first accessed (the SDK builds them lazily;
building all of them eagerly for every protected copy would cost
milliseconds).
"""

from __future__ import annotations

import inspect
from typing import Any, Dict, NoReturn, Tuple

from ..errors import PseudonymisationError

__all__ = ["WEBSOCKET_RESOURCES", "refusal", "guard_resources"]

#: client attribute -> nested resources (relative to it) that have a websocket ``connect``.
WEBSOCKET_RESOURCES: Dict[str, Tuple[str, ...]] = {
    "realtime": ("", "translations"),
    "beta": ("realtime", "responses"),
    "responses": ("",),
    "live": ("", "sideband", "forks"),
}


def refusal(where: str) -> PseudonymisationError:
    return PseudonymisationError(
        f"{where}.connect() opens a websocket whose events a protected client cannot pseudonymise; "
        "nothing was sent (use the HTTP endpoints, e.g. client.responses.create, or an unprotected client "
        "with pseudonymise()/reidentify() applied to each event yourself)"
    )


def _refuse_connect(where: str) -> Any:
    def connect(*args: Any, **kwargs: Any) -> NoReturn:
        raise refusal(where)

    return connect


def _patch(root: Any, attr: str) -> None:
    for rel in WEBSOCKET_RESOURCES[attr]:
        obj = root
        for part in rel.split(".") if rel else ():
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None and callable(getattr(obj, "connect", None)):
            obj.connect = _refuse_connect(f"client.{attr}.{rel}" if rel else f"client.{attr}")


class _Guarded:
    """Wraps the SDK's ``cached_property`` of a client: the resource is built
    (and cached in the instance) by the SDK, then its ``connect`` refused."""

    def __init__(self, attr: str, base: Any) -> None:
        self.attr = attr
        self.base = base

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        value = self.base.__get__(obj, objtype)
        if getattr(value, "_gdpr_lint_guarded", False) is not True:
            _patch(value, self.attr)
            try:
                value._gdpr_lint_guarded = True
            except AttributeError:  # pragma: no cover - resources are plain objects
                pass
        return value


def guard_resources(namespace: Dict[str, Any], cls: type) -> None:
    """Add the guarded websocket resources of ``cls`` to a subclass namespace."""
    for attr in WEBSOCKET_RESOURCES:
        base = inspect.getattr_static(cls, attr, None)
        if base is not None and hasattr(base, "__get__"):
            namespace[attr] = _Guarded(attr, base)
