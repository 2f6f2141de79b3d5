"""Protect LangChain's OpenAI models: ``protect(ChatOpenAI(...), known=...)``.

``ChatOpenAI``, ``AzureChatOpenAI``, ``OpenAIEmbeddings``, ``AzureOpenAIEmbeddings``
and ``OpenAI`` (``langchain_openai``) send every request through the ``openai``
clients they hold (``root_client`` / ``client`` and ``root_async_client`` /
``async_client``).  The protected model is a copy of the model whose clients are
protected OpenAI clients (:mod:`.openai_sdk`): requests are pseudonymised and
replies re-identified on the wire, so everything LangChain does on top keeps
working unchanged -- ``invoke``, ``ainvoke``, ``stream``, ``astream``, ``batch``,
``bind_tools`` and tool calls, ``with_structured_output``, LCEL pipes -- and the
copy is still a LangChain ``Runnable`` of the same class.

A chain (``prompt | model | parser``, ``model.bind_tools(...)``, a runnable
with fallbacks, ...) is protected by copying the path from the chain down to
each OpenAI model it holds in its fields; the caller's objects are never
changed.  A chain in which no OpenAI model can be found raises ``TypeError``
rather than sending unprotected requests.

A bound method (``protect(chain.invoke)``) protects its object and returns the
same method of the protected copy.

``OpenAIEmbeddings`` by default sends token ids (``check_embedding_ctx_length``)
instead of text: token ids of a name are the name, and cannot be pseudonymised,
so the protected copy sends the text.

``langchain`` is never imported here: a model is recognised by the clients it
holds.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Dict, Mapping, Optional, Set, Tuple, TypeVar

from ..config import Action
from ..vault import Conversation
from .openai_sdk import protect as protect_openai

__all__ = ["protect", "is_langchain_object"]

T = TypeVar("T")

#: (the root client field, the resource field) of a LangChain OpenAI model, sync then async.
CLIENT_FIELDS = (("root_client", "client"), ("root_async_client", "async_client"))
_MAX_DEPTH = 64
_MAX_ITEMS = 256


def is_langchain_object(target: Any) -> bool:
    """A LangChain object, or a bound method of one (by module: langchain is never imported)."""
    owner = target.__self__ if inspect.ismethod(target) else target
    return any((getattr(c, "__module__", None) or "").startswith("langchain") for c in type(owner).__mro__)


def _is_client(obj: Any) -> bool:
    return callable(getattr(obj, "with_options", None)) and hasattr(obj, "base_url") and hasattr(obj, "_client")


def _is_resource(obj: Any) -> bool:
    return not _is_client(obj) and _is_client(getattr(obj, "_client", None))


def is_openai_model(obj: Any) -> bool:
    """Does ``obj`` hold an OpenAI client or resource in one of the client fields?"""
    fields = getattr(type(obj), "model_fields", None)
    if not isinstance(fields, dict):
        return False
    # declared fields only: a binding (`model.bind_tools(...)`) hands its model's attributes through
    for root_field, resource_field in CLIENT_FIELDS:
        if root_field in fields and _is_client(getattr(obj, root_field, None)):
            return True
        if resource_field in fields and (_is_client(getattr(obj, resource_field, None))
                                         or _is_resource(getattr(obj, resource_field, None))):
            return True
    return False


class _Protector:
    def __init__(self, known: Optional[Mapping[str, Any]], conversation: Optional[Conversation],
                 policy: Optional[Mapping[str, Action]]) -> None:
        self.known = known
        self.conversation = conversation
        self.policy = policy
        self.models = 0
        self.done: Dict[int, Any] = {}  # id of a model -> its protected copy (one copy per model)

    def client(self, client: Any) -> Any:
        return protect_openai(client, known=self.known, conversation=self.conversation, policy=self.policy)

    def model(self, model: Any) -> Any:
        updates: Dict[str, Any] = {}
        fields = type(model).model_fields
        for root_field, resource_field in CLIENT_FIELDS:
            root: Any = getattr(model, root_field, None) if root_field in fields else None
            resource: Any = getattr(model, resource_field, None) if resource_field in fields else None
            protected_root = None
            if _is_client(root):
                protected_root = updates[root_field] = self.client(root)
            if _is_client(resource):  # a model that keeps the client itself in `client`
                updates[resource_field] = protected_root if resource is root else self.client(resource)
            elif _is_resource(resource):
                base = resource._client
                new_base = protected_root if base is root and protected_root is not None else self.client(base)
                updates[resource_field] = type(resource)(new_base)
        if getattr(model, "check_embedding_ctx_length", False) is True:
            updates["check_embedding_ctx_length"] = False  # send text, which can be pseudonymised, not token ids
        self.models += 1
        return model.model_copy(update=updates)

    def walk(self, obj: Any, depth: int, seen: Set[int]) -> Tuple[Any, bool]:
        """``obj`` with every OpenAI model in it protected (copies along the way); changed?

        Followed: the fields of pydantic objects, the attributes of LangChain's own
        plain objects (a vector store's embeddings), lists, tuples and dicts (up to
        :data:`_MAX_ITEMS` items: a document store is not searched), and bound methods
        of a model (``embedding_function=embeddings.embed_query``)."""
        if depth > _MAX_DEPTH or obj is None or isinstance(obj, (str, bytes, int, float, type)):
            return obj, False
        key = id(obj)
        if key in self.done:
            return self.done[key], True
        if key in seen:
            return obj, False
        if is_openai_model(obj):
            new = self.done[key] = self.model(obj)
            return new, True
        seen = seen | {key}
        if inspect.ismethod(obj):
            owner, found = self.walk(obj.__self__, depth + 1, seen)
            return (getattr(owner, obj.__name__), True) if found else (obj, False)
        if isinstance(obj, (list, tuple)):
            if len(obj) > _MAX_ITEMS:
                return obj, False
            items = [self.walk(v, depth + 1, seen) for v in obj]
            if not any(c for _, c in items) or (isinstance(obj, tuple) and type(obj) is not tuple):
                return obj, False
            values = [v for v, _ in items]
            return (values if isinstance(obj, list) else tuple(values)), True
        if isinstance(obj, dict):
            if len(obj) > _MAX_ITEMS:
                return obj, False
            changed: Dict[Any, Any] = {}
            for k, v in obj.items():
                new, c = self.walk(v, depth + 1, seen)
                if c:
                    changed[k] = new
            return ({**obj, **changed}, True) if changed else (obj, False)
        fields = getattr(type(obj), "model_fields", None)
        if isinstance(fields, dict) and callable(getattr(obj, "model_copy", None)):
            updates = {}
            for name in fields:
                new, c = self.walk(getattr(obj, name, None), depth + 1, seen)
                if c:
                    updates[name] = new
            return (obj.model_copy(update=updates), True) if updates else (obj, False)
        attrs = getattr(obj, "__dict__", None)
        if isinstance(attrs, dict) and is_langchain_object(obj) and len(attrs) <= _MAX_ITEMS:
            replaced: Dict[str, Any] = {}
            for name, value in list(attrs.items()):
                new, c = self.walk(value, depth + 1, seen)
                if c:
                    replaced[name] = new
            if replaced:
                copied = copy.copy(obj)
                copied.__dict__.update(replaced)
                return copied, True
        return obj, False


def protect(
    target: T,
    *,
    known: Optional[Mapping[str, Any]] = None,
    conversation: Optional[Conversation] = None,
    policy: Optional[Mapping[str, Action]] = None,
) -> T:
    if inspect.ismethod(target):  # protect(chain.invoke): the same method of the protected chain
        owner = protect(target.__self__, known=known, conversation=conversation, policy=policy)
        return getattr(owner, target.__name__)  # type: ignore[no-any-return]
    protector = _Protector(known, conversation, policy)
    new, _ = protector.walk(target, 0, set())
    if not protector.models:
        raise TypeError(
            "protect() found no OpenAI model (ChatOpenAI, AzureChatOpenAI, OpenAIEmbeddings, ...) with its "
            f"openai client in {type(target).__name__}; protect the model where it is built: "
            "protect(ChatOpenAI(...))"
        )
    return new  # type: ignore[no-any-return]
