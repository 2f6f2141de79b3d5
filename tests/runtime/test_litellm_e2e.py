"""The real ``litellm`` package, through its OpenAI provider, against the local
stand-in server (no mocks): a clinic's and a bank's support code calling
``litellm.completion`` / ``acompletion`` / ``text_completion`` / ``embedding`` /
``responses`` through ``protect()``.

Every test checks both directions: the recorded request bodies contain no
personal value, and the caller sees the original values.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any, Dict, Iterator, List

import pytest

from gdpr_lint.runtime import Conversation, PseudonymisationError, protect, pseudonymous_id

from .conftest import CPR, EMAIL, IBAN, NAME, PHONE, TOKEN, Handler, Recorder, _split, assert_no_personal

KNOWN = {"name": NAME, "email": EMAIL}
PROMPT = f"Skriv til {NAME} ({EMAIL}, tlf {PHONE}) om udbetaling til {IBAN}. CPR {CPR}."
EXPECTED = PROMPT.replace(CPR, "[[CPR_REDACTED_1]]")  # CPR is redacted by default, never restored
PERSONAL_IN_PROMPT = [NAME, EMAIL, PHONE, IBAN, CPR]
# Cut the streamed text at these offsets (header x-test-split of the stand-in server).
SPLITS = ["all", "1,2,3", "7,15,16,40,41", "20,60,61,62,100"]


class _CompletionsHandler(Handler):
    """The stand-in server plus the legacy ``/v1/completions`` endpoint (text_completion)."""

    def do_POST(self) -> None:  # noqa: N802
        if not self.path.split("?")[0].endswith("/v1/completions"):
            super().do_POST()
            return
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.recorder.add(self.path, dict(self.headers), raw)
        body = json.loads(raw)
        prompt = body.get("prompt")
        text = prompt if isinstance(prompt, str) else " ".join(p for p in prompt if isinstance(p, str))
        base = {"id": "cmpl-1", "object": "text_completion", "created": 1700000000, "model": body.get("model")}
        if not body.get("stream"):
            self._json({**base, "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
            return
        pieces = _split(text, self.headers.get("x-test-split"))

        def events() -> Iterator[str]:
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1 and not self.headers.get("x-test-no-finish")
                choice = {"index": 0, "text": piece, "finish_reason": "stop" if last else None, "logprobs": None}
                yield "data: " + json.dumps({**base, "choices": [choice]}) + "\n\n"
            yield "data: [DONE]\n\n"

        self._sse(events())


class _Server:
    def __init__(self) -> None:
        self.recorder = Recorder()
        handler = type("BoundHandler", (_CompletionsHandler,), {"recorder": self.recorder})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def bodies(self) -> List[str]:
        return self.recorder.bodies()

    def last_json(self) -> Dict[str, Any]:
        return json.loads(self.recorder.requests[-1]["body"])


@pytest.fixture(scope="module")
def litellm() -> Any:
    # the bundled model cost map: importing litellm must not go to the network
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm as module

    module.suppress_debug_info = True
    return module


@pytest.fixture(scope="module")
def _server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def api(_server: _Server) -> Iterator[_Server]:
    _server.recorder.clear()
    yield _server
    _server.recorder.clear()


@pytest.fixture
def provider(api: _Server) -> Dict[str, Any]:
    """What the application passes to reach its OpenAI deployment through LiteLLM."""
    return {"api_base": api.base_url, "api_key": "test"}


def user(content: Any) -> List[Dict[str, Any]]:
    return [{"role": "user", "content": content}]


# ---------------------------------------------------------------------------
# completion


def test_completion_pseudonymises_messages_and_restores_the_reply(litellm: Any, api: _Server, provider: Dict) -> None:
    messages = [{"role": "system", "content": "Du er sekretær i en tandlægeklinik."}, *user(PROMPT)]
    reply = protect(litellm.completion, known=KNOWN)(
        model="openai/gpt-4o-mini", messages=messages, user=EMAIL, **provider
    )
    assert type(reply).__name__ == "ModelResponse"
    assert reply.choices[0].message.content == EXPECTED
    assert_no_personal(api.bodies())
    body = api.last_json()
    assert body["user"] == pseudonymous_id(EMAIL)
    assert TOKEN.search(body["messages"][1]["content"])
    assert "[[CPR_REDACTED_1]]" in body["messages"][1]["content"]
    # the caller's own message list is left alone
    assert messages[1]["content"] == PROMPT


def test_completion_positional_model_and_from_import(litellm: Any, api: _Server, provider: Dict) -> None:
    from litellm import completion

    reply = protect(completion, known={"name": NAME})("openai/gpt-4o-mini", user(f"Bekræft tiden for {NAME}"), **provider)
    assert reply.choices[0].message.content == f"Bekræft tiden for {NAME}"
    assert_no_personal(api.bodies())
    assert api.last_json()["model"] == "gpt-4o-mini"


def test_content_parts_tool_results_and_message_objects(litellm: Any, api: _Server, provider: Dict) -> None:
    tools = [{"type": "function", "function": {
        "name": "find_customer", "description": "Look up a bank customer",
        "parameters": {"type": "object", "properties": {"text": {"type": "string"}}}}}]
    create = protect(litellm.completion, known=KNOWN)
    first = create(model="openai/gpt-4o-mini", tools=tools,
                   messages=user([{"type": "text", "text": f"Find kunden {NAME}, mail {EMAIL}"}]), **provider)
    call = first.choices[0].message.tool_calls[0]
    args = json.loads(call.function.arguments)
    assert args["text"] == f"Find kunden {NAME}, mail {EMAIL}"
    assert len(args["tokens"]) == 2  # the model only saw pseudonyms
    # next turn: the assistant message object from the reply, and the tool result
    second = create(model="openai/gpt-4o-mini", messages=[
        *user(f"Find kunden {NAME}"),
        first.choices[0].message,
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"name": NAME, "iban": IBAN})},
    ], **provider)
    assert json.loads(second.choices[0].message.content) == {"name": NAME, "iban": IBAN}
    assert_no_personal(api.bodies())
    sent = api.last_json()["messages"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "find_customer"
    assert NAME not in sent[1]["tool_calls"][0]["function"]["arguments"]
    # the reply object the caller passed back in still holds the real values
    assert NAME in first.choices[0].message.tool_calls[0].function.arguments


def test_structured_output_is_valid_json_with_real_values(litellm: Any, api: _Server, provider: Dict) -> None:
    name = 'Anders "AH" Holm'
    fmt = {"type": "json_schema", "json_schema": {"name": "note", "schema": {
        "type": "object", "properties": {"summary": {"type": "string"}}}}}
    reply = protect(litellm.completion, known={"name": name})(
        model="openai/gpt-4o-mini", messages=user(f"Journalnotat for {name}"), response_format=fmt, **provider)
    assert json.loads(reply.choices[0].message.content) == {"summary": f"Journalnotat for {name}"}
    assert_no_personal(api.bodies(), [name, "Holm"])


def _stream_text(stream: Any) -> str:
    out = []
    for chunk in stream:
        for choice in chunk.choices:
            piece = choice.delta.content
            if piece:
                assert not re.search(r"\[\[[A-Z_]*[0-9a-f]*\]?\Z", piece) or TOKEN.search(piece), piece
                out.append(piece)
    return "".join(out)


@pytest.mark.parametrize("split", SPLITS)
def test_streamed_completion_equals_the_plain_reply(litellm: Any, api: _Server, provider: Dict, split: str) -> None:
    create = protect(litellm.completion, known=KNOWN)
    stream = create(model="openai/gpt-4o-mini", messages=user(PROMPT), stream=True,
                    extra_headers={"x-test-split": split}, **provider)
    assert type(stream).__name__ == "CustomStreamWrapper"
    pieces: List[str] = []
    for chunk in stream:
        piece = chunk.choices[0].delta.content if chunk.choices else None
        if piece:
            # never a pseudonym cut in half: either a whole one or none at all
            assert "[[" not in piece.replace("[[CPR_REDACTED_1]]", "") or TOKEN.search(piece)
            assert not piece.endswith(("[", "[[")), piece
            pieces.append(piece)
    assert "".join(pieces) == EXPECTED
    assert_no_personal(api.bodies())


@pytest.mark.parametrize("split", ["all", "30,31,32"])
def test_streamed_tool_call_arguments(litellm: Any, api: _Server, provider: Dict, split: str) -> None:
    tools = [{"type": "function", "function": {"name": "book", "parameters": {"type": "object", "properties": {}}}}]
    stream = protect(litellm.completion, known=KNOWN)(
        model="openai/gpt-4o-mini", messages=user(f"Book tid til {NAME} <{EMAIL}>"), tools=tools, stream=True,
        extra_headers={"x-test-split": split}, **provider)
    chunks = list(stream)
    args = "".join(tc.function.arguments or "" for c in chunks for ch in c.choices for tc in (ch.delta.tool_calls or []))
    assert json.loads(args)["text"] == f"Book tid til {NAME} <{EMAIL}>"
    rebuilt = litellm.stream_chunk_builder(chunks)
    assert json.loads(rebuilt.choices[0].message.tool_calls[0].function.arguments)["text"].startswith("Book tid til Anders")
    assert_no_personal(api.bodies())


def test_acompletion_plain_and_streamed(litellm: Any, api: _Server, provider: Dict) -> None:
    async def main() -> tuple:
        acreate = protect(litellm.acompletion, known=KNOWN)
        plain = await acreate(model="openai/gpt-4o-mini", messages=user(PROMPT), **provider)
        stream = await acreate(model="openai/gpt-4o-mini", messages=user(PROMPT), stream=True,
                               extra_headers={"x-test-split": "all"}, **provider)
        text = ""
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
        return plain, text

    plain, text = asyncio.run(main())
    assert plain.choices[0].message.content == EXPECTED
    assert text == EXPECTED
    assert_no_personal(api.bodies())


def test_conversation_keeps_pseudonyms_stable_across_calls(litellm: Any, api: _Server, provider: Dict) -> None:
    conv = Conversation(id="case-17", tenant="clinic")
    create = protect(litellm.completion, known={"name": NAME}, conversation=conv)
    create(model="openai/gpt-4o-mini", messages=user(f"Patient {NAME}"), **provider)
    first = api.last_json()["messages"][0]["content"]
    create(model="openai/gpt-4o-mini", messages=user(f"Igen: {NAME}"), **provider)
    second = api.last_json()["messages"][0]["content"]
    assert TOKEN.findall(first) == TOKEN.findall(second)


# ---------------------------------------------------------------------------
# text completion, embeddings, responses


@pytest.mark.parametrize("split", [None, "all", "5,6,30"])
def test_text_completion(litellm: Any, api: _Server, provider: Dict, split: Any) -> None:
    create = protect(litellm.text_completion, known=KNOWN)
    prompt = f"Referat: {NAME} ringede fra {PHONE}."
    if split is None:
        reply = create(model="openai/gpt-3.5-turbo-instruct", prompt=prompt, **provider)
        assert reply.choices[0].text == prompt
    else:
        stream = create(model="openai/gpt-3.5-turbo-instruct", prompt=prompt, stream=True,
                        extra_headers={"x-test-split": split}, **provider)
        assert "".join(c.choices[0].text or "" for c in stream if c.choices) == prompt
    assert_no_personal(api.bodies())


@pytest.mark.parametrize("finish", [True, False])
def test_held_back_text_is_flushed_at_the_end(litellm: Any, api: _Server, provider: Dict, finish: bool) -> None:
    """A reply that ends in what could still be a pseudonym: held back, then released
    with the finishing chunk, or in an extra chunk when the stream just stops."""
    conv = Conversation(id="ticket-9")
    token = conv.pseudonymise(NAME, known={"name": NAME})
    headers = {"x-test-split": "all", "x-test-reply": f"Dear {token} [[NAME_"}
    if finish:
        stream = protect(litellm.completion, conversation=conv)(
            model="openai/gpt-4o-mini", messages=user("Hej"), stream=True, extra_headers=headers, **provider)
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert chunks[-1].choices[0].delta.content == "[[NAME_"
        assert chunks[-1].choices[0].finish_reason == "stop"
    else:
        prompt = f"Dear {token} [[NAME_"
        headers = {"x-test-split": "all", "x-test-no-finish": "1"}
        stream = protect(litellm.text_completion, conversation=conv)(
            model="openai/gpt-3.5-turbo-instruct", prompt=prompt, stream=True, extra_headers=headers, **provider)
        chunks = list(stream)
        text = "".join(c.choices[0].text or "" for c in chunks if c.choices)
        assert chunks[-1].choices[0].text == "[[NAME_"
    assert text == f"Dear {NAME} [[NAME_"


def test_embedding_and_aembedding(litellm: Any, api: _Server, provider: Dict) -> None:
    texts = [f"Kunde {NAME}, {EMAIL}", f"Telefon {PHONE}, konto {IBAN}"]
    with Conversation(id="crm-index"):
        result = protect(litellm.embedding, known=KNOWN)(model="openai/text-embedding-3-small", input=texts, **provider)
        aresult = asyncio.run(protect(litellm.aembedding, known=KNOWN)(
            model="openai/text-embedding-3-small", input=texts[0], **provider))
    assert type(result).__name__ == "EmbeddingResponse"
    assert len(result.data) == 2 and len(aresult.data) == 1
    assert_no_personal(api.bodies())
    sent = [json.loads(b)["input"] for b in api.bodies()]
    assert sent[1] == sent[0][0]  # one conversation per index: same person, same pseudonym
    assert texts == [f"Kunde {NAME}, {EMAIL}", f"Telefon {PHONE}, konto {IBAN}"]


def test_responses_plain_and_streamed(litellm: Any, api: _Server, provider: Dict) -> None:
    create = protect(litellm.responses, known=KNOWN)
    reply = create(model="openai/gpt-4o-mini", input=PROMPT, instructions=f"Svar som rådgiver for {NAME}", **provider)
    assert reply.output[0].content[0].text == EXPECTED
    assert_no_personal(api.bodies())
    assert NAME not in api.last_json()["instructions"]
    for split in ("all", "3,40,41"):
        events = list(create(model="openai/gpt-4o-mini", input=[{"role": "user", "content": PROMPT}], stream=True,
                             extra_headers={"x-test-split": split}, **provider))
        deltas = [e.delta for e in events if str(getattr(e.type, "value", e.type)) == "response.output_text.delta"]
        assert "".join(deltas) == EXPECTED
        for d in deltas:
            assert not d.endswith(("[", "[[")), d
        done = [e for e in events if str(getattr(e.type, "value", e.type)) == "response.output_text.done"]
        assert done[0].text == EXPECTED
    assert_no_personal(api.bodies())


def test_aresponses(litellm: Any, api: _Server, provider: Dict) -> None:
    reply = asyncio.run(protect(litellm.aresponses, known=KNOWN)(model="openai/gpt-4o-mini", input=PROMPT, **provider))
    assert reply.output[0].content[0].text == EXPECTED
    assert_no_personal(api.bodies())


# ---------------------------------------------------------------------------
# failing closed, dispatch


def test_known_value_in_a_provider_setting_is_refused(litellm: Any, api: _Server, provider: Dict) -> None:
    create = protect(litellm.completion, known={"email": EMAIL})
    with pytest.raises(PseudonymisationError, match="nothing was sent"):
        create(model="openai/gpt-4o-mini", messages=user("Hej"), extra_headers={"x-customer": EMAIL}, **provider)
    with pytest.raises(PseudonymisationError, match="'name'"):
        create(model="openai/gpt-4o-mini", messages=[{"role": "user", "name": EMAIL, "content": "Hej"}], **provider)
    assert api.bodies() == []


def test_uninspectable_content_is_refused(litellm: Any, api: _Server, provider: Dict) -> None:
    class Note:
        def __str__(self) -> str:
            return f"{NAME} {EMAIL}"

    with pytest.raises(PseudonymisationError, match="Note"):
        protect(litellm.completion)(model="openai/gpt-4o-mini", messages=user([{"type": "text", "text": Note()}]),
                                    **provider)
    assert api.bodies() == []


def test_inline_content_follows_the_walker_rules(litellm: Any, api: _Server, provider: Dict) -> None:
    import base64

    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(b"\x89PNG\x00\x01").decode()}}
    with pytest.raises(PseudonymisationError, match="allow_inline_binary"):
        protect(litellm.completion)(model="openai/gpt-4o-mini", messages=user([{"type": "text", "text": "x"}, image]),
                                    **provider)
    assert api.bodies() == []
    text_file = "data:text/plain;base64," + base64.b64encode(f"{NAME} <{EMAIL}>".encode()).decode()
    protect(litellm.completion, known={"name": NAME})(
        model="openai/gpt-4o-mini", messages=user([{"type": "text", "text": "x"},
                                                   {"type": "image_url", "image_url": {"url": text_file}}]), **provider)
    sent = api.last_json()["messages"][0]["content"][1]["image_url"]["url"]
    assert_no_personal([base64.b64decode(sent.partition(",")[2]).decode(), api.bodies()[-1]])


def test_protecting_twice_pseudonymises_once(litellm: Any, api: _Server, provider: Dict) -> None:
    twice = protect(protect(litellm.completion, known={"name": NAME}), known={"email": EMAIL})
    reply = twice(model="openai/gpt-4o-mini", messages=user(f"{NAME} <{EMAIL}>"), **provider)
    assert reply.choices[0].message.content == f"{NAME} <{EMAIL}>"
    assert len(TOKEN.findall(api.last_json()["messages"][0]["content"])) == 2


def test_unsupported_litellm_function_is_a_type_error(litellm: Any) -> None:
    with pytest.raises(TypeError, match="litellm.completion"):
        protect(litellm.transcription)


def test_runtime_import_does_not_import_litellm() -> None:
    code = ("import sys, gdpr_lint.runtime as r; from gdpr_lint.runtime import protect; "
            "assert 'litellm' not in sys.modules, 'litellm imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
