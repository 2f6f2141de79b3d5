"""Keyed, reversible, streaming-safe pseudonymisation around OpenAI calls.

Personal data goes out as pseudonyms, replies come back with the real values::

    from openai import OpenAI
    from gdpr_lint.runtime import protect, pseudonymous_id

    client = OpenAI()
    reply = protect(client.chat.completions.create, known={"name": customer.name})(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Write to {customer.name} <{customer.email}>"}],
        user=pseudonymous_id(customer.email),
    )

or protect a whole client: ``client = protect(OpenAI())``.  See
``docs/runtime.md`` for policies, key handling, conversations and the audit log.

Importing this package is cheap: the OpenAI adapter, ``phonenumbers`` and
``python-stdnum`` are loaded on first use.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .config import ENV_KEY, Action, Detector, configure
from .dispatch import protect
from .errors import ConfigurationError, PseudonymisationError, UnsupportedInputError
from .scopes import current_conversation
from .vault import Conversation, pseudonymous_id

__all__ = [
    "protect",
    "pseudonymise",
    "reidentify",
    "pseudonymous_id",
    "Conversation",
    "current_conversation",
    "configure",
    "PseudonymisationError",
    "ConfigurationError",
    "UnsupportedInputError",
    "Action",
    "Detector",
    "ENV_KEY",
]


def pseudonymise(
    text: str,
    *,
    known: Optional[Mapping[str, Any]] = None,
    conversation: Optional[Conversation] = None,
) -> str:
    """Replace personal data in ``text`` by pseudonyms of the current conversation.

    The conversation is ``conversation``, else the one made current with
    ``with Conversation():``, else the default scope of the current thread or
    task (bounded and expiring, see ``docs/runtime.md``).
    """
    conv = conversation if conversation is not None else current_conversation()
    return conv.pseudonymise(text, known=known)


def reidentify(text: str, *, conversation: Optional[Conversation] = None, json: bool = False) -> str:
    """Replace exact pseudonyms of the current conversation in ``text`` by their values.

    Unknown or altered pseudonyms stay as they are.  ``json=True``: ``text`` is
    JSON, values are inserted JSON-escaped so it stays valid.
    """
    conv = conversation if conversation is not None else current_conversation()
    return conv.reidentify(text, json=json)
