"""``protect()``: which adapter handles which target.

The adapters are imported on first use, so that importing the runtime stays
fast and never imports ``openai`` or ``litellm``.  They import the vault, so
the vault cannot import them: :meth:`Conversation.protect` reaches its adapter
through :func:`~gdpr_lint.runtime.vault.set_protect`, called below.
"""

from __future__ import annotations

from types import MethodType
from typing import Any, Mapping, Optional, TypeVar

from .config import Action
from .vault import Conversation, set_protect

__all__ = ["protect"]

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
    ``embedding``, ``responses`` and their async forms), a LiteLLM ``Router`` or
    one of its methods of the same names; or a LangChain OpenAI model
    (``ChatOpenAI``, ``AzureChatOpenAI``, ``OpenAIEmbeddings``), a chain holding
    one, or one of their methods (``chain.invoke``); or the Agents SDK's
    ``Runner.run``, ``Runner.run_sync`` or ``Runner.run_streamed`` (every model
    request of the run is protected).  The result is
    called exactly like the original and returns the same types, with pseudonyms
    in the request and the real values in the reply (streams included).

    ``known`` maps a category (``"name"``, ``"email"``, ``"phone"``, ``"address"``,
    ``"national_id"``, or any other label) to a value or values known to be
    personal; ``None`` values are skipped, non-strings are converted with ``str``.
    ``conversation`` fixes the pseudonymisation scope; by default it is the
    conversation made current with ``with Conversation():``, else the scope of
    the response this call continues (``previous_response_id``, or the
    server-side ``conversation``), else a fresh scope per call.  ``policy`` overrides actions per entity type.

    Fails closed: if pseudonymisation fails, nothing is sent and
    :class:`PseudonymisationError` is raised.
    """
    module = getattr(target, "__module__", None) or ""
    if _is_langchain(target):  # ChatOpenAI(...), a chain, chain.invoke (langchain never imported here)
        from .adapters.langchain_sdk import protect as _protect_langchain

        return _protect_langchain(target, known=known, conversation=conversation, policy=policy)
    if module == "litellm" or module.startswith("litellm."):  # litellm.completion, ... (never imported here)
        from .adapters.litellm_sdk import protect as _protect_litellm

        return _protect_litellm(target, known=known, conversation=conversation, policy=policy)
    if (module == "agents" or module.startswith("agents.")) and getattr(target, "__name__", "") in (
            "run", "run_sync", "run_streamed"):  # the Agents SDK's Runner.run, ...
        from .adapters.agents_sdk import protect as _protect_agents

        return _protect_agents(target, known=known, conversation=conversation, policy=policy)
    from .adapters.openai_sdk import protect as _protect

    return _protect(target, known=known, conversation=conversation, policy=policy)


def _is_langchain(target: Any) -> bool:
    """A LangChain object (also of a subclass the application defines) or a bound method of one."""
    owner = target.__self__ if isinstance(target, MethodType) else target
    return any((getattr(c, "__module__", None) or "").startswith("langchain") for c in type(owner).__mro__)


def _protect_openai(
    target: T,
    *,
    known: Optional[Mapping[str, Any]] = None,
    conversation: Optional[Conversation] = None,
    policy: Optional[Mapping[str, Action]] = None,
) -> T:
    from .adapters.openai_sdk import protect as _protect

    return _protect(target, known=known, conversation=conversation, policy=policy)


# Conversation.protect() uses the OpenAI adapter (it does not dispatch LiteLLM functions).
set_protect(_protect_openai)
