"""Wrap OpenAI request methods and clients so that requests carry pseudonyms.

How it works: the protected call runs on a copy of the caller's client
(``client.with_options(http_client=...)``) whose HTTP client hands every
request to a pseudonymising transport, which then sends it through the
caller's own HTTP client (same connection pool, proxies, TLS settings).  The
transport

* pseudonymises the JSON request body -- every string value except
  protocol fields (``model``, ``role``, ``type``, ids); JSON text such as
  tool arguments inside its values, text data URLs and base64 text files
  after decoding -- and refuses to send if a known personal value would
  still go out; multipart uploads go through ``openai_files``; the caller's
  header values are pseudonymised, personal data in query values refused;
* re-identifies the JSON response body, or rewrites the Server-Sent Events of
  a streamed response with a hold-back buffer.

Because the SDK itself parses the re-identified bytes, every return type is
unchanged and correct: ``ChatCompletion``, ``parse()`` results, ``Stream``,
``ChatCompletionStreamManager``, ``ResponseStreamManager``, raw responses
(``with_raw_response``) and ``with_streaming_response``.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, TypeVar

from .. import audit, config, scopes
from ..config import Action
from ..errors import PseudonymisationError
from ..stream import SSERewriter, handler_for, reidentify_obj
from ..vault import Conversation, Finding
from .common import Binding, CallContext, RequestPseudonymiser, asks_for_json
from .openai_files import BatchScopes, is_file_content, pseudonymise_multipart, reidentify_batch_output
from .openai_realtime import guard_resources

__all__ = ["protect"]

T = TypeVar("T")


# ---------------------------------------------------------------------------
# per-call context


@dataclass
class _Fixed:
    """A binding whose call context was made when the protected method was called."""

    ctx: CallContext
    binding: Binding

    def context(self, call_site: Optional[str] = None, links: Tuple[str, ...] = ()) -> CallContext:
        return self.ctx


_NOT_PARSED = object()


# ---------------------------------------------------------------------------
# the transport (sync and async share everything but I/O)


def _httpx_module(client: Any) -> Any:
    for cls in type(client).__mro__:
        root = cls.__module__.split(".")[0]
        if root in ("httpx", "httpx2"):
            return sys.modules[root]
    raise PseudonymisationError(
        f"unsupported HTTP client {type(client).__name__}: expected an httpx or httpx2 client"
    )


def _strip(headers: Any, *names: str) -> Any:
    h = headers.copy()
    for n in names:
        if n in h:
            del h[n]
    return h


#: Headers the SDK and the HTTP client set themselves; every other header
#: (``extra_headers``, ``default_headers``) is the caller's and is pseudonymised.
_OWN_HEADERS = frozenset({
    "host", "accept", "accept-encoding", "connection", "content-type", "content-length", "transfer-encoding",
    "user-agent", "authorization", "api-key", "openai-organization", "openai-project", "openai-beta",
    "idempotency-key",
})


def _outside_body(request: Any, p: RequestPseudonymiser, endpoint: str, mod: Any) -> Any:
    """Pseudonymise the caller's header values and refuse personal data in query values."""
    query = request.url.query
    if query:
        for k, v in request.url.params.multi_items():
            p.refuse_personal(k, f"the URL of {endpoint}")  # before k goes into a message
            if v and p.text(v) != v:
                # a query value is matched by the API (filters, ids): a pseudonym would change its meaning
                raise PseudonymisationError(
                    f"personal data appears in the query parameter {k!r} (extra_query) of {endpoint}, "
                    "which cannot be pseudonymised; nothing was sent"
                )
    changed = False
    items = []
    encoding = request.headers.encoding
    for k, v in request.headers.multi_items():
        if k not in _OWN_HEADERS and not k.startswith("x-stainless-") and v:
            new = p.text(v)
            if new != v:
                v, changed = new, True
        items.append((k.encode("ascii"), v.encode(encoding)))
    if not changed:
        return request
    return mod.Request(request.method, request.url, headers=items, content=request.content,
                       extensions=request.extensions)


class _Protection:
    """Shared request/response logic bound to an inner HTTP client."""

    def __init__(self, inner: Any, binding: Any, mod: Any, batches: BatchScopes) -> None:
        self.inner = inner
        self.binding = binding
        self.mod = mod
        self.batches = batches  # scopes of batch files uploaded through this protection

    def base_binding(self) -> Binding:
        b = self.binding
        return b.binding if isinstance(b, _Fixed) else b

    # -- request ------------------------------------------------------------

    def prepare(self, request: Any, body: bytes) -> Tuple[Any, CallContext, bool]:
        ctype = request.headers.get("content-type", "")
        decoded: Any = _NOT_PARSED
        if body and "json" in ctype:
            try:
                decoded = json.loads(body)
            except (ValueError, RecursionError):
                pass  # (refused below, once the call's context exists for the audit record)
        ctx = self.binding.context(audit.call_site(2), scopes.links_of(decoded))
        endpoint = f"{request.method} {request.url.path}"
        start = time.perf_counter()
        json_mode = False
        try:
            if ctx.known:
                from urllib.parse import unquote_plus

                hits = ctx.known.find(unquote_plus(str(request.url)))
                if hits:
                    raise PseudonymisationError(
                        f"a known personal value ({hits[0].type}) appears in the URL of {endpoint}, "
                        "which cannot be pseudonymised; nothing was sent"
                    )
            outside = RequestPseudonymiser(ctx)
            request = _outside_body(request, outside, endpoint, self.mod)  # its content-type is kept
            if not body:
                new_request = request
                findings: List[Finding] = []
            elif "json" in ctype:
                if decoded is _NOT_PARSED:
                    raise PseudonymisationError(f"the request body of {endpoint} is not valid JSON; nothing was sent")
                json_mode = asks_for_json(decoded)
                p = RequestPseudonymiser(ctx)
                new_obj = p.walk(decoded)
                findings = p.findings or []
                new_body = json.dumps(new_obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                headers = _strip(request.headers, "content-length")
                new_request = self.mod.Request(
                    request.method, request.url, headers=headers, content=new_body, extensions=request.extensions
                )
            elif ctype.startswith("multipart/form-data"):
                p = RequestPseudonymiser(ctx)
                new_body, unchecked = pseudonymise_multipart(body, ctype, ctx, p, self.batches, endpoint)
                findings = p.findings or []
                new_request = self.mod.Request(request.method, request.url, headers=_strip(request.headers, "content-length"),
                                               content=new_body, extensions=request.extensions)
                if unchecked:
                    audit.emit("unprotected_upload", audit.WARNING, call_site=ctx.call_site, endpoint=endpoint,
                               conversation=ctx.conversation.fingerprint)
            else:
                if not config.settings().allow_binary_uploads:
                    raise PseudonymisationError(
                        f"{endpoint} sends a {ctype.split(';')[0] or 'binary'} body that cannot be inspected for "
                        "personal data; nothing was sent (use an unprotected client for uploads, or "
                        "configure(allow_binary_uploads=True))"
                    )
                new_request = request
                findings = []
                audit.emit("unprotected_upload", audit.WARNING, call_site=ctx.call_site, endpoint=endpoint,
                           conversation=ctx.conversation.fingerprint)
        except PseudonymisationError as exc:
            audit.emit("blocked", audit.WARNING, call_site=ctx.call_site, endpoint=endpoint,
                       conversation=ctx.conversation.fingerprint, reason=str(exc), key_id=config.key_id())
            raise
        except Exception as exc:
            audit.emit("blocked", audit.WARNING, call_site=ctx.call_site, endpoint=endpoint,
                       conversation=ctx.conversation.fingerprint, reason=type(exc).__name__, key_id=config.key_id())
            raise PseudonymisationError(
                f"pseudonymisation of {endpoint} failed ({type(exc).__name__}); nothing was sent"
            ) from exc
        if audit.enabled():
            findings = findings + (outside.findings or [])
            audit.emit(
                "request",
                call_site=ctx.call_site,
                endpoint=endpoint,
                conversation=ctx.conversation.fingerprint,
                latency_ms=round((time.perf_counter() - start) * 1000, 3),
                key_id=config.key_id(),
                **audit.summarise(findings),
            )
        return new_request, ctx, json_mode

    # -- response -----------------------------------------------------------

    def _kind(self, response: Any) -> str:
        ctype = response.headers.get("content-type", "")
        if "text/event-stream" in ctype:
            return "sse"
        if "json" in ctype:
            return "json"
        return "raw"

    def rewrite_json(self, request: Any, response: Any, content: bytes, ctx: CallContext, json_mode: bool) -> Any:
        start = time.perf_counter()
        conv = ctx.conversation
        try:
            obj = json.loads(content)
        except ValueError:
            text, count = conv.reidentify_count(content.decode("utf-8", "replace"), json=True)
            new = text.encode("utf-8")
        else:
            if request.url.path.endswith("/responses") and isinstance(obj, dict) and isinstance(obj.get("id"), str):
                scopes.remember("response:" + obj["id"], conv)  # the next turn continues this scope
            obj, count = reidentify_obj(conv, obj, json_mode)
            new = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") if count else content
        self._audit_response(ctx, request, count, start)
        headers = _strip(response.headers, "content-length", "content-encoding", "transfer-encoding")
        return self.mod.Response(
            response.status_code, headers=headers, content=new, request=request, extensions=response.extensions
        )

    def rewrite_batch_output(self, request: Any, response: Any, content: bytes, ctx: CallContext) -> Any:
        start = time.perf_counter()
        new, count = reidentify_batch_output(content, self.batches)
        self._audit_response(ctx, request, count, start)
        headers = _strip(response.headers, "content-length", "content-encoding", "transfer-encoding")
        return self.mod.Response(
            response.status_code, headers=headers, content=new, request=request, extensions=response.extensions
        )

    def _audit_response(self, ctx: CallContext, request: Any, count: int, start: float) -> None:
        if audit.enabled():
            audit.emit(
                "response",
                call_site=ctx.call_site,
                endpoint=f"{request.method} {request.url.path}",
                conversation=ctx.conversation.fingerprint,
                reidentified=count,
                latency_ms=round((time.perf_counter() - start) * 1000, 3),
            )

    def sse_rewriter(self, request: Any, ctx: CallContext, json_mode: bool) -> SSERewriter:
        handler = handler_for(request.url.path, ctx.conversation, json_mode)
        handler.on_response = lambda rid: scopes.remember("response:" + rid, ctx.conversation)
        return SSERewriter(handler)


def _make_sync(mod: Any) -> Tuple[type, type, type]:
    class SSEStream(mod.SyncByteStream):  # type: ignore[misc]
        def __init__(self, prot: _Protection, request: Any, response: Any, ctx: CallContext, json_mode: bool) -> None:
            self._prot, self._request, self._response, self._ctx = prot, request, response, ctx
            self._rw = prot.sse_rewriter(request, ctx, json_mode)

        def __iter__(self) -> Any:
            start = time.perf_counter()
            try:
                for chunk in self._response.iter_bytes():
                    out = self._rw.feed(chunk)
                    if out:
                        yield out
                tail = self._rw.close()
            except BaseException:
                # the upstream dropped or re-identification failed: release the
                # connection before the error reaches the caller
                self._response.close()
                raise
            if tail:
                yield tail
            self._prot._audit_response(self._ctx, self._request, self._rw.handler.total(), start)

        def close(self) -> None:
            self._response.close()

    class RawStream(mod.SyncByteStream):  # type: ignore[misc]
        def __init__(self, response: Any) -> None:
            self._response = response

        def __iter__(self) -> Any:
            yield from self._response.iter_raw()

        def close(self) -> None:
            self._response.close()

    class Transport(mod.BaseTransport):  # type: ignore[misc]
        def __init__(self, prot: _Protection) -> None:
            self.prot = prot

        def handle_request(self, request: Any) -> Any:
            prot = self.prot
            new_request, ctx, json_mode = prot.prepare(request, request.read())
            response = prot.inner.send(new_request, stream=True, follow_redirects=False)
            if prot.batches and is_file_content(new_request.url.path):
                try:
                    content = response.read()
                finally:
                    response.close()
                return prot.rewrite_batch_output(new_request, response, content, ctx)
            kind = prot._kind(response)
            if kind == "json":
                try:
                    content = response.read()
                finally:
                    response.close()
                return prot.rewrite_json(new_request, response, content, ctx, json_mode)
            if kind == "sse":
                headers = _strip(response.headers, "content-length", "content-encoding", "transfer-encoding")
                return mod.Response(response.status_code, headers=headers, request=new_request,
                                    stream=SSEStream(prot, new_request, response, ctx, json_mode),
                                    extensions=response.extensions)
            return mod.Response(response.status_code, headers=response.headers, request=new_request,
                                stream=RawStream(response), extensions=response.extensions)

        def close(self) -> None:  # the inner client belongs to the caller
            pass

    return Transport, SSEStream, RawStream


def _make_async(mod: Any) -> Tuple[type, type, type]:
    class SSEStream(mod.AsyncByteStream):  # type: ignore[misc]
        def __init__(self, prot: _Protection, request: Any, response: Any, ctx: CallContext, json_mode: bool) -> None:
            self._prot, self._request, self._response, self._ctx = prot, request, response, ctx
            self._rw = prot.sse_rewriter(request, ctx, json_mode)

        async def __aiter__(self) -> Any:
            start = time.perf_counter()
            try:
                async for chunk in self._response.aiter_bytes():
                    out = self._rw.feed(chunk)
                    if out:
                        yield out
                tail = self._rw.close()
            except BaseException:
                await self._response.aclose()
                raise
            if tail:
                yield tail
            self._prot._audit_response(self._ctx, self._request, self._rw.handler.total(), start)

        async def aclose(self) -> None:
            await self._response.aclose()

    class RawStream(mod.AsyncByteStream):  # type: ignore[misc]
        def __init__(self, response: Any) -> None:
            self._response = response

        async def __aiter__(self) -> Any:
            async for chunk in self._response.aiter_raw():
                yield chunk

        async def aclose(self) -> None:
            await self._response.aclose()

    class Transport(mod.AsyncBaseTransport):  # type: ignore[misc]
        def __init__(self, prot: _Protection) -> None:
            self.prot = prot

        async def handle_async_request(self, request: Any) -> Any:
            prot = self.prot
            new_request, ctx, json_mode = prot.prepare(request, await request.aread())
            response = await prot.inner.send(new_request, stream=True, follow_redirects=False)
            if prot.batches and is_file_content(new_request.url.path):
                try:
                    content = await response.aread()
                finally:
                    await response.aclose()
                return prot.rewrite_batch_output(new_request, response, content, ctx)
            kind = prot._kind(response)
            if kind == "json":
                try:
                    content = await response.aread()
                finally:
                    await response.aclose()
                return prot.rewrite_json(new_request, response, content, ctx, json_mode)
            if kind == "sse":
                headers = _strip(response.headers, "content-length", "content-encoding", "transfer-encoding")
                return mod.Response(response.status_code, headers=headers, request=new_request,
                                    stream=SSEStream(prot, new_request, response, ctx, json_mode),
                                    extensions=response.extensions)
            return mod.Response(response.status_code, headers=response.headers, request=new_request,
                                stream=RawStream(response), extensions=response.extensions)

        async def aclose(self) -> None:  # the inner client belongs to the caller
            pass

    return Transport, SSEStream, RawStream


_transports: Dict[Tuple[str, bool], type] = {}

_ATTR = "_gdpr_lint_protection"


def _is_async_http(client: Any, mod: Any) -> bool:
    return isinstance(client, mod.AsyncClient)


def _wrap_http_client(inner: Any, binding: Any, batches: Optional[BatchScopes] = None) -> Any:
    prot_existing: Optional[_Protection] = getattr(inner, _ATTR, None)
    if prot_existing is not None:  # never stack two protections: pseudonymise once
        inner = prot_existing.inner
        if batches is None:
            batches = prot_existing.batches
    mod = _httpx_module(inner)
    is_async = _is_async_http(inner, mod)
    key = (mod.__name__, is_async)
    transport_cls = _transports.get(key)
    if transport_cls is None:
        transport_cls = _transports[key] = (_make_async if is_async else _make_sync)(mod)[0]
    prot = _Protection(inner, binding, mod, batches if batches is not None else BatchScopes())
    cls = mod.AsyncClient if is_async else mod.Client
    wrapper = cls(
        transport=transport_cls(prot),
        trust_env=False,
        follow_redirects=getattr(inner, "follow_redirects", False),
        timeout=inner.timeout,
    )
    setattr(wrapper, _ATTR, prot)
    return wrapper


def _http_client_of(client: Any) -> Any:
    inner = getattr(client, "_client", None)
    if inner is None or not hasattr(inner, "send"):
        raise TypeError(f"cannot find the HTTP client of {type(client).__name__}; is it an OpenAI client?")
    return inner


def _existing_binding(client: Any) -> Optional[Binding]:
    prot: Optional[_Protection] = getattr(_http_client_of(client), _ATTR, None)
    return prot.base_binding() if prot is not None else None


def _is_client(obj: Any) -> bool:
    return callable(getattr(obj, "with_options", None)) and hasattr(obj, "base_url") and hasattr(obj, "_client")


def _is_resource(obj: Any) -> bool:
    return _is_client(getattr(obj, "_client", None))


def _resolve(target: Any) -> Tuple[Any, str, Optional[str]]:
    if inspect.ismethod(target) and _is_resource(target.__self__):
        return target.__self__, target.__name__, None
    wrapped = getattr(target, "__wrapped__", None)
    if inspect.ismethod(wrapped) and _is_resource(wrapped.__self__):
        resource, name = wrapped.__self__, wrapped.__name__
        for kind in ("with_raw_response", "with_streaming_response"):
            holder = getattr(resource, kind, None)
            if holder is not None and getattr(holder, name, None) is target:
                return resource, name, kind
    raise TypeError(
        "protect() expects an OpenAI client (OpenAI, AsyncOpenAI, AzureOpenAI ...) or one of its request "
        f"methods such as client.chat.completions.create; got {target!r}"
    )


_guarded_classes: Dict[type, type] = {}


def _guarded_class(cls: type) -> type:
    """A subclass of the client class whose copies stay protected and whose
    websocket resources refuse to connect (see openai_realtime)."""
    if getattr(cls, "_gdpr_lint_guarded_client", False):
        return cls
    sub = _guarded_classes.get(cls)
    if sub is not None:
        return sub

    def copy(self: Any, *args: Any, **kwargs: Any) -> Any:
        # with_options(http_client=...) would otherwise replace the pseudonymising
        # HTTP client by the caller's one: wrap the new one with the same protection
        http = kwargs.get("http_client")
        prot: Optional[_Protection] = getattr(_http_client_of(self), _ATTR, None)
        if http is not None and prot is not None and getattr(http, _ATTR, None) is None:
            kwargs["http_client"] = _wrap_http_client(http, prot.binding, prot.batches)
        return cls.copy(self, *args, **kwargs)  # type: ignore[attr-defined]

    namespace: Dict[str, Any] = {
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
        "_gdpr_lint_guarded_client": True,
        "copy": copy,
        "with_options": copy,
    }
    guard_resources(namespace, cls, _session_context)
    sub = _guarded_classes[cls] = type(cls.__name__, (cls,), namespace)
    return sub


def _session_context(client: Any) -> CallContext:
    """The call context of a websocket session opened by a protected client."""
    prot: Optional[_Protection] = getattr(_http_client_of(client), _ATTR, None)
    if prot is None:
        raise PseudonymisationError("this client copy is not protected; nothing was sent")
    return prot.binding.context(audit.call_site(1))  # type: ignore[no-any-return]


def _protected_client(client: Any, http_client: Any) -> Any:
    new = client.with_options(http_client=http_client)
    new.__class__ = _guarded_class(type(new))
    return new


def _plain_copy(client: Any, **kwargs: Any) -> Any:
    """``client.with_options(...)`` without the guard's wrapping (the caller passes a protected HTTP client)."""
    cls = type(client)
    while getattr(cls, "_gdpr_lint_guarded_client", False):
        cls = cls.__mro__[1]
    return cls.copy(client, **kwargs)  # type: ignore[attr-defined]


def _unwrap_cause(exc: BaseException) -> None:
    # Older SDKs wrap transport exceptions in APIConnectionError: surface ours.
    cause = exc.__cause__
    if isinstance(cause, PseudonymisationError) and not isinstance(exc, PseudonymisationError):
        raise cause from None


def protect(
    target: T,
    *,
    known: Optional[Mapping[str, Any]] = None,
    conversation: Optional[Conversation] = None,
    policy: Optional[Mapping[str, Action]] = None,
) -> T:
    binding = Binding.from_arguments(known, conversation, policy)

    if _is_client(target):
        merged = binding.merged_over(_existing_binding(target))
        return _protected_client(target, _wrap_http_client(_http_client_of(target), merged))  # type: ignore[no-any-return]

    resource, name, kind = _resolve(target)
    if name == "connect":  # websocket APIs never pass the HTTP transport; the protected client wraps them
        raise PseudonymisationError(
            f"protect() cannot wrap {type(resource).__name__}.connect alone; protect the client instead: "
            "protect(client).realtime.connect(...)"
        )
    batches = BatchScopes()  # shared by every call of this protected method

    def bind(call_site: Optional[str], kwargs: Mapping[str, Any]) -> Callable[..., Any]:
        client = resource._client
        merged = binding.merged_over(_existing_binding(client))
        fixed = _Fixed(merged.context(call_site, scopes.links_of(kwargs)), merged)
        http = _http_client_of(client)
        shared = None if getattr(http, _ATTR, None) is not None else batches  # a protected client's own scopes win
        protected_client = _plain_copy(client, http_client=_wrap_http_client(http, fixed, shared))
        new_resource = type(resource)(protected_client)
        holder = getattr(new_resource, kind) if kind else new_resource
        return getattr(holder, name)  # type: ignore[no-any-return]

    if inspect.iscoroutinefunction(target):

        @functools.wraps(target)
        async def protected_async(*args: Any, **kwargs: Any) -> Any:
            method = bind(audit.call_site(1), kwargs)
            try:
                return await method(*args, **kwargs)
            except Exception as exc:
                _unwrap_cause(exc)
                raise

        return protected_async  # type: ignore[return-value]

    @functools.wraps(target)  # type: ignore[arg-type]
    def protected(*args: Any, **kwargs: Any) -> Any:
        method = bind(audit.call_site(1), kwargs)
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            _unwrap_cause(exc)
            raise

    return protected  # type: ignore[return-value]
