"""Websocket APIs of a protected OpenAI client.

``client.realtime.connect()``, ``client.beta.realtime.connect()`` and the
Responses websocket mode (``client.responses.connect()``,
``client.beta.responses.connect()``) open a websocket with the client's
credentials; its events never pass the pseudonymising HTTP transport.  A protected client wraps the websocket the SDK
opens (also when it reconnects): every outgoing client event is pseudonymised
with the request walker (``session.update`` instructions and tools,
``conversation.item.create`` items, ``response.create`` instructions and
input ...), and every incoming server event is re-identified, text and
transcript deltas through the hold-back buffer of the Responses streams.  One
conversation covers the whole session.  Audio (``input_audio_buffer.append``,
``input_audio`` content) cannot be inspected and is refused unless
``configure(allow_inline_binary=True)``.

The other websocket APIs (``realtime.translations``, ``live``) refuse to
connect: their events are not covered.

The resources are patched when first accessed (the SDK builds them lazily;
building all of them eagerly for every protected copy would cost
milliseconds).
"""

from __future__ import annotations

import inspect
import json
import threading
from collections import deque
from typing import Any, Callable, Deque, Dict, List, NoReturn, Optional, Tuple, Union

from .. import audit, config
from ..errors import PseudonymisationError
from ..stream import ResponsesHandler
from .common import CallContext, RequestPseudonymiser, asks_for_json

__all__ = ["WEBSOCKET_RESOURCES", "refusal", "guard_resources", "RealtimeSession"]

#: client attribute -> nested resources (relative to it, "" = itself) with a websocket
#: ``connect``, and whether that websocket is protected (True) or refused (False).
WEBSOCKET_RESOURCES: Dict[str, Tuple[Tuple[str, bool], ...]] = {
    "realtime": (("", True), ("translations", False)),
    "beta": (("realtime", True), ("responses", True)),
    "responses": (("", True),),
    "live": (("", False), ("sideband", False), ("forks", False)),
}

ContextOf = Callable[[Any], CallContext]


def refusal(where: str) -> PseudonymisationError:
    return PseudonymisationError(
        f"{where}.connect() opens a websocket whose events a protected client cannot pseudonymise; "
        "nothing was sent (use client.realtime.connect(), the HTTP endpoints such as client.responses.create, "
        "or an unprotected client with pseudonymise()/reidentify() applied to each event yourself)"
    )


# ---------------------------------------------------------------------------
# one session: outgoing and incoming events


class _RealtimeHandler(ResponsesHandler):
    """Realtime server events: like Responses events, but audio deltas are base64 audio."""

    def event(self, obj: Any) -> List[Any]:
        if isinstance(obj, dict) and obj.get("type") in ("response.output_audio.delta", "response.audio.delta"):
            return [obj]
        return super().event(obj)


def _audio_fields(node: Any, found: List[Tuple[Any, Any]]) -> None:
    """(container, key) of every base64 audio string in a client event."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "audio" and isinstance(v, str):
                found.append((node, k))
            elif isinstance(v, (dict, list)):
                _audio_fields(v, found)
    elif isinstance(node, list):
        for v in node:
            if isinstance(v, (dict, list)):
                _audio_fields(v, found)


class RealtimeSession:
    """The pseudonymisation state of one websocket session."""

    def __init__(self, ctx: CallContext) -> None:
        self.ctx = ctx
        self.handler = _RealtimeHandler(ctx.conversation, False)
        self.lock = threading.Lock()

    def handshake(self, extra_query: Any, extra_headers: Any) -> Tuple[Any, Any]:
        p = RequestPseudonymiser(self.ctx)
        for k, v in dict(extra_query or {}).items():
            p.refuse_personal(str(k), "the websocket URL")  # before k goes into a message
            if isinstance(v, str):
                p.refuse_personal(v, f"the query parameter {k!r} of the websocket URL")
        headers = {k: p.text(v) if isinstance(v, str) else v for k, v in dict(extra_headers or {}).items()}
        return extra_query, headers

    def outgoing(self, data: Union[str, bytes, bytearray]) -> Union[str, bytes]:
        endpoint = "websocket"
        try:
            text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
            try:
                event = json.loads(text)
            except ValueError:
                raise PseudonymisationError(
                    "a websocket message that is not JSON cannot be inspected; nothing was sent") from None
            if isinstance(event, dict) and isinstance(event.get("type"), str):
                endpoint = f"websocket {event['type']}"
            out, findings = self._outgoing(event)
        except PseudonymisationError as exc:
            audit.emit("blocked", audit.WARNING, call_site=self.ctx.call_site, endpoint=endpoint,
                       conversation=self.ctx.conversation.fingerprint, reason=str(exc), key_id=config.key_id())
            raise
        if audit.enabled():
            audit.emit("request", call_site=self.ctx.call_site, endpoint=endpoint,
                       conversation=self.ctx.conversation.fingerprint, key_id=config.key_id(),
                       **audit.summarise(findings))
        return out.encode("utf-8") if isinstance(data, (bytes, bytearray)) else out

    def _outgoing(self, event: Any) -> Tuple[str, List[Any]]:
        audio: List[Tuple[Any, Any]] = []
        _audio_fields(event, audio)
        if audio and not config.settings().allow_inline_binary:
            raise PseudonymisationError(
                "a realtime event carries audio that cannot be inspected for personal data; nothing was sent "
                "(send text, or configure(allow_inline_binary=True) to send audio unchecked)"
            )
        saved = [(node, key, node[key]) for node, key in audio]
        for node, key, _ in saved:
            node[key] = ""
        p = RequestPseudonymiser(self.ctx)
        with self.lock:
            if isinstance(event, dict) and event.get("type") == "response.create":
                # structured output asked for: values go back JSON-escaped into the text deltas
                self.handler.json_mode = asks_for_json(event) or asks_for_json(event.get("response"))
            p.walk(event)
        for node, key, value in saved:
            node[key] = value
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")), p.findings or []

    def incoming(self, data: Union[str, bytes]) -> List[Union[str, bytes]]:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        try:
            event = json.loads(text)
        except ValueError:
            return [data]
        with self.lock:
            events = self.handler.event(event)
        out = [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in events]
        return [o.encode("utf-8") for o in out] if isinstance(data, (bytes, bytearray)) else list(out)


class _SyncSocket:
    """The SDK's websocket with pseudonymised sends and re-identified receives."""

    def __init__(self, ws: Any, session: RealtimeSession) -> None:
        self._ws = ws
        self._session = session
        self._pending: Deque[Union[str, bytes]] = deque()

    def send(self, message: Any, text: Optional[bool] = None) -> None:
        if isinstance(message, (str, bytes, bytearray)):
            message = self._session.outgoing(message)
        else:
            raise PseudonymisationError("a fragmented websocket message cannot be inspected; nothing was sent")
        if text is None:
            self._ws.send(message)
        else:
            self._ws.send(message, text=text)

    def recv(self, timeout: Optional[float] = None, decode: Optional[bool] = None) -> Any:
        if not self._pending:
            self._pending.extend(self._session.incoming(self._ws.recv(timeout=timeout, decode=decode)))
        return self._pending.popleft()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)


class _AsyncSocket:
    def __init__(self, ws: Any, session: RealtimeSession) -> None:
        self._ws = ws
        self._session = session
        self._pending: Deque[Union[str, bytes]] = deque()

    async def send(self, message: Any, text: Optional[bool] = None) -> None:
        if isinstance(message, (str, bytes, bytearray)):
            message = self._session.outgoing(message)
        else:
            raise PseudonymisationError("a fragmented websocket message cannot be inspected; nothing was sent")
        if text is None:
            await self._ws.send(message)
        else:
            await self._ws.send(message, text=text)

    async def recv(self, decode: Optional[bool] = None) -> Any:
        if not self._pending:
            self._pending.extend(self._session.incoming(await self._ws.recv(decode=decode)))
        return self._pending.popleft()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)


_entering: Dict[type, type] = {}


def _entering_class(cls: type) -> type:
    """A subclass of a connection manager without a ``_connect_ws`` hook (``beta.realtime``)
    that wraps the websocket of the connection it enters."""
    sub = _entering.get(cls)
    if sub is not None:
        return sub
    namespace: Dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
    if hasattr(cls, "__aenter__"):

        async def aenter(self: Any) -> Any:
            conn = await cls.__aenter__(self)  # type: ignore[attr-defined]
            conn._connection = _AsyncSocket(conn._connection, self._gdpr_lint_session)
            return conn

        namespace["__aenter__"] = namespace["enter"] = aenter
    else:

        def enter(self: Any) -> Any:
            conn = cls.__enter__(self)  # type: ignore[attr-defined]
            conn._connection = _SyncSocket(conn._connection, self._gdpr_lint_session)
            return conn

        namespace["__enter__"] = namespace["enter"] = enter
    sub = _entering[cls] = type(cls.__name__, (cls,), namespace)
    return sub


def _wrap_entering(manager: Any, session: RealtimeSession, where: str) -> None:
    cls = type(manager)
    headers_attr, query_attr = f"_{cls.__name__}__extra_headers", f"_{cls.__name__}__extra_query"
    if not (hasattr(manager, headers_attr) and hasattr(manager, query_attr)):
        raise refusal(where)  # an SDK whose manager we do not know: refuse rather than send unprotected
    query, headers = session.handshake(getattr(manager, query_attr), getattr(manager, headers_attr))
    setattr(manager, query_attr, query)
    setattr(manager, headers_attr, headers)
    manager._gdpr_lint_session = session
    manager.__class__ = _entering_class(cls)


def _protected_connect(connect: Callable[..., Any], where: str, client: Any, context_of: ContextOf) -> Any:
    def protected(*args: Any, **kwargs: Any) -> Any:
        manager = connect(*args, **kwargs)
        session = RealtimeSession(context_of(client))
        inner = getattr(manager, "_connect_ws", None)
        if inner is None:
            _wrap_entering(manager, session, where)
            return manager
        if inspect.iscoroutinefunction(inner):

            async def connect_ws_async(extra_query: Any, extra_headers: Any) -> Any:
                extra_query, extra_headers = session.handshake(extra_query, extra_headers)
                return _AsyncSocket(await inner(extra_query, extra_headers), session)

            manager._connect_ws = connect_ws_async
        else:

            def connect_ws(extra_query: Any, extra_headers: Any) -> Any:
                extra_query, extra_headers = session.handshake(extra_query, extra_headers)
                return _SyncSocket(inner(extra_query, extra_headers), session)

            manager._connect_ws = connect_ws
        return manager

    return protected


def _refuse_connect(where: str) -> Any:
    def connect(*args: Any, **kwargs: Any) -> NoReturn:
        raise refusal(where)

    return connect


def _patch(client: Any, root: Any, attr: str, context_of: ContextOf) -> None:
    for rel, protected in WEBSOCKET_RESOURCES[attr]:
        obj = root
        for part in rel.split(".") if rel else ():
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is None or not callable(getattr(obj, "connect", None)):
            continue
        where = f"client.{attr}.{rel}" if rel else f"client.{attr}"
        obj.connect = _protected_connect(obj.connect, where, client, context_of) if protected else _refuse_connect(where)


class _Guarded:
    """Wraps the SDK's ``cached_property`` of a client: the resource is built
    (and cached in the instance) by the SDK, then its ``connect`` patched."""

    def __init__(self, attr: str, base: Any, context_of: ContextOf) -> None:
        self.attr = attr
        self.base = base
        self.context_of = context_of

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        value = self.base.__get__(obj, objtype)
        if getattr(value, "_gdpr_lint_guarded", False) is not True:
            _patch(obj, value, self.attr, self.context_of)
            try:
                value._gdpr_lint_guarded = True
            except AttributeError:  # pragma: no cover - resources are plain objects
                pass
        return value


def guard_resources(namespace: Dict[str, Any], cls: type, context_of: ContextOf) -> None:
    """Add the guarded websocket resources of ``cls`` to a subclass namespace;
    ``context_of(client)`` gives the call context of a new session."""
    for attr in WEBSOCKET_RESOURCES:
        base = inspect.getattr_static(cls, attr, None)
        if base is not None and hasattr(base, "__get__"):
            namespace[attr] = _Guarded(attr, base, context_of)
