"""Streaming re-identification with a minimal hold-back buffer.

A pseudonym may arrive split over several chunks (``"[[NA"`` + ``"ME_7f3a"``
+ ``"9c2b]]"``).  :class:`TokenStream` emits text immediately except for a
trailing piece that could still become a pseudonym -- at most
``MAX_TOKEN_LEN - 1`` characters, and only when it starts with ``[`` -- so a
pseudonym is never shown half-replaced and text without brackets is never
delayed.

:class:`SSERewriter` applies this per choice and per tool-call index to chat
completion chunks, and per item / content part to Responses API events,
rewriting Server-Sent Events on the wire so that every SDK helper built on top
(``Stream``, ``ChatCompletionStreamManager``, ``ResponseStreamManager``,
``with_streaming_response``) sees re-identified data.
"""

from __future__ import annotations

import codecs
import copy
import json
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .vault import MAX_TOKEN_LEN, Conversation

__all__ = ["TokenStream", "SSERewriter", "reidentify_obj"]

_PARTIAL = re.compile(r"\[(?:\[[A-Za-z0-9_]*\]?)?\Z")


def hold_start(buf: str) -> int:
    """Index from which ``buf`` could still be the start of a pseudonym."""
    n = len(buf)
    i = buf.find("[", max(0, n - (MAX_TOKEN_LEN - 1)))
    while i != -1:
        if _PARTIAL.match(buf, i):
            return i
        i = buf.find("[", i + 1)
    return n


class TokenStream:
    """Re-identify a text that arrives in pieces."""

    __slots__ = ("_buf", "_reid", "count")

    def __init__(self, reid: Callable[[str], Tuple[str, int]]) -> None:
        self._buf = ""
        self._reid = reid
        self.count = 0

    def feed(self, piece: str) -> str:
        buf = self._buf + piece if self._buf else piece
        cut = hold_start(buf)
        self._buf = buf[cut:]
        if not cut:
            return ""
        out, n = self._reid(buf[:cut])
        self.count += n
        return out

    def flush(self) -> str:
        buf, self._buf = self._buf, ""
        if not buf:
            return ""
        out, n = self._reid(buf)
        self.count += n
        return out

    @property
    def pending(self) -> bool:
        return bool(self._buf)


def reidentifier(conv: Conversation, escape: bool) -> Callable[[str], Tuple[str, int]]:
    """The re-identification a :class:`TokenStream` of ``conv`` applies (``escape``: JSON text)."""
    return lambda text: conv.reidentify_count(text, json=escape)


# ---------------------------------------------------------------------------
# whole JSON documents

_JSON_CONTENT_KEYS = frozenset({"content", "text", "output_text"})


def escape_for(key: Optional[str], json_mode: bool) -> bool:
    """Is the string under ``key`` JSON text (tool arguments, structured output)?"""
    return key == "arguments" or (json_mode and key in _JSON_CONTENT_KEYS)


def reidentify_obj(conv: Conversation, obj: Any, json_mode: bool = False, key: Optional[str] = None) -> Tuple[Any, int]:
    """Re-identify every string in a decoded JSON document (in place where possible)."""
    if isinstance(obj, str):
        if "[[" not in obj:
            return obj, 0
        return conv.reidentify_count(obj, json=escape_for(key, json_mode))
    total = 0
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (str, dict, list)):
                new, n = reidentify_obj(conv, v, json_mode, k)
                if n:
                    obj[k] = new
                    total += n
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            if isinstance(v, (str, dict, list)):
                new, n = reidentify_obj(conv, v, json_mode, key)
                if n:
                    obj[i] = new
                    total += n
    return obj, total


# ---------------------------------------------------------------------------
# event handlers

#: Fields of a streamed chunk that are never re-identified.
STRUCTURAL_KEYS = frozenset({"role", "id", "type", "name", "index", "finish_reason", "logprobs", "call_id", "object"})
_TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed", "error", "response.done"})


class _Handler:
    def __init__(self, conv: Conversation, json_mode: bool) -> None:
        self.conv = conv
        self.json_mode = json_mode
        self.buffers: Dict[Tuple[Any, ...], TokenStream] = {}
        self.count = 0
        # told the id of a streamed response (to link the next turn's scope)
        self.on_response: Optional[Callable[[str], None]] = None

    def stream_for(self, key: Tuple[Any, ...], escape: bool) -> TokenStream:
        ts = self.buffers.get(key)
        if ts is None:
            ts = self.buffers[key] = TokenStream(reidentifier(self.conv, escape))
        return ts

    def whole(self, obj: Any) -> Any:
        obj, n = reidentify_obj(self.conv, obj, self.json_mode)
        self.count += n
        return obj

    def event(self, obj: Any) -> List[Any]:  # pragma: no cover - overridden
        return [self.whole(obj)]

    def end(self) -> List[Any]:
        return []

    def total(self) -> int:
        return self.count + sum(ts.count for ts in self.buffers.values())


def _set_path(target: Dict[str, Any], path: Tuple[Any, ...], rest: str) -> None:
    node: Any = target
    for i, step in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(step, tuple):  # ("i", n): list element with "index" n
            continue
        if isinstance(nxt, tuple):
            lst = node.get(step)
            if not isinstance(lst, list):
                lst = node[step] = []
            wanted = nxt[1]
            found = None
            for item in lst:
                if isinstance(item, dict) and item.get("index", None) == wanted:
                    found = item
                    break
            if found is None:
                found = {"index": wanted}
                lst.append(found)
            node = found
        else:
            child = node.get(step)
            if not isinstance(child, dict):
                child = node[step] = {}
            node = child
    last = path[-1]
    current = node.get(last)
    node[last] = (current if isinstance(current, str) else "") + rest


class ChatHandler(_Handler):
    """Chat Completions (and legacy Completions) chunks."""

    def __init__(self, conv: Conversation, json_mode: bool) -> None:
        super().__init__(conv, json_mode)
        self.template: Dict[str, Any] = {}

    def _walk(self, node: Dict[str, Any], path: Tuple[Any, ...]) -> None:
        for k, v in list(node.items()):
            if k in STRUCTURAL_KEYS:
                continue
            if isinstance(v, str):
                ts = self.stream_for(path + (k,), escape_for(k, self.json_mode))
                node[k] = ts.feed(v)
            elif isinstance(v, dict):
                self._walk(v, path + (k,))
            elif isinstance(v, list):
                for pos, item in enumerate(v):
                    if isinstance(item, dict):
                        idx = item.get("index", pos)
                        self._walk(item, path + (k, ("i", idx)))

    def _flush_choice(self, idx: Any, payload: Dict[str, Any]) -> None:
        for key, ts in self.buffers.items():
            if key[0] == idx and ts.pending:
                _set_path(payload, key[1:], ts.flush())

    def event(self, obj: Any) -> List[Any]:
        if not isinstance(obj, dict) or not isinstance(obj.get("choices"), list):
            return [self.whole(obj)]
        self.template = {k: obj[k] for k in ("id", "object", "created", "model", "system_fingerprint", "service_tier") if k in obj}
        for choice in obj["choices"]:
            if not isinstance(choice, dict):
                continue
            idx = choice.get("index", 0)
            delta = choice.get("delta")
            payload = delta if isinstance(delta, dict) else choice
            self._walk(payload, (idx,))
            if choice.get("finish_reason") is not None:
                if delta is None and "delta" in choice:
                    payload = choice["delta"] = {}
                self._flush_choice(idx, payload)
        return [obj]

    def end(self) -> List[Any]:
        pending = sorted({key[0] for key, ts in self.buffers.items() if ts.pending}, key=repr)
        if not pending:
            return []
        choices = []
        for idx in pending:
            choice: Dict[str, Any] = {"index": idx, "delta": {}, "finish_reason": None}
            self._flush_choice(idx, choice["delta"])
            choices.append(choice)
        return [dict(self.template, choices=choices)]


class ResponsesHandler(_Handler):
    """Responses API streaming events."""

    def __init__(self, conv: Conversation, json_mode: bool) -> None:
        super().__init__(conv, json_mode)
        self.last: Dict[Tuple[Any, ...], Dict[str, Any]] = {}

    @staticmethod
    def _key(obj: Dict[str, Any], base: str) -> Tuple[Any, ...]:
        return (base, obj.get("item_id"), obj.get("output_index"), obj.get("content_index"), obj.get("summary_index"))

    def _synthetic(self, key: Tuple[Any, ...]) -> Dict[str, Any]:
        ev = copy.copy(self.last[key])
        ev["delta"] = self.buffers[key].flush()
        if "logprobs" in ev:
            ev["logprobs"] = []
        if "obfuscation" in ev:
            del ev["obfuscation"]
        return ev

    @staticmethod
    def closes(obj: Dict[str, Any], key: Tuple[Any, ...]) -> bool:
        """Does the event ``obj`` end the text whose buffer is ``key`` (flush it before ``obj``)?"""
        t = obj.get("type")
        if t in _TERMINAL:
            return True
        base, item_id, output_index, content_index, summary_index = key
        if t == base + ".done":
            return bool((obj.get("item_id"), obj.get("output_index"), obj.get("content_index"), obj.get("summary_index")) == (
                item_id, output_index, content_index, summary_index))
        if t == "response.output_item.done":
            return bool(obj.get("output_index") == output_index)
        if t in ("response.content_part.done", "response.reasoning_summary_part.done"):
            return bool(obj.get("output_index") == output_index and obj.get("item_id", item_id) == item_id)
        return False

    def event(self, obj: Any) -> List[Any]:
        if not isinstance(obj, dict):
            return [self.whole(obj)]
        t = obj.get("type")
        if isinstance(t, str) and t.endswith(".delta") and isinstance(obj.get("delta"), str):
            base = t[: -len(".delta")]
            key = self._key(obj, base)
            escape = "arguments" in base or (self.json_mode and base == "response.output_text")
            obj["delta"] = self.stream_for(key, escape).feed(obj["delta"])
            self.last[key] = obj
            return [obj]
        if t == "response.created" and self.on_response is not None:
            response = obj.get("response")
            if isinstance(response, dict) and isinstance(response.get("id"), str):
                self.on_response(response["id"])
        out: List[Any] = []
        for key, ts in self.buffers.items():
            if ts.pending and self.closes(obj, key):
                out.append(self._synthetic(key))
        out.append(self.whole(obj))
        return out

    def end(self) -> List[Any]:
        return [self._synthetic(key) for key, ts in self.buffers.items() if ts.pending]


class GenericHandler(_Handler):
    """Other event streams (assistants runs ...): whole-event re-identification."""

    def event(self, obj: Any) -> List[Any]:
        return [self.whole(obj)]


def handler_for(path: str, conv: Conversation, json_mode: bool) -> _Handler:
    if path.endswith("/chat/completions") or path.endswith("/completions"):
        return ChatHandler(conv, json_mode)
    if path.endswith("/responses") or "/responses/" in path:
        return ResponsesHandler(conv, json_mode)
    return GenericHandler(conv, json_mode)


# ---------------------------------------------------------------------------
# Server-Sent Events

class SSERewriter:
    """Incremental SSE parser that rewrites each event's JSON ``data``."""

    def __init__(self, handler: _Handler) -> None:
        self.handler = handler
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._text = ""
        self._lines: List[str] = []
        self._done = False

    def feed(self, data: bytes) -> bytes:
        text = self._text + self._decoder.decode(data)
        out: List[str] = []
        start = 0
        n = len(text)
        while True:
            nl = -1
            i = start
            # find the next line terminator: \n, \r\n or \r (a trailing \r may be half of \r\n)
            while i < n:
                c = text[i]
                if c == "\n":
                    nl, width = i, 1
                    break
                if c == "\r":
                    if i + 1 < n:
                        nl, width = i, 2 if text[i + 1] == "\n" else 1
                        break
                    break
                i += 1
            if nl < 0:
                break
            line = text[start:nl]
            start = nl + width
            if line:
                self._lines.append(line)
            else:
                out.append(self._dispatch())
        self._text = text[start:]
        return "".join(out).encode("utf-8")

    def close(self) -> bytes:
        tail = self._decoder.decode(b"", final=True)
        out = [self.feed(tail.encode("utf-8")).decode("utf-8")] if tail else []
        if self._text:
            self._lines.append(self._text)
            self._text = ""
        if self._lines:
            out.append(self._dispatch())
        if not self._done:
            out.extend(self._serialise(None, [], obj) for obj in self.handler.end())
        return "".join(out).encode("utf-8")

    def _dispatch(self) -> str:
        lines, self._lines = self._lines, []
        if not lines:
            return "\n"
        event: Optional[str] = None
        data: List[str] = []
        other: List[str] = []
        for line in lines:
            if line.startswith(":"):
                other.append(line)
                continue
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if field == "data":
                data.append(value)
            elif field == "event":
                event = value
            else:
                other.append(line)
        if not data:
            return "".join(line + "\n" for line in lines) + "\n"
        payload = "\n".join(data)
        if payload.strip() == "[DONE]":
            self._done = True
            extra = [self._serialise(None, [], obj) for obj in self.handler.end()]
            return "".join(extra) + self._raw(event, other, payload)
        try:
            obj = json.loads(payload)
        except ValueError:
            text, n = self.handler.conv.reidentify_count(payload)
            self.handler.count += n
            return self._raw(event, other, text)
        objs = self.handler.event(obj)
        last = len(objs) - 1
        # handlers put synthetic (flushed) events first and the original event last
        return "".join(
            self._serialise(event if i == last else None, other if i == last else [], o) for i, o in enumerate(objs)
        )

    @staticmethod
    def _raw(event: Optional[str], other: Iterable[str], payload: str) -> str:
        head = "".join(line + "\n" for line in other)
        if event is not None:
            head += f"event: {event}\n"
        return head + "".join(f"data: {line}\n" for line in payload.split("\n")) + "\n"

    def _serialise(self, event: Optional[str], other: Iterable[str], obj: Any) -> str:
        if event is None and isinstance(obj, dict) and isinstance(obj.get("type"), str) and isinstance(self.handler, ResponsesHandler):
            event = obj["type"]
        return self._raw(event, other, json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
