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

from typing import Any, Mapping, Optional, TypeVar

from .config import ENV_KEY, Action, Detector, configure
from .errors import ConfigurationError, PseudonymisationError
from .vault import Conversation, current_conversation, pseudonymous_id

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
    "Action",
    "Detector",
    "ENV_KEY",
]

T = TypeVar("T")


def protect(
    target: T,
    *,
    known: Optional[Mapping[str, Any]] = None,
    conversation: Optional[Conversation] = None,
    policy: Optional[Mapping[str, Action]] = None,
) -> T:
    """Return ``target`` made safe to send personal data through.

    ``target`` is a request method of an OpenAI client -- ``client.chat.completions.create``,
    ``.parse``, ``.stream``, ``client.responses.create``, ``client.embeddings.create``,
    ``client.chat.completions.with_raw_response.create`` ... on ``OpenAI``,
    ``AsyncOpenAI``, ``AzureOpenAI`` or the module-level ``openai`` client -- or a
    whole client, whose request methods are then all protected; or a LiteLLM
    function (``litellm.completion``, ``acompletion``, ``text_completion``,
    ``embedding``, ``responses`` and their async forms).  The result is
    called exactly like the original and returns the same types, with pseudonyms
    in the request and the real values in the reply (streams included).

    ``known`` maps a category (``"name"``, ``"email"``, ``"phone"``, ``"address"``,
    ``"national_id"``, or any other label) to a value or values known to be
    personal; ``None`` values are skipped, non-strings are converted with ``str``.
    ``conversation`` fixes the pseudonymisation scope; by default it is the
    conversation made current with ``with Conversation():``, else a fresh scope
    per call.  ``policy`` overrides actions per entity type.

    Fails closed: if pseudonymisation fails, nothing is sent and
    :class:`PseudonymisationError` is raised.
    """
    module = getattr(target, "__module__", None) or ""
    if module == "litellm" or module.startswith("litellm."):  # litellm.completion, ... (never imported here)
        from .litellm_adapter import protect as _protect_litellm

        return _protect_litellm(target, known=known, conversation=conversation, policy=policy)
    from .openai_adapter import protect as _protect

    return _protect(target, known=known, conversation=conversation, policy=policy)


def pseudonymise(
    text: str,
    *,
    known: Optional[Mapping[str, Any]] = None,
    conversation: Optional[Conversation] = None,
) -> str:
    """Replace personal data in ``text`` by pseudonyms of the current conversation.

    The conversation is ``conversation``, else the one made current with
    ``with Conversation():``, else a process-wide default scope.
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
