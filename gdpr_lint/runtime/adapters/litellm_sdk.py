"""Protect LiteLLM calls: ``protect(litellm.completion, known=...)``.

LiteLLM builds its own provider clients, so there is no HTTP client to hook as
for the OpenAI SDK.  This adapter works on objects instead:

* the request arguments (``messages`` in string and content-part form, tool
  results, ``input``, ``prompt``, ``instructions``, ``tools``, ``metadata``,
  ``extra_body`` ...) are copied and pseudonymised with the same walker as the
  OpenAI request bodies; provider settings (``model``, ``api_base``,
  ``api_key``, headers ...) are only checked for known personal values, and
  ``user`` / ``safety_identifier`` / ``prompt_cache_key`` become
  :func:`~gdpr_lint.runtime.pseudonymous_id` values when they carry personal
  data.  The caller's own lists and dicts are never modified;
* the returned ``ModelResponse``, ``TextCompletionResponse``,
  ``EmbeddingResponse`` or ``ResponsesAPIResponse`` is re-identified in place
  (tool-call ``arguments`` and structured output inside their JSON values);
* a stream (``stream=True``) stays the same object, whose chunks or Responses
  events are re-identified with the hold-back buffer of the OpenAI streaming
  path, so a pseudonym split over chunks is never shown half-replaced.

Fails closed like the OpenAI path: if the request cannot be pseudonymised (an
argument that cannot be inspected, a known value in a provider setting, a
detector error) LiteLLM is not called and :class:`PseudonymisationError` is
raised.  ``litellm`` is never imported here: the target is recognised by its
``__module__``.
"""

from __future__ import annotations

import collections
import copy
import enum
import functools
import inspect
import json
import sys
import time
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Tuple, TypeVar

from .. import audit, config
from ..config import Action
from ..errors import PseudonymisationError
from ..stream import STRUCTURAL_KEYS, ResponsesHandler, TokenStream, escape_for, reidentifier
from ..vault import Conversation
from .common import ID_KEYS, Binding, CallContext, RequestPseudonymiser, asks_for_json

__all__ = ["protect", "is_litellm_function", "is_router", "FUNCTIONS"]

T = TypeVar("T")

#: The LiteLLM functions that can be protected, and whose signature describes their arguments.
FUNCTIONS = {
    "completion": "completion",
    "acompletion": "acompletion",
    "text_completion": "text_completion",
    "atext_completion": "text_completion",
    "embedding": "embedding",
    "aembedding": "embedding",
    "responses": "responses",
    "aresponses": "responses",
}
#: Provider settings: never rewritten, only checked for known personal values.
CONFIG_ARGS = frozenset(
    {
        "model", "api_base", "base_url", "api_key", "api_version", "custom_llm_provider", "organization",
        "deployment_id", "timeout", "headers", "extra_headers", "num_retries", "max_retries", "client",
        "encoding_format", "input_type", "dimensions", "stream", "stream_options", "region_name",
        "model_list", "mock_response", "mock_tool_calls", "logger_fn", "reasoning_effort", "service_tier",
        "tool_choice", "parallel_tool_calls", "modalities", "previous_response_id", "include", "truncation",
    }
)
CONFIG_PREFIXES = ("aws_", "vertex_", "litellm_", "azure_", "api_", "watsonx_", "proxy_")
#: Arguments that carry the content: everything inside must be inspectable.
CONTENT_ARGS = frozenset(
    {"messages", "input", "prompt", "instructions", "tools", "functions", "extra_body", "metadata", "text",
     "prediction", "suffix"}
)
_ATTR = "_gdpr_lint_litellm"


def is_litellm_function(target: Any) -> bool:
    module = getattr(target, "__module__", None) or ""
    return callable(target) and not isinstance(target, type) and (module == "litellm" or module.startswith("litellm."))


# ---------------------------------------------------------------------------
# request arguments


def _plain(value: Any, strict: bool, where: str) -> Any:
    """A fresh JSON-like copy of ``value`` (pydantic objects dumped), safe to rewrite."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, Mapping):
        return {k: _plain(v, strict, where) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, strict, where) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return _plain(dump(exclude_none=True), strict, where)
    if strict:
        raise PseudonymisationError(
            f"`{where}` contains a {type(value).__name__} that cannot be inspected for personal data; nothing was sent"
        )
    return value


def _is_config(name: str) -> bool:
    return name in CONFIG_ARGS or name.startswith(CONFIG_PREFIXES)


class _Arguments:
    """Pseudonymise the arguments of one LiteLLM call."""

    def __init__(self, ctx: CallContext) -> None:
        self.p = RequestPseudonymiser(ctx)
        self.json_mode = False

    def value(self, name: Optional[str], value: Any) -> Any:
        if name is not None and _is_config(name):
            if isinstance(value, str):
                self.p.leak_check(value, f"the argument {name!r}")
            elif isinstance(value, (Mapping, list, tuple)):
                self.p.leak_check(json.dumps(_plain(value, False, name), ensure_ascii=False, default=repr),
                                  f"the argument {name!r}")
            return value
        if name == "response_format" and isinstance(value, type):
            self.json_mode = True  # a pydantic class: LiteLLM asks for a JSON schema
            return value
        if not isinstance(value, (str, Mapping, list, tuple)) and not hasattr(value, "model_dump"):
            return value  # numbers, flags, callables, classes: nothing to pseudonymise
        strict = name is None or name in CONTENT_ARGS
        plain = _plain(value, strict, name or "a positional argument")
        if name in ("response_format", "text") and asks_for_json({name: plain}):
            self.json_mode = True
        if isinstance(plain, str) and name in ID_KEYS:
            return self.p.identifier(plain, name)
        if isinstance(plain, (str, dict, list)):
            return self.p.walk(plain, name, (name,) if name else ())
        return plain


def _signature(target: Any, name: str) -> Optional[inspect.Signature]:
    litellm = sys.modules.get("litellm")
    ref = getattr(litellm, FUNCTIONS.get(name, name), None) if litellm is not None else None
    for fn in (ref, target):
        if fn is None:
            continue
        try:
            sig = inspect.signature(fn)
        except (TypeError, ValueError):
            continue
        if any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in sig.parameters.values()):
            return sig
    return None


def _pseudonymise_call(target: Any, name: str, ctx: CallContext, args: Tuple[Any, ...],
                       kwargs: Dict[str, Any]) -> Tuple[Tuple[Any, ...], Dict[str, Any], bool]:
    endpoint = f"litellm.{name}"
    start = time.perf_counter()
    work = _Arguments(ctx)
    try:
        sig = _signature(target, name)
        bound = None
        if sig is not None:
            try:
                bound = sig.bind_partial(*args, **kwargs)
            except TypeError:
                bound = None
        if bound is None:  # unknown shape: every positional argument is content
            new_args = tuple(work.value(None, a) for a in args)
            new_kwargs = {k: work.value(k, v) for k, v in kwargs.items()}
        else:
            for pname, value in list(bound.arguments.items()):
                kind = sig.parameters[pname].kind  # type: ignore[union-attr]
                if kind is inspect.Parameter.VAR_KEYWORD:
                    bound.arguments[pname] = {k: work.value(k, v) for k, v in value.items()}
                elif kind is inspect.Parameter.VAR_POSITIONAL:
                    bound.arguments[pname] = tuple(work.value(None, v) for v in value)
                else:
                    bound.arguments[pname] = work.value(pname, value)
            new_args, new_kwargs = tuple(bound.args), dict(bound.kwargs)
    except PseudonymisationError as exc:
        audit.emit("blocked", audit.WARNING, call_site=ctx.call_site, endpoint=endpoint,
                   conversation=ctx.conversation.fingerprint, reason=str(exc), key_id=config.key_id())
        raise
    except Exception as exc:
        audit.emit("blocked", audit.WARNING, call_site=ctx.call_site, endpoint=endpoint,
                   conversation=ctx.conversation.fingerprint, reason=type(exc).__name__, key_id=config.key_id())
        raise PseudonymisationError(f"pseudonymisation of {endpoint} failed ({type(exc).__name__}); nothing was sent") from exc
    if audit.enabled():
        audit.emit("request", call_site=ctx.call_site, endpoint=endpoint, conversation=ctx.conversation.fingerprint,
                   latency_ms=round((time.perf_counter() - start) * 1000, 3), key_id=config.key_id(),
                   **audit.summarise(work.p.findings or []))
    return new_args, new_kwargs, work.json_mode


# ---------------------------------------------------------------------------
# response objects


def _is_model(obj: Any) -> bool:
    return not isinstance(obj, type) and hasattr(type(obj), "model_fields") and hasattr(obj, "__dict__")


def _fields(obj: Any) -> List[Tuple[str, Any, Dict[str, Any]]]:
    """(name, value, the dict that holds it) for the public fields of a pydantic object."""
    out = [(k, v, obj.__dict__) for k, v in list(obj.__dict__.items()) if not k.startswith("_")]
    extra = getattr(obj, "__pydantic_extra__", None)
    if isinstance(extra, dict):
        out += [(k, v, extra) for k, v in list(extra.items()) if not k.startswith("_")]
    return out


def reidentify_object(conv: Conversation, obj: Any, json_mode: bool = False, key: Optional[str] = None,
                      _seen: Optional[set] = None) -> Tuple[Any, int]:
    """Re-identify every string in a response object (pydantic models, dicts, lists), in place."""
    if isinstance(obj, str):
        if "[[" not in obj or isinstance(obj, enum.Enum):
            return obj, 0
        return conv.reidentify_count(obj, json=escape_for(key, json_mode))
    seen = _seen if _seen is not None else set()
    if id(obj) in seen:
        return obj, 0
    total = 0
    if isinstance(obj, dict):
        seen.add(id(obj))
        for k, v in list(obj.items()):
            new, n = reidentify_object(conv, v, json_mode, k if isinstance(k, str) else key, seen)
            if n:
                obj[k] = new
                total += n
    elif isinstance(obj, list):
        seen.add(id(obj))
        for i, v in enumerate(obj):
            new, n = reidentify_object(conv, v, json_mode, key, seen)
            if n:
                obj[i] = new
                total += n
    elif isinstance(obj, tuple):
        items = [reidentify_object(conv, v, json_mode, key, seen) for v in obj]
        total = sum(n for _, n in items)
        if total:
            obj = type(obj)(v for v, _ in items) if type(obj) is tuple else obj
    elif _is_model(obj):
        seen.add(id(obj))
        for k, v, holder in _fields(obj):
            new, n = reidentify_object(conv, v, json_mode, k, seen)
            if n:
                holder[k] = new
                total += n
    return obj, total


# ---------------------------------------------------------------------------
# streams


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _set(obj: Any, name: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[name] = value
        return
    extra = getattr(obj, "__pydantic_extra__", None)
    if isinstance(extra, dict) and name in extra:
        extra[name] = value
    elif hasattr(obj, "__dict__") and (name in obj.__dict__ or _is_model(obj)):
        obj.__dict__[name] = value
    else:
        setattr(obj, name, value)


def _items(obj: Any) -> List[Tuple[str, Any]]:
    if isinstance(obj, dict):
        return [(k, v) for k, v in obj.items() if isinstance(k, str)]
    if _is_model(obj):
        return [(k, v) for k, v, _ in _fields(obj)]
    return []


def _blank(obj: Any) -> Any:
    """A copy of ``obj`` without its text (for a chunk that only carries flushed text)."""
    new = copy.deepcopy(obj)
    for k, v in _items(new):
        if k in ("index", "type") or isinstance(v, (bool, int, float)):
            continue
        _set(new, k, None)
    return new


class _ChatChunks:
    """Chat (and text) completion chunks: one hold-back buffer per choice and text field."""

    def __init__(self, conv: Conversation, json_mode: bool) -> None:
        self.conv = conv
        self.json_mode = json_mode
        self.buffers: Dict[Tuple[Any, ...], TokenStream] = {}
        self.templates: Dict[Tuple[Any, ...], Any] = {}
        self.last: Any = None
        self.count = 0

    def _stream(self, key: Tuple[Any, ...], escape: bool) -> TokenStream:
        ts = self.buffers.get(key)
        if ts is None:
            ts = self.buffers[key] = TokenStream(reidentifier(self.conv, escape))
        return ts

    def _walk(self, node: Any, path: Tuple[Any, ...]) -> None:
        self.templates[path] = node
        for k, v in _items(node):
            if k in STRUCTURAL_KEYS or v is None:
                continue
            if isinstance(v, str):
                if not isinstance(v, enum.Enum):
                    _set(node, k, self._stream(path + (k,), escape_for(k, self.json_mode)).feed(v))
            elif isinstance(v, list):
                for pos, item in enumerate(v):
                    if isinstance(item, dict) or _is_model(item):
                        idx = _get(item, "index")
                        self._walk(item, path + (k, ("i", pos if idx is None else idx)))
            elif isinstance(v, dict) or _is_model(v):
                self._walk(v, path + (k,))

    def _payload(self, choice: Any) -> Any:
        delta = _get(choice, "delta")
        return delta if delta is not None else choice

    def _place(self, payload: Any, path: Tuple[Any, ...], rest: str) -> None:
        """Append ``rest`` at ``path`` (relative to the choice payload), creating what is missing."""
        node = payload
        prefix = path[:1]
        steps = path[1:]
        for i, step in enumerate(steps[:-1]):
            nxt = steps[i + 1]
            if isinstance(step, tuple):
                prefix += (step,)
                continue
            prefix += (step,)
            if isinstance(nxt, tuple):
                lst = _get(node, step)
                if not isinstance(lst, list):
                    lst = []
                    _set(node, step, lst)
                found = None
                for pos, item in enumerate(lst):
                    idx = _get(item, "index")
                    if (pos if idx is None else idx) == nxt[1]:
                        found = item
                        break
                if found is None:
                    found = _blank(self.templates[prefix + (nxt,)])
                    lst.append(found)
                node = found
            else:
                child = _get(node, step)
                if child is None:
                    child = _blank(self.templates[prefix])
                    _set(node, step, child)
                node = child
        last = steps[-1]
        current = _get(node, last)
        _set(node, last, (current if isinstance(current, str) else "") + rest)

    def _flush_choice(self, idx: Any, payload: Any) -> None:
        for key, ts in self.buffers.items():
            if key[0] == idx and ts.pending:
                self._place(payload, (idx,) + key[1:], ts.flush())

    def event(self, chunk: Any) -> List[Any]:
        choices = _get(chunk, "choices")
        if not isinstance(choices, list):
            return [self.whole(chunk)]
        self.last = chunk
        for pos, choice in enumerate(choices):
            idx = _get(choice, "index")
            idx = pos if idx is None else idx
            self.templates[("choice", idx)] = choice
            self._walk(self._payload(choice), (idx,))
            if _get(choice, "finish_reason") is not None:
                self._flush_choice(idx, self._payload(choice))
        return [chunk]

    def whole(self, obj: Any) -> Any:
        obj, n = reidentify_object(self.conv, obj, self.json_mode)
        self.count += n
        return obj

    def end(self) -> List[Any]:
        pending = sorted({key[0] for key, ts in self.buffers.items() if ts.pending}, key=repr)
        if not pending or self.last is None:
            return []
        chunk = copy.deepcopy(self.last)
        choices = []
        for idx in pending:
            template = self.templates[("choice", idx)]
            choice = _blank(template)
            _set(choice, "index", idx)
            payload = choice
            if _get(template, "delta") is not None:
                payload = _blank(_get(template, "delta"))
                _set(choice, "delta", payload)
            self._flush_choice(idx, payload)
            choices.append(choice)
        _set(chunk, "choices", choices)
        return [chunk]

    def total(self) -> int:
        return self.count + sum(ts.count for ts in self.buffers.values())


def _value(v: Any) -> Any:
    return v.value if isinstance(v, enum.Enum) else v


class _ResponsesEvents:
    """Responses API streaming events, as objects: the rules of :class:`ResponsesHandler`."""

    def __init__(self, conv: Conversation, json_mode: bool) -> None:
        self.conv = conv
        self.json_mode = json_mode
        self.buffers: Dict[Tuple[Any, ...], TokenStream] = {}
        self.last: Dict[Tuple[Any, ...], Any] = {}
        self.count = 0

    def _key(self, ev: Any, base: str) -> Tuple[Any, ...]:
        return (base, _get(ev, "item_id"), _get(ev, "output_index"), _get(ev, "content_index"), _get(ev, "summary_index"))

    def _synthetic(self, key: Tuple[Any, ...]) -> Any:
        ev = copy.deepcopy(self.last[key])
        _set(ev, "delta", self.buffers[key].flush())
        if isinstance(_get(ev, "logprobs"), list):
            _set(ev, "logprobs", [])
        return ev

    def event(self, ev: Any) -> List[Any]:
        t = _value(_get(ev, "type"))
        delta = _get(ev, "delta")
        if isinstance(t, str) and t.endswith(".delta") and isinstance(delta, str):
            base = t[: -len(".delta")]
            key = self._key(ev, base)
            escape = "arguments" in base or (self.json_mode and base == "response.output_text")
            ts = self.buffers.get(key)
            if ts is None:
                ts = self.buffers[key] = TokenStream(reidentifier(self.conv, escape))
            _set(ev, "delta", ts.feed(delta))
            self.last[key] = ev
            return [ev]
        view = {"type": t, **{k: _get(ev, k) for k in ("item_id", "output_index", "content_index", "summary_index")}}
        if view["item_id"] is None:
            del view["item_id"]
        out = [self._synthetic(key) for key, ts in self.buffers.items() if ts.pending and ResponsesHandler.closes(view, key)]
        obj, n = reidentify_object(self.conv, ev, self.json_mode)
        self.count += n
        out.append(obj)
        return out

    def end(self) -> List[Any]:
        return [self._synthetic(key) for key, ts in self.buffers.items() if ts.pending]

    def total(self) -> int:
        return self.count + sum(ts.count for ts in self.buffers.values())


class _StreamState:
    def __init__(self, handler: Any, on_done: Callable[[int], None]) -> None:
        self.handler = handler
        self.queue: Deque[Any] = collections.deque()
        self.done = False
        self.on_done = on_done

    def finish(self) -> bool:
        """At the end of the source: queue what the buffers still hold; True if anything was queued."""
        if not self.done:
            self.done = True
            self.queue.extend(self.handler.end())
            self.on_done(self.handler.total())
        return bool(self.queue)


_STATE = "_gdpr_lint_stream"
_stream_classes: Dict[type, type] = {}


def _stream_class(base: type) -> type:
    cls = _stream_classes.get(base)
    if cls is not None:
        return cls

    def __next__(self: Any) -> Any:  # noqa: N807
        state: _StreamState = self.__dict__[_STATE]
        if state.queue:
            return state.queue.popleft()
        if not state.done:
            try:
                item = base.__next__(self)  # type: ignore[attr-defined]
            except StopIteration:
                if state.finish():
                    return state.queue.popleft()
                raise
            out = state.handler.event(item)
            state.queue.extend(out[1:])
            return out[0]
        raise StopIteration

    async def __anext__(self: Any) -> Any:  # noqa: N807
        state: _StreamState = self.__dict__[_STATE]
        if state.queue:
            return state.queue.popleft()
        if not state.done:
            try:
                item = await base.__anext__(self)  # type: ignore[attr-defined]
            except StopAsyncIteration:
                if state.finish():
                    return state.queue.popleft()
                raise
            out = state.handler.event(item)
            state.queue.extend(out[1:])
            return out[0]
        raise StopAsyncIteration

    ns: Dict[str, Any] = {"__module__": base.__module__, "__qualname__": base.__qualname__}
    if hasattr(base, "__next__"):
        ns["__next__"] = __next__
    if hasattr(base, "__anext__"):
        ns["__anext__"] = __anext__
    cls = _stream_classes[base] = type(base.__name__, (base,), ns)
    return cls


def _wrap_stream(stream: Any, handler: Any, on_done: Callable[[int], None]) -> Any:
    """Re-identify a LiteLLM stream in place: same object, same type (a subclass of it)."""
    base = type(stream)
    try:
        stream.__dict__[_STATE] = _StreamState(handler, on_done)
        stream.__class__ = _stream_class(base)
    except (TypeError, AttributeError) as exc:
        raise PseudonymisationError(
            f"the reply stream ({base.__name__}) cannot be re-identified; it was not read"
        ) from exc
    return stream


def _is_stream(result: Any) -> bool:
    return not _is_model(result) and (hasattr(type(result), "__next__") or hasattr(type(result), "__anext__"))


# ---------------------------------------------------------------------------
# routers


def is_router(target: Any) -> bool:
    """A ``litellm.Router`` (by class name and module: litellm is never imported here)."""
    return not isinstance(target, type) and any(
        c.__name__ == "Router" and (c.__module__ or "").startswith("litellm") for c in type(target).__mro__)


def _protect_router(router: T, **binding: Any) -> T:
    """A second ``Router`` over the same deployments, state and caches (a shallow copy of its
    instance dictionary; the caller's router is not changed) whose request methods of
    :data:`FUNCTIONS` are protected.  Other methods (images, audio, batches) are the
    router's own and are not protected."""
    new = object.__new__(type(router))
    attrs = new.__dict__
    attrs.update(router.__dict__)
    for name in FUNCTIONS:
        try:
            method = getattr(router, name)
        except AttributeError:
            continue
        attrs[name] = protect(method, **binding)  # set in the instance: the router's __setattr__ is not used
    return new


# ---------------------------------------------------------------------------
# protect()


def _finish(name: str, ctx: CallContext, json_mode: bool, result: Any) -> Any:
    start = time.perf_counter()
    endpoint = f"litellm.{name}"

    def report(count: int) -> None:
        if audit.enabled():
            audit.emit("response", call_site=ctx.call_site, endpoint=endpoint, conversation=ctx.conversation.fingerprint,
                       reidentified=count, latency_ms=round((time.perf_counter() - start) * 1000, 3))

    if _is_stream(result):
        handler = (_ResponsesEvents if FUNCTIONS.get(name) == "responses" else _ChatChunks)(ctx.conversation, json_mode)
        return _wrap_stream(result, handler, report)
    result, count = reidentify_object(ctx.conversation, result, json_mode)
    report(count)
    return result


def protect(
    target: T,
    *,
    known: Optional[Mapping[str, Any]] = None,
    conversation: Optional[Conversation] = None,
    policy: Optional[Mapping[str, Action]] = None,
) -> T:
    if is_router(target):
        return _protect_router(target, known=known, conversation=conversation, policy=policy)
    binding = Binding.from_arguments(known, conversation, policy)
    inner = getattr(target, _ATTR, None)
    if inner is not None:  # protecting a protected function: pseudonymise once, with both bindings
        target, base = inner
        binding = binding.merged_over(base)
    name = getattr(target, "__name__", "")
    if name not in FUNCTIONS:
        raise TypeError(
            "protect() supports the LiteLLM functions " + ", ".join(f"litellm.{f}" for f in FUNCTIONS)
            + f"; got {getattr(target, '__module__', '')}.{name or repr(target)}"
        )
    fn: Any = target

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def protected_async(*args: Any, **kwargs: Any) -> Any:
            ctx = binding.context(audit.call_site(1))
            new_args, new_kwargs, json_mode = _pseudonymise_call(fn, name, ctx, args, kwargs)
            result = await fn(*new_args, **new_kwargs)
            return _finish(name, ctx, json_mode, result)

        setattr(protected_async, _ATTR, (fn, binding))
        return protected_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def protected(*args: Any, **kwargs: Any) -> Any:
        ctx = binding.context(audit.call_site(1))
        new_args, new_kwargs, json_mode = _pseudonymise_call(fn, name, ctx, args, kwargs)
        result = fn(*new_args, **new_kwargs)
        if inspect.isawaitable(result):  # e.g. responses(..., aresponses=True)

            async def finish_later() -> Any:
                return _finish(name, ctx, json_mode, await result)

            return finish_later()
        return _finish(name, ctx, json_mode, result)

    setattr(protected, _ATTR, (fn, binding))
    return protected  # type: ignore[return-value]
