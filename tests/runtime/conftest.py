"""A local HTTP server on 127.0.0.1 standing in for the OpenAI API.

It records every request body and answers by *echoing* the (pseudonymised)
text it received, so replies contain the pseudonyms that the runtime must
re-identify:

* chat completions (JSON and SSE), with ``n`` choices, tool calls whose JSON
  arguments contain the echoed text, and structured output for
  ``response_format`` json_schema (every string property = the echo);
* responses (JSON and SSE events), with function calls and ``text.format``;
* embeddings, threads messages, and a multipart ``/files`` endpoint.

Request header ``x-test-split``: comma-separated cut offsets for streamed
text (``all`` = one character per chunk; default: chunks of 5 characters).
Header ``x-test-reply``: use this reply text instead of the echo.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List, Optional

import pytest

# Tests use a fixed key so that pseudonyms are reproducible (never use this key).
os.environ.setdefault("GDPR_LINT_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")

TOKEN = re.compile(r"\[\[[A-Z][A-Z0-9_]*_(?:[0-9a-f]{8,16}|REDACTED_\d+)\]\]")


def _file_text(part: Dict[str, Any]) -> Optional[str]:
    """The text of an inline text file part (chat ``file`` or Responses ``input_file``), as a model would read it."""
    data = (part.get("file") or {}).get("file_data") if isinstance(part.get("file"), dict) else part.get("file_data")
    if not isinstance(data, str):
        return None
    if data.startswith("data:"):
        header, _, data = data.partition(",")
        if ";base64" not in header:
            return None
    try:
        return base64.b64decode(data).decode("utf-8")
    except ValueError:
        return None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for p in content:
            if isinstance(p, dict):
                if isinstance(p.get("text"), str):
                    parts.append(p["text"])
                elif isinstance(p.get("output"), str):
                    parts.append(p["output"])
                elif _file_text(p) is not None:
                    parts.append(_file_text(p) or "")
        return " ".join(parts)
    return ""


def _chat_echo(body: Dict[str, Any]) -> str:
    for m in reversed(body.get("messages") or []):
        if m.get("role") in ("user", "tool"):
            return _text_of(m.get("content"))
    return ""


def _responses_echo(body: Dict[str, Any]) -> str:
    inp = body.get("input")
    if isinstance(inp, str):
        return inp
    for item in reversed(inp or []):
        if isinstance(item, dict):
            if item.get("type") == "function_call_output":
                return item.get("output") if isinstance(item.get("output"), str) else ""
            if item.get("role") == "user" or item.get("type") == "message":
                return _text_of(item.get("content"))
    return ""


def _schema_fill(schema: Dict[str, Any], echo: str) -> Any:
    t = schema.get("type")
    if t == "object" or "properties" in schema:
        return {k: _schema_fill(v, echo) for k, v in (schema.get("properties") or {}).items()}
    if t == "array":
        return [_schema_fill(schema.get("items") or {"type": "string"}, echo)]
    if t in ("integer", "number"):
        return 1
    if t == "boolean":
        return True
    return echo


def _structured(fmt: Optional[Dict[str, Any]], echo: str) -> Optional[str]:
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or fmt.get("schema") or {}
        return json.dumps(_schema_fill(schema, echo), ensure_ascii=False)
    if fmt.get("type") == "json_object":
        return json.dumps({"reply": echo}, ensure_ascii=False)
    return None


def _split(text: str, spec: Optional[str]) -> List[str]:
    if spec == "all":
        return list(text) or [""]
    if spec:
        cuts = sorted({int(x) for x in spec.split(",") if x.strip()} | {0, len(text)})
        cuts = [c for c in cuts if 0 <= c <= len(text)]
        return [text[a:b] for a, b in zip(cuts, cuts[1:])] or [""]
    return [text[i:i + 5] for i in range(0, len(text), 5)] or [""]


def form_fields(raw: bytes, ctype: str) -> Dict[str, bytes]:
    """The parts of a multipart/form-data body by field name (parsed independently of the runtime)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
    return {str(part.get_param("name", header="content-disposition")): part.get_payload(decode=True)
            for part in msg.iter_parts()}


def _batch_output(batch: bytes) -> bytes:
    """A batch output file for a batch input file: each chat request answered with its echo."""
    out = []
    for line in batch.decode("utf-8").splitlines():
        if not line.strip():
            continue
        req = json.loads(line)
        body = {"id": "chatcmpl-b", "object": "chat.completion", "created": 0, "model": req["body"].get("model"),
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                             "message": {"role": "assistant", "content": _chat_echo(req["body"]), "refusal": None}}]}
        out.append(json.dumps({"id": "batch_req_1", "custom_id": req["custom_id"], "error": None,
                               "response": {"status_code": 200, "request_id": "r1", "body": body}}))
    return ("\n".join(out) + "\n").encode("utf-8")


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: List[Dict[str, Any]] = []
        self.stored: Dict[str, str] = {}  # response or conversation id -> text

    def add(self, path: str, headers: Dict[str, str], body: bytes) -> None:
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "body": body})

    def bodies(self) -> List[str]:
        with self.lock:
            return [r["body"].decode("utf-8", "replace") for r in self.requests]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.stored.clear()

    def remember(self, text: str, conversation: Any = None) -> str:
        """Store a response's text (and a server-side conversation's); its id."""
        with self.lock:
            response_id = f"resp_{len(self.stored) + 1}"
            self.stored[response_id] = text
            if isinstance(conversation, str):
                self.stored[conversation] = text
            return response_id

    def remembered(self, key: Any) -> Optional[str]:
        with self.lock:
            return self.stored.get(key) if isinstance(key, str) else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    recorder: Recorder

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    # -- plumbing -------------------------------------------------------------

    def _json(self, obj: Any, status: int = 200) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: Iterator[str]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for ev in events:
            data = ev.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self) -> None:  # noqa: N802
        self.recorder.add(self.path, dict(self.headers), b"")
        if re.search(r"/files/[^/]+/content$", self.path):  # the output of the last uploaded batch file
            uploads = [r for r in self.recorder.requests if r["path"].endswith("/files")]
            ctype = {k.lower(): v for k, v in uploads[-1]["headers"].items()}["content-type"]
            data = _batch_output(form_fields(uploads[-1]["body"], ctype)["file"])
            self.send_response(200)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self._json({"object": "list", "data": []})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        self.recorder.add(self.path, dict(self.headers), raw)
        path = self.path.split("?")[0]
        if path.endswith("/files"):
            self._json({"id": "file-1", "object": "file", "bytes": len(raw), "created_at": 0,
                        "filename": "x.jsonl", "purpose": "batch", "status": "processed"})
            return
        if re.search(r"/audio/(transcriptions|translations)$|/images/edits$|/uploads/[^/]+/parts$", path):
            fields = form_fields(raw, self.headers.get("content-type", ""))
            prompt = fields.get("prompt", b"").decode("utf-8")
            if "/audio/" in path:
                self._json({"text": prompt})
            elif "/images/" in path:
                self._json({"created": 0, "data": [{"b64_json": "AA==", "revised_prompt": prompt}]})
            else:
                self._json({"id": "part_1", "object": "upload.part", "created_at": 0, "upload_id": path.split("/")[-2]})
            return
        body = json.loads(raw or b"{}")
        if path.endswith("/chat/completions"):
            self._chat(body)
        elif path.endswith("/responses"):
            self._responses(body)
        elif path.endswith("/embeddings"):
            inputs = body.get("input")
            n = len(inputs) if isinstance(inputs, list) else 1
            self._json({"object": "list", "model": body.get("model"),
                        "data": [{"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3]} for i in range(n)],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        elif re.search(r"/threads/[^/]+/messages$", path):
            self._json({"id": "msg_1", "object": "thread.message", "created_at": 0, "thread_id": path.split("/")[-2],
                        "role": body.get("role", "user"), "status": "completed", "attachments": [], "metadata": {},
                        "assistant_id": None, "run_id": None, "completed_at": None, "incomplete_at": None,
                        "incomplete_details": None,
                        "content": [{"type": "text", "text": {"value": _text_of(body.get("content")), "annotations": []}}]})
        else:
            self._json({"error": {"message": "not found", "type": "invalid_request_error"}}, 404)

    # -- chat -----------------------------------------------------------------

    def _chat(self, body: Dict[str, Any]) -> None:
        echo = self.headers.get("x-test-reply") or _chat_echo(body)
        if self.headers.get("x-test-reply"):
            echo = json.loads('"' + echo + '"') if "\\u" in echo else echo
        n = int(body.get("n") or 1)
        structured = _structured(body.get("response_format"), echo)
        content = structured if structured is not None else echo
        tool_calls = None
        if body.get("tools"):
            fn = body["tools"][0]["function"]["name"]
            args = json.dumps({"text": echo, "tokens": TOKEN.findall(echo)}, ensure_ascii=False)
            tool_calls = [{"id": "call_1", "type": "function", "function": {"name": fn, "arguments": args}}]
            content = None
        base = {"id": "chatcmpl-1", "created": 1700000000, "model": body.get("model", "gpt-test")}
        finish = "tool_calls" if tool_calls else "stop"
        if not body.get("stream"):
            msg: Dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
            if tool_calls:
                msg["tool_calls"] = tool_calls
            self._json({**base, "object": "chat.completion",
                        "choices": [{"index": i, "message": msg, "finish_reason": finish, "logprobs": None} for i in range(n)],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
            return
        split = self.headers.get("x-test-split")

        def events() -> Iterator[str]:
            def chunk(i: int, delta: Dict[str, Any], finish_reason: Optional[str] = None) -> str:
                obj = {**base, "object": "chat.completion.chunk",
                       "choices": [{"index": i, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}
                return "data: " + json.dumps(obj) + "\n\n"

            for i in range(n):
                yield chunk(i, {"role": "assistant", "content": ""})
            if tool_calls:
                args = tool_calls[0]["function"]["arguments"]
                for i in range(n):
                    yield chunk(i, {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                    "function": {"name": tool_calls[0]["function"]["name"], "arguments": ""}}]})
                for piece in _split(args, split):
                    for i in range(n):  # interleave choices
                        yield chunk(i, {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            else:
                for piece in _split(content or "", split):
                    for i in range(n):
                        yield chunk(i, {"content": piece})
            for i in range(n):
                yield chunk(i, {}, finish)
            yield "data: [DONE]\n\n"

        self._sse(events())

    # -- responses ------------------------------------------------------------

    def _responses(self, body: Dict[str, Any]) -> None:
        echo = self.headers.get("x-test-reply") or _responses_echo(body)
        # server-side state: a reply to a continued response (or conversation)
        # also repeats what the model saw before, as a model would refer to it
        conversation = body.get("conversation")
        if isinstance(conversation, dict):
            conversation = conversation.get("id")
        earlier = self.recorder.remembered(body.get("previous_response_id")) or self.recorder.remembered(conversation)
        if earlier:
            echo = f"{earlier} | {echo}"
        response_id = self.recorder.remember(echo, conversation)
        fmt = (body.get("text") or {}).get("format")
        structured = _structured(fmt, echo)
        text = structured if structured is not None else echo
        now = 1700000000
        if body.get("tools"):
            args = json.dumps({"text": echo, "tokens": TOKEN.findall(echo)}, ensure_ascii=False)
            item = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": body["tools"][0]["name"],
                    "arguments": args, "status": "completed"}
        else:
            item = {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": []}]}
        response = {"id": response_id, "object": "response", "created_at": now, "status": "completed",
                    "model": body.get("model", "gpt-test"), "output": [item], "parallel_tool_calls": True,
                    "tool_choice": "auto", "tools": body.get("tools") or [], "instructions": body.get("instructions"),
                    "error": None, "incomplete_details": None, "metadata": {}, "temperature": 1.0, "top_p": 1.0,
                    "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
                              "input_tokens_details": {"cached_tokens": 0},
                              "output_tokens_details": {"reasoning_tokens": 0}}}
        if fmt:
            response["text"] = {"format": fmt}
        if not body.get("stream"):
            self._json(response)
            return
        split = self.headers.get("x-test-split")

        def events() -> Iterator[str]:
            seq = 0

            def ev(obj: Dict[str, Any]) -> str:
                nonlocal seq
                obj = {**obj, "sequence_number": seq}
                seq += 1
                return f"event: {obj['type']}\ndata: {json.dumps(obj)}\n\n"

            start = {**response, "status": "in_progress", "output": [], "usage": None}
            yield ev({"type": "response.created", "response": start})
            yield ev({"type": "response.in_progress", "response": start})
            if item["type"] == "function_call":
                yield ev({"type": "response.output_item.added", "output_index": 0,
                          "item": {**item, "arguments": "", "status": "in_progress"}})
                for piece in _split(item["arguments"], split):
                    yield ev({"type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 0,
                              "delta": piece})
                yield ev({"type": "response.function_call_arguments.done", "item_id": "fc_1", "output_index": 0,
                          "arguments": item["arguments"]})
            else:
                yield ev({"type": "response.output_item.added", "output_index": 0,
                          "item": {**item, "content": [], "status": "in_progress"}})
                yield ev({"type": "response.content_part.added", "item_id": "msg_1", "output_index": 0, "content_index": 0,
                          "part": {"type": "output_text", "text": "", "annotations": []}})
                for piece in _split(text, split):
                    yield ev({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
                              "content_index": 0, "delta": piece, "logprobs": []})
                yield ev({"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
                          "text": text, "logprobs": []})
                yield ev({"type": "response.content_part.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
                          "part": {"type": "output_text", "text": text, "annotations": []}})
            yield ev({"type": "response.output_item.done", "output_index": 0, "item": item})
            yield ev({"type": "response.completed", "response": response})

        self._sse(events())


class StandIn:
    def __init__(self) -> None:
        self.recorder = Recorder()
        handler = type("BoundHandler", (Handler,), {"recorder": self.recorder})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def bodies(self) -> List[str]:
        return self.recorder.bodies()

    def last_json(self) -> Dict[str, Any]:
        return json.loads(self.recorder.requests[-1]["body"])

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def server() -> Iterator[StandIn]:
    s = StandIn()
    yield s
    s.stop()


@pytest.fixture
def api(server: StandIn) -> Iterator[StandIn]:
    server.recorder.clear()
    yield server
    server.recorder.clear()


@pytest.fixture
def client(api: StandIn) -> Iterator[Any]:
    from openai import OpenAI

    c = OpenAI(base_url=api.base_url, api_key="test", max_retries=0)
    yield c
    c.close()


@pytest.fixture
def async_client(api: StandIn) -> Any:
    from openai import AsyncOpenAI

    return AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0)


@pytest.fixture(autouse=True)
def _clean_runtime_config() -> Iterator[None]:
    from gdpr_lint.runtime import config, scopes

    yield
    config.reset()
    scopes.reset()


# Realistic personal data (CPR and IBAN pass python-stdnum's checks).
CPR = "070761-4285"
NAME = "Anders Holm"
EMAIL = "anders.holm@example.dk"
PHONE = "+45 40 12 34 56"
IBAN = "DK50 0040 0440 1162 43"
ADDRESS = "Nørregade 12, 1165 København K"
CARD = "4571 1234 5678 9115"

PERSONAL = [NAME, EMAIL, PHONE, IBAN, CPR, "0707614285", "40123456", "DK5000400440116243", "anders.holm", "4571123456789115"]


def assert_no_personal(bodies: List[str], values: List[str] = PERSONAL) -> None:
    for body in bodies:
        flat = body.replace(" ", "")
        for v in values:
            assert v not in body, f"{v!r} leaked in request body: {body[:300]}"
            assert v.replace(" ", "") not in flat, f"{v!r} leaked in request body: {body[:300]}"
