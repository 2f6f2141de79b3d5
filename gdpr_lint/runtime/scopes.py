"""Which conversation a call uses when none is given: the default scope of the
current context, and the scope a Responses chain already uses.

* :func:`current_conversation` -- for ``pseudonymise()`` / ``reidentify()``
  without a conversation: the conversation made current with ``with
  Conversation():``, else a *default scope bound to the current context*
  (a context variable: one per thread, and per asyncio task that makes it
  first), bounded to ``scope_max_values`` values (least recently used out)
  and closed after ``scope_ttl`` seconds without use.  Its id is random per
  process unless ``configure(scope_id=...)`` fixes it.
* :func:`linked` / :func:`remember` -- for ``protect()`` without a
  conversation: a request that continues a stored response
  (``previous_response_id``) or a server-side conversation
  (``conversation``) uses the scope that made that response or first used
  that conversation in this process, so the model's mention of an earlier
  pseudonym is restored; unrelated calls keep separate scopes.  At most
  ``_MAX_LINKS`` links are kept, each for ``scope_ttl`` seconds.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections import OrderedDict
from time import monotonic
from typing import Any, Iterable, List, Optional, Tuple

from . import config
from .vault import Conversation, active_conversation

__all__ = ["current_conversation", "default_conversation", "linked", "remember", "links_of", "new_scope"]

# per process: the default scopes of two processes never share pseudonyms
# unless configure(scope_id=...) says so
_PROCESS_SCOPE = os.urandom(16).hex()

# (conversation, [last use in monotonic seconds]) of the current context
_default: contextvars.ContextVar[Optional[Tuple[Conversation, List[float]]]] = contextvars.ContextVar(
    "gdpr_lint_default_scope", default=None
)


def _after_fork() -> None:
    # a forked worker (a pre-forking server) is another process: its own scope id,
    # and nothing of the parent's default scope
    global _PROCESS_SCOPE
    _PROCESS_SCOPE = os.urandom(16).hex()
    _default.set(None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def new_scope(id: Optional[str] = None) -> Conversation:
    """A conversation bounded by the configured ``scope_max_values``."""
    return Conversation(id, max_values=config.settings().scope_max_values)


def default_conversation() -> Conversation:
    """The default scope of the current context (made on first use, replaced
    after ``scope_ttl`` seconds without use)."""
    now = monotonic()
    entry = _default.get()
    if entry is not None:
        conv, used = entry
        if not conv.closed and now - used[0] <= config.settings().scope_ttl:
            used[0] = now
            return conv
        conv.close()
    scope_id = config.settings().scope_id
    conv = new_scope(scope_id if scope_id is not None else _PROCESS_SCOPE)
    _default.set((conv, [now]))
    return conv


def current_conversation() -> Conversation:
    """The conversation made current with ``with Conversation():``, else the
    default scope of the current context."""
    conv = active_conversation()
    return conv if conv is not None else default_conversation()


# ---------------------------------------------------------------------------
# scopes linked along a Responses chain

_MAX_LINKS = 10_000
_links: "OrderedDict[str, Tuple[Conversation, float]]" = OrderedDict()
_links_lock = threading.Lock()


def links_of(body: Any) -> Tuple[str, ...]:
    """The ids a request body continues: ``previous_response_id`` and the
    server-side ``conversation`` (an id or ``{"id": ...}``)."""
    if not isinstance(body, dict):
        return ()
    out = []
    prev = body.get("previous_response_id")
    if isinstance(prev, str) and prev:
        out.append("response:" + prev)
    conv = body.get("conversation")
    if isinstance(conv, dict):
        conv = conv.get("id")
    if isinstance(conv, str) and conv:
        out.append("conversation:" + conv)
    return tuple(out)


def linked(links: Iterable[str]) -> Optional[Conversation]:
    """The open scope one of ``links`` was remembered with, if any."""
    now = monotonic()
    ttl = config.settings().scope_ttl
    with _links_lock:
        for link in links:
            entry = _links.get(link)
            if entry is None:
                continue
            conv, since = entry
            if conv.closed or now - since > ttl:
                del _links[link]
                continue
            _links.move_to_end(link)
            return conv
    return None


def remember(link: str, conv: Conversation) -> None:
    """Link ``link`` (``"response:<id>"``, ``"conversation:<id>"``) to ``conv``."""
    with _links_lock:
        _links[link] = (conv, monotonic())
        _links.move_to_end(link)
        while len(_links) > _MAX_LINKS:
            _links.popitem(last=False)


def reset() -> None:
    """Forget every link and this context's default scope (tests)."""
    with _links_lock:
        _links.clear()
    _default.set(None)
