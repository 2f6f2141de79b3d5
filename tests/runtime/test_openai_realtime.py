"""The Realtime API through a protected client: the real ``openai`` client
against a local websocket stand-in on 127.0.0.1 that records every client
event and answers ``response.create`` by echoing the last user text as text and
transcript deltas (so replies carry the pseudonyms the runtime must restore)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from typing import Any, Dict, Iterator, List, Optional

import pytest

from gdpr_lint.runtime import Conversation, PseudonymisationError, configure, protect

from .conftest import EMAIL, NAME, PHONE, assert_no_personal

PROMPT = f"Skriv til {NAME} ({EMAIL}, tlf {PHONE}) om mødet"


class RealtimeStandIn:
    def __init__(self) -> None:
        from websockets.sync.server import serve

        self.lock = threading.Lock()
        self.frames: List[str] = []
        self.paths: List[str] = []
        self.headers: List[Dict[str, str]] = []
        self.server = serve(self.handle, "127.0.0.1", 0, compression=None)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, ws: Any) -> None:
        with self.lock:
            self.paths.append(ws.request.path)
            self.headers.append({k.lower(): v for k, v in ws.request.headers.raw_items()})
        last_text = ""
        try:
            for message in ws:
                with self.lock:
                    self.frames.append(message if isinstance(message, str) else message.decode())
                event = json.loads(message)
                etype = event.get("type")
                if etype == "session.update":
                    ws.send(json.dumps({"type": "session.updated", "event_id": "e0", "session": event.get("session", {})}))
                elif etype == "conversation.item.create":
                    item = event.get("item") or {}
                    last_text = " ".join(p.get("text", "") for p in item.get("content") or [] if isinstance(p, dict))
                    if last_text == "GOING AWAY":  # lets a test make the client reconnect
                        ws.close(1001, "going away")
                        return
                    ws.send(json.dumps({"type": "conversation.item.created", "event_id": "e1", "item": {**item, "id": "item_u"}}))
                elif etype == "response.create" and ws.request.path.startswith("/v1/responses"):
                    self.respond_responses(ws, event)
                elif etype == "response.create":
                    self.respond(ws, last_text)
        except Exception:  # the client went away
            pass

    @staticmethod
    def respond(ws: Any, text: str) -> None:
        ids = {"response_id": "resp_1", "item_id": "item_1", "output_index": 0, "content_index": 0}
        ws.send(json.dumps({"type": "response.created", "event_id": "r0", "response": {"id": "resp_1", "object": "realtime.response"}}))
        for kind in ("response.output_text", "response.output_audio_transcript"):
            for i in range(0, len(text), 3):  # small pieces: pseudonyms are always cut
                ws.send(json.dumps({"type": kind + ".delta", "event_id": f"d{i}", **ids, "delta": text[i:i + 3]}))
            done_key = "text" if kind == "response.output_text" else "transcript"
            ws.send(json.dumps({"type": kind + ".done", "event_id": "dd", **ids, done_key: text}))
        ws.send(json.dumps({"type": "response.output_audio.delta", "event_id": "a0", **ids,
                            "delta": base64.b64encode(b"\x00\x01[[\x02").decode()}))
        ws.send(json.dumps({"type": "response.done", "event_id": "r9", "response": {
            "id": "resp_1", "object": "realtime.response", "status": "completed",
            "output": [{"id": "item_1", "type": "message", "role": "assistant",
                        "content": [{"type": "output_text", "text": text}]}]}}))

    @staticmethod
    def respond_responses(ws: Any, event: Dict[str, Any]) -> None:
        """The Responses websocket mode: Responses stream events for a response.create event."""
        inp = event.get("input")
        text = inp if isinstance(inp, str) else " ".join(
            p.get("text", "") for item in inp or [] for p in item.get("content") or [] if isinstance(p, dict))
        if ((event.get("text") or {}).get("format") or {}).get("type") == "json_schema":
            text = json.dumps({"reply": text}, ensure_ascii=False)
        ids = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
        response = {"id": "resp_1", "object": "response", "created_at": 0, "status": "completed", "model": "m",
                    "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                                "content": [{"type": "output_text", "text": text, "annotations": []}]}],
                    "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}
        ws.send(json.dumps({"type": "response.created", "sequence_number": 0, "response": {**response, "output": []}}))
        for i in range(0, len(text), 3):
            ws.send(json.dumps({"type": "response.output_text.delta", "sequence_number": 1 + i, **ids,
                                "delta": text[i:i + 3], "logprobs": []}))
        ws.send(json.dumps({"type": "response.output_text.done", "sequence_number": 9998, **ids, "text": text,
                            "logprobs": []}))
        ws.send(json.dumps({"type": "response.completed", "sequence_number": 9999, "response": response}))

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def rt_server() -> Iterator[RealtimeStandIn]:
    s = RealtimeStandIn()
    yield s
    s.stop()


@pytest.fixture
def rt(rt_server: RealtimeStandIn) -> Iterator[RealtimeStandIn]:
    with rt_server.lock:
        rt_server.frames.clear()
        rt_server.paths.clear()
        rt_server.headers.clear()
    yield rt_server


def make_client(api: Any, rt: RealtimeStandIn, **kwargs: Any) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=api.base_url, api_key="test", max_retries=0,
                  websocket_base_url=f"ws://127.0.0.1:{rt.port}/v1", **kwargs)


def converse(conn: Any, text: str, instructions: Optional[str] = None) -> Dict[str, Any]:
    if instructions is not None:
        conn.session.update(session={"type": "realtime", "instructions": instructions, "output_modalities": ["text"]})
    conn.conversation.item.create(item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
    conn.response.create(response={"instructions": f"Svar kort. {instructions or ''}".strip()})
    seen: Dict[str, Any] = {"text": [], "transcript": [], "events": []}
    for event in conn:
        seen["events"].append(event.type)
        if event.type == "response.output_text.delta":
            seen["text"].append(event.delta)
        elif event.type == "response.output_audio_transcript.delta":
            seen["transcript"].append(event.delta)
        elif event.type == "response.output_text.done":
            seen["text_done"] = event.text
        elif event.type == "response.output_audio_transcript.done":
            seen["transcript_done"] = event.transcript
        elif event.type == "session.updated":
            seen["instructions"] = event.session.instructions
        elif event.type == "response.done":
            seen["output"] = event.response.output[0].content[0].text
            break
    return seen


def test_realtime_events_are_pseudonymised_and_replies_reidentified(api: Any, rt: RealtimeStandIn) -> None:
    client = protect(make_client(api, rt), known={"name": NAME})
    with client.realtime.connect(model="gpt-realtime") as conn:
        seen = converse(conn, PROMPT, instructions=f"Kunden hedder {NAME}")
    assert "".join(seen["text"]) == PROMPT == seen["text_done"] == seen["output"]
    assert "".join(seen["transcript"]) == PROMPT == seen["transcript_done"]
    assert seen["instructions"] == f"Kunden hedder {NAME}"
    assert_no_personal(rt.frames)
    sent = [json.loads(f) for f in rt.frames]
    assert [e["type"] for e in sent] == ["session.update", "conversation.item.create", "response.create"]
    assert sent[1]["item"]["content"][0]["text"].startswith("Skriv til [[NAME_")
    assert sent[0]["session"]["instructions"] == f"Kunden hedder {sent[1]['item']['content'][0]['text'][10:27]}"
    assert rt.paths == ["/v1/realtime?model=gpt-realtime"]
    assert rt.headers[0]["authorization"] == "Bearer test"


def test_realtime_one_conversation_per_session_and_given_conversation(api: Any, rt: RealtimeStandIn) -> None:
    conv = Conversation()
    client = protect(make_client(api, rt), conversation=conv)
    with client.realtime.connect(model="gpt-realtime") as conn:
        first = converse(conn, f"Mail {EMAIL}")
        second = converse(conn, f"Igen: {EMAIL}")
    assert "".join(first["text"]) == f"Mail {EMAIL}" and "".join(second["text"]) == f"Igen: {EMAIL}"
    texts = [json.loads(f)["item"]["content"][0]["text"] for f in rt.frames if "conversation.item.create" in f]
    assert texts[0][5:] == texts[1][6:]  # the same pseudonym in both turns
    assert conv.reidentify(texts[0]) == f"Mail {EMAIL}"


def test_events_queued_before_connecting(api: Any, rt: RealtimeStandIn) -> None:
    client = protect(make_client(api, rt), known={"name": NAME})
    manager = client.realtime.connect(model="gpt-realtime")
    manager.send({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                                                                "content": [{"type": "input_text", "text": PROMPT}]}})
    with manager as conn:
        conn.response.create()
        text = []
        for event in conn:
            if event.type == "response.output_text.delta":
                text.append(event.delta)
            if event.type == "response.done":
                break
    assert "".join(text) == PROMPT
    assert_no_personal(rt.frames)


def test_beta_realtime(api: Any, rt: RealtimeStandIn) -> None:
    client = protect(make_client(api, rt), known={"name": NAME})
    with client.beta.realtime.connect(model="gpt-realtime", extra_headers={"X-End-User": EMAIL}) as conn:
        seen = converse(conn, PROMPT, instructions=f"Kunden hedder {NAME}")
    assert "".join(seen["text"]) == PROMPT == seen["output"]
    assert seen["instructions"] == f"Kunden hedder {NAME}"
    assert_no_personal(rt.frames)
    assert rt.headers[-1]["x-end-user"].startswith("[[EMAIL_")


def test_beta_realtime_async(api: Any, rt: RealtimeStandIn) -> None:
    from openai import AsyncOpenAI

    async def main() -> str:
        client = protect(AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0,
                                     websocket_base_url=f"ws://127.0.0.1:{rt.port}/v1"))
        async with client.beta.realtime.connect(model="gpt-realtime") as conn:
            await conn.conversation.item.create(item={"type": "message", "role": "user",
                                                      "content": [{"type": "input_text", "text": PROMPT}]})
            await conn.response.create()
            text = []
            async for event in conn:
                if event.type == "response.output_text.delta":
                    text.append(event.delta)
                if event.type == "response.done":
                    return "".join(text)
        return ""

    assert asyncio.run(main()) == PROMPT
    assert_no_personal(rt.frames)


def test_realtime_async(api: Any, rt: RealtimeStandIn) -> None:
    from openai import AsyncOpenAI

    async def main() -> str:
        client = protect(AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0,
                                     websocket_base_url=f"ws://127.0.0.1:{rt.port}/v1"), known={"name": NAME})
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.conversation.item.create(item={"type": "message", "role": "user",
                                                      "content": [{"type": "input_text", "text": PROMPT}]})
            await conn.response.create()
            text = []
            async for event in conn:
                if event.type == "response.output_text.delta":
                    text.append(event.delta)
                if event.type == "response.done":
                    return "".join(text)
        return ""

    assert asyncio.run(main()) == PROMPT
    assert_no_personal(rt.frames)


def test_realtime_audio_is_refused_unless_allowed(api: Any, rt: RealtimeStandIn) -> None:
    client = protect(make_client(api, rt))
    audio = base64.b64encode(b"\x00\x01" * 200).decode()
    with client.realtime.connect(model="gpt-realtime") as conn:
        with pytest.raises(PseudonymisationError, match="audio"):
            conn.input_audio_buffer.append(audio=audio)
        configure(allow_inline_binary=True)
        conn.input_audio_buffer.append(audio=audio)
        seen = converse(conn, f"og ring {PHONE}")
    assert "".join(seen["text"]) == f"og ring {PHONE}"
    sent = [json.loads(f) for f in rt.frames]
    assert sent[0] == {"type": "input_audio_buffer.append", "audio": audio}  # sent unchanged once allowed
    assert_no_personal(rt.frames)


def test_realtime_handshake_headers_and_query(api: Any, rt: RealtimeStandIn) -> None:
    client = protect(make_client(api, rt))
    with client.realtime.connect(model="gpt-realtime", extra_headers={"X-End-User": EMAIL}) as conn:
        converse(conn, "hej")
    assert rt.headers[-1]["x-end-user"].startswith("[[EMAIL_")
    with pytest.raises(PseudonymisationError, match="query parameter"):
        client.realtime.connect(model="gpt-realtime", extra_query={"customer": EMAIL}).enter()
    assert len(rt.paths) == 1


def test_harmless_realtime_events_pass_unchanged(api: Any, rt: RealtimeStandIn) -> None:
    with protect(make_client(api, rt)).realtime.connect(model="gpt-realtime") as conn:
        seen = converse(conn, "Hvad er klokken i Aarhus?", instructions="Svar på dansk.")
    assert "".join(seen["text"]) == "Hvad er klokken i Aarhus?"
    sent = [json.loads(f) for f in rt.frames]
    assert sent[0]["session"]["instructions"] == "Svar på dansk."
    assert sent[1]["item"]["content"][0]["text"] == "Hvad er klokken i Aarhus?"


def test_realtime_of_protected_copies(api: Any, rt: RealtimeStandIn) -> None:
    import httpx2

    protected = protect(make_client(api, rt), known={"name": NAME})
    for copy in (protected.with_options(timeout=30), protected.with_options(http_client=httpx2.Client())):
        with copy.realtime.connect(model="gpt-realtime") as conn:
            seen = converse(conn, PROMPT)
        assert "".join(seen["text"]) == PROMPT
    assert len(rt.paths) == 2
    assert_no_personal(rt.frames)


def test_realtime_reconnect_keeps_protection(api: Any, rt: RealtimeStandIn) -> None:
    holder: Dict[str, Any] = {}

    def on_reconnecting(event: Any) -> None:
        # queued while reconnecting, sent on the new websocket
        holder["conn"].conversation.item.create(item={"type": "message", "role": "user",
                                                      "content": [{"type": "input_text", "text": PROMPT}]})
        holder["conn"].response.create()

    client = protect(make_client(api, rt), known={"name": NAME})
    with client.realtime.connect(model="gpt-realtime", on_reconnecting=on_reconnecting,
                                 initial_delay=0.01, max_delay=0.02) as conn:
        holder["conn"] = conn
        conn.conversation.item.create(item={"type": "message", "role": "user",
                                            "content": [{"type": "input_text", "text": "GOING AWAY"}]})
        text = []
        for event in conn:
            if event.type == "response.output_text.delta":
                text.append(event.delta)
            if event.type == "response.done":
                break
    assert len(rt.paths) == 2  # a second websocket was opened
    assert "".join(text) == PROMPT
    assert_no_personal(rt.frames)
    assert any("[[NAME_" in f for f in rt.frames)


def test_realtime_audit_records(api: Any, rt: RealtimeStandIn, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="gdpr_lint.runtime.audit")
    with protect(make_client(api, rt), known={"name": NAME}).realtime.connect(model="gpt-realtime") as conn:
        with pytest.raises(PseudonymisationError):
            conn.input_audio_buffer.append(audio=base64.b64encode(b"\x00" * 64).decode())
        converse(conn, PROMPT)
    records = [r.gdpr_lint for r in caplog.records if r.name == "gdpr_lint.runtime.audit"]
    blocked = [r for r in records if r["event"] == "blocked"]
    assert [r["endpoint"] for r in blocked] == ["websocket input_audio_buffer.append"]
    item = next(r for r in records if r.get("endpoint") == "websocket conversation.item.create")
    assert item["event"] == "request" and item["entities"] == {"NAME": 1, "EMAIL": 1, "PHONE": 1}
    assert "test_openai_realtime.py" in (item.get("call_site") or "")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert NAME not in text and EMAIL not in text


def read_responses(conn: Any) -> Dict[str, Any]:
    seen: Dict[str, Any] = {"text": []}
    for event in conn:
        if event.type == "response.output_text.delta":
            seen["text"].append(event.delta)
        elif event.type == "response.output_text.done":
            seen["done"] = event.text
        elif event.type == "response.completed":
            seen["output"] = event.response.output[0].content[0].text
            break
    return seen


def test_responses_websocket_mode(api: Any, rt: RealtimeStandIn) -> None:
    client = protect(make_client(api, rt), known={"name": NAME})
    with client.responses.connect() as conn:
        conn.response.create(model="gpt-4o-mini", input=PROMPT, instructions=f"Kunden hedder {NAME}")
        seen = read_responses(conn)
    assert "".join(seen["text"]) == PROMPT == seen["done"] == seen["output"]
    assert_no_personal(rt.frames)
    sent = json.loads(rt.frames[0])
    assert sent["type"] == "response.create" and sent["model"] == "gpt-4o-mini"
    assert sent["instructions"].startswith("Kunden hedder [[NAME_")
    assert rt.paths == ["/v1/responses"]


def test_responses_websocket_structured_output_stays_valid_json(api: Any, rt: RealtimeStandIn) -> None:
    odd = 'Anders "AH" Holm'
    client = protect(make_client(api, rt), known={"name": odd})
    fmt = {"format": {"type": "json_schema", "name": "r", "schema": {"type": "object", "properties": {
        "reply": {"type": "string"}}}}}
    with client.beta.responses.connect() as conn:
        conn.response.create(model="m", input=[{"role": "user", "content": [{"type": "input_text", "text": f"{odd} <{EMAIL}>"}]}],
                             text=fmt)
        seen = read_responses(conn)
    assert json.loads("".join(seen["text"])) == {"reply": f"{odd} <{EMAIL}>"}
    assert json.loads(seen["output"]) == {"reply": f"{odd} <{EMAIL}>"}
    assert_no_personal(rt.frames, [odd, EMAIL])


def test_unprotected_realtime_sends_the_value(api: Any, rt: RealtimeStandIn) -> None:
    # the control: the stand-in does see what an unprotected client sends
    with make_client(api, rt).realtime.connect(model="gpt-realtime") as conn:
        converse(conn, PROMPT)
    assert any(EMAIL in f for f in rt.frames)
