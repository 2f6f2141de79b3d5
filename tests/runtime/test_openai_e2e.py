"""The real ``openai`` client against a local stand-in server (no mocks of the client).

Every test checks both directions: the recorded request bodies contain no
personal value, and the caller sees the original values.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import warnings
from typing import Any, List

import pytest
from pydantic import BaseModel

from gdpr_lint.runtime import (
    Conversation,
    PseudonymisationError,
    configure,
    protect,
    pseudonymous_id,
)

from .conftest import CPR, EMAIL, IBAN, NAME, PHONE, assert_no_personal

KNOWN = {"name": NAME, "email": EMAIL}
# What the caller writes, and what the caller must get back (CPR is redacted by default).
PROMPT = f"Skriv til {NAME} ({EMAIL}, tlf {PHONE}) om udbetaling til {IBAN}. CPR {CPR}."
EXPECTED = PROMPT.replace(CPR, "[[CPR_REDACTED_1]]")
SHORT = f"Hej {NAME} <{EMAIL}>"
TOKEN = re.compile(r"\[\[[A-Z_]+_[0-9a-f]{8,16}\]\]")


def user(content: Any) -> List[dict]:
    return [{"role": "user", "content": content}]


# ---------------------------------------------------------------------------
# chat completions


def test_chat_create(client: Any, api: Any) -> None:
    reply = protect(client.chat.completions.create, known=KNOWN)(
        model="gpt-4o-mini", messages=user(PROMPT), user=pseudonymous_id(EMAIL)
    )
    assert reply.choices[0].message.content == EXPECTED
    assert_no_personal(api.bodies())
    body = api.last_json()
    assert body["user"].startswith("pid_")
    assert TOKEN.search(body["messages"][0]["content"])


def test_chat_create_without_known_values(client: Any, api: Any) -> None:
    reply = protect(client.chat.completions.create)(model="m", messages=user(f"mail {EMAIL} tlf {PHONE}"))
    assert reply.choices[0].message.content == f"mail {EMAIL} tlf {PHONE}"
    assert_no_personal(api.bodies())


def test_chat_all_message_shapes(client: Any, api: Any) -> None:
    class Prior(BaseModel):  # the SDK accepts models (e.g. a previous reply's message)
        role: str
        content: str

    messages = [
        {"role": "system", "content": f"Kunden hedder {NAME}."},
        {"role": "user", "content": [{"type": "text", "text": f"Min mail er {EMAIL}"},
                                     {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "lookup", "arguments": json.dumps({"email": EMAIL, "phone": PHONE})}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": json.dumps({"iban": IBAN, "name": NAME})},
        Prior(role="assistant", content=f"Noteret, {NAME}."),
        {"role": "user", "content": f"Ring {PHONE}"},
    ]
    reply = protect(client.chat.completions.create, known=KNOWN)(model="m", messages=messages, metadata={"customer": EMAIL})
    assert reply.choices[0].message.content == f"Ring {PHONE}"
    assert_no_personal(api.bodies())
    sent = api.last_json()["messages"]
    assert json.loads(sent[2]["tool_calls"][0]["function"]["arguments"]).keys() == {"email", "phone"}
    assert sent[1]["content"][1]["image_url"]["url"] == "https://example.com/x.png"


def test_chat_tool_call_arguments_stay_valid_json(client: Any, api: Any) -> None:
    odd = 'Anders "AH" Holm\\'
    tools = [{"type": "function", "function": {"name": "send_mail", "parameters": {"type": "object", "properties": {"text": {"type": "string"}}}}}]
    reply = protect(client.chat.completions.create, known={"name": odd})(
        model="m", messages=user(f"Til {odd}, {EMAIL}"), tools=tools
    )
    args = json.loads(reply.choices[0].message.tool_calls[0].function.arguments)
    assert args["text"] == f"Til {odd}, {EMAIL}"
    assert args["tokens"] == [odd, EMAIL]  # the server listed the tokens it saw
    assert_no_personal(api.bodies(), [odd, EMAIL])


class Letter(BaseModel):
    recipient: str
    body: str


def test_chat_parse_structured_output(client: Any, api: Any) -> None:
    name = 'Anders "AH" Holm'
    result = protect(client.chat.completions.parse, known={"name": name})(
        model="m", messages=user(f"{name} <{EMAIL}>"), response_format=Letter
    )
    parsed = result.choices[0].message.parsed
    assert isinstance(parsed, Letter)
    assert parsed.recipient == parsed.body == f"{name} <{EMAIL}>"
    assert json.loads(result.choices[0].message.content)["recipient"] == f"{name} <{EMAIL}>"
    assert_no_personal(api.bodies(), [name, EMAIL])


def _stream_text(chunks: Any, index: int = 0) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices and c.choices[0].index == index)


def test_chat_stream_equals_non_stream_at_every_cut(client: Any, api: Any) -> None:
    conv = Conversation()
    create = protect(client.chat.completions.create, known=KNOWN, conversation=conv)
    whole = create(model="m", messages=user(SHORT)).choices[0].message.content
    assert whole == SHORT
    sent = api.last_json()["messages"][0]["content"]
    for k in range(len(sent) + 1):
        stream = create(model="m", messages=user(SHORT), stream=True, extra_headers={"x-test-split": str(k)})
        assert _stream_text(stream) == whole, k
    stream = create(model="m", messages=user(SHORT), stream=True, extra_headers={"x-test-split": "all"})
    assert _stream_text(stream) == whole
    assert_no_personal(api.bodies())


def test_chat_stream_first_text_is_not_delayed(client: Any, api: Any) -> None:
    stream = protect(client.chat.completions.create, known=KNOWN)(
        model="m", messages=user(f"Goddag kære kunde, {NAME}"), stream=True, extra_headers={"x-test-split": "all"}
    )
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert pieces[0] == "G"  # plain text streams immediately
    assert NAME in pieces  # the name arrives whole, once its token is complete
    assert "".join(pieces) == f"Goddag kære kunde, {NAME}"


def test_chat_stream_n_choices_and_tool_calls(client: Any, api: Any) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
    create = protect(client.chat.completions.create, known=KNOWN)
    stream = create(model="m", messages=user(SHORT), stream=True, n=2, extra_headers={"x-test-split": "3,17,30"})
    chunks = list(stream)
    assert _stream_text(chunks, 0) == _stream_text(chunks, 1) == SHORT
    stream = create(model="m", messages=user(SHORT), stream=True, n=2, tools=tools, extra_headers={"x-test-split": "all"})
    args = {0: "", 1: ""}
    for c in stream:
        for ch in c.choices:
            for tc in ch.delta.tool_calls or []:
                args[ch.index] += tc.function.arguments or ""
    assert json.loads(args[0])["text"] == json.loads(args[1])["text"] == SHORT
    assert_no_personal(api.bodies())


def test_chat_stream_manager(client: Any, api: Any) -> None:
    with protect(client.chat.completions.stream, known=KNOWN)(
        model="m", messages=user(SHORT), extra_headers={"x-test-split": "all"}
    ) as stream:
        deltas = "".join(e.delta for e in stream if e.type == "content.delta")
        final = stream.get_final_completion()
    assert deltas == final.choices[0].message.content == SHORT
    with protect(client.chat.completions.stream, known=KNOWN)(
        model="m", messages=user(f"{NAME} <{EMAIL}>"), response_format=Letter, extra_headers={"x-test-split": "all"}
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.parsed == Letter(recipient=f"{NAME} <{EMAIL}>", body=f"{NAME} <{EMAIL}>")
    assert_no_personal(api.bodies())


def test_raw_and_streaming_response_wrappers(client: Any, api: Any) -> None:
    raw = protect(client.chat.completions.with_raw_response.create, known=KNOWN)(model="m", messages=user(SHORT))
    assert raw.parse().choices[0].message.content == SHORT
    assert SHORT in raw.text
    with protect(client.chat.completions.with_streaming_response.create, known=KNOWN)(model="m", messages=user(SHORT)) as resp:
        assert resp.parse().choices[0].message.content == SHORT
    with protect(client.chat.completions.with_streaming_response.create, known=KNOWN)(
        model="m", messages=user(SHORT), stream=True, extra_headers={"x-test-split": "all"}
    ) as resp:
        text = "".join(
            json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
            for line in resp.iter_lines() if line.startswith("data: {")
        )
    assert text == SHORT
    assert_no_personal(api.bodies())


def test_with_options_target(client: Any, api: Any) -> None:
    reply = protect(client.with_options(timeout=60).chat.completions.create, known=KNOWN)(model="m", messages=user(SHORT))
    assert reply.choices[0].message.content == SHORT
    assert_no_personal(api.bodies())


def test_module_level_client(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import openai

    monkeypatch.setattr(openai, "api_key", "test")
    monkeypatch.setattr(openai, "base_url", api.base_url + "/")  # the module client does not add the slash
    monkeypatch.setattr(openai, "max_retries", 0)
    reply = protect(openai.chat.completions.create, known=KNOWN)(model="m", messages=user(SHORT))
    assert reply.choices[0].message.content == SHORT
    assert_no_personal(api.bodies())


# ---------------------------------------------------------------------------
# responses and embeddings


def test_responses_create_and_input_shapes(client: Any, api: Any) -> None:
    create = protect(client.responses.create, known=KNOWN)
    r = create(model="m", input=PROMPT, instructions=f"Kunden er {NAME}")
    assert r.output_text == EXPECTED
    r = create(model="m", input=[
        {"role": "user", "content": [{"type": "input_text", "text": f"Jeg er {NAME}"}]},
        {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": json.dumps({"email": EMAIL})},
        {"type": "function_call_output", "call_id": "c1", "output": json.dumps({"phone": PHONE, "iban": IBAN})},
    ])
    assert json.loads(r.output_text) == {"phone": PHONE, "iban": IBAN}
    assert_no_personal(api.bodies())


def test_responses_stream_equals_non_stream_at_every_cut(client: Any, api: Any) -> None:
    conv = Conversation()
    create = protect(client.responses.create, known=KNOWN, conversation=conv)
    whole = create(model="m", input=SHORT).output_text
    assert whole == SHORT
    sent = api.last_json()["input"]
    for k in range(len(sent) + 1):
        events = list(create(model="m", input=SHORT, stream=True, extra_headers={"x-test-split": str(k)}))
        text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        assert text == whole, k
        done = [e for e in events if e.type == "response.completed"][0]
        assert done.response.output_text == whole
    assert_no_personal(api.bodies())


def test_responses_stream_manager_parse_and_function_calls(client: Any, api: Any) -> None:
    with protect(client.responses.stream, known=KNOWN)(model="m", input=SHORT, extra_headers={"x-test-split": "all"}) as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == final.output_text == SHORT
    parsed = protect(client.responses.parse, known=KNOWN)(model="m", input=SHORT, text_format=Letter)
    assert parsed.output_parsed == Letter(recipient=SHORT, body=SHORT)
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}]
    events = list(protect(client.responses.create, known=KNOWN)(
        model="m", input=SHORT, tools=tools, stream=True, extra_headers={"x-test-split": "all"}))
    args = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(args)["text"] == SHORT
    assert_no_personal(api.bodies())


def test_embeddings(client: Any, api: Any) -> None:
    out = protect(client.embeddings.create, known=KNOWN)(model="e", input=[PROMPT, f"tlf {PHONE}"])
    assert len(out.data) == 2
    out = protect(client.embeddings.create)(model="e", input=f"mail {EMAIL}")
    assert len(out.data) == 1
    assert_no_personal(api.bodies())


def test_threads_message_content(client: Any, api: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        msg = protect(client.beta.threads.messages.create, known=KNOWN)("thread_1", role="user", content=PROMPT)
    assert msg.content[0].text.value == EXPECTED
    assert_no_personal(api.bodies())


# ---------------------------------------------------------------------------
# whole clients


def test_protected_client_covers_chat_responses_embeddings(api: Any) -> None:
    from openai import OpenAI

    # No known values: names are not detected, everything else is.
    client = protect(OpenAI(base_url=api.base_url, api_key="test", max_retries=0))
    assert isinstance(client, OpenAI)
    assert client.chat.completions.create(model="m", messages=user(PROMPT)).choices[0].message.content == EXPECTED
    assert client.responses.create(model="m", input=PROMPT).output_text == EXPECTED
    assert client.embeddings.create(model="e", input=PROMPT).data
    assert client.with_options(timeout=60).chat.completions.create(model="m", messages=user(PROMPT)).choices[0].message.content == EXPECTED
    stream = client.chat.completions.create(model="m", messages=user(SHORT), stream=True, extra_headers={"x-test-split": "all"})
    assert _stream_text(stream) == SHORT
    assert_no_personal(api.bodies(), [EMAIL, PHONE, IBAN, CPR, "0707614285", "40123456"])
    assert len(api.bodies()) == 5
    client = protect(OpenAI(base_url=api.base_url, api_key="test", max_retries=0), known=KNOWN)
    assert client.responses.create(model="m", input=PROMPT).output_text == EXPECTED
    assert_no_personal(api.bodies()[-1:])


def test_protected_client_with_known_and_nested_protect(api: Any) -> None:
    from openai import OpenAI

    client = protect(OpenAI(base_url=api.base_url, api_key="test", max_retries=0), known={"name": NAME})
    create = protect(client.chat.completions.create, known={"address": "Nørregade 12, 1165 København K"})
    reply = create(model="m", messages=user(f"{NAME}, Nørregade 12, 1165 København K"))
    assert reply.choices[0].message.content == f"{NAME}, Nørregade 12, 1165 København K"
    body = api.bodies()[-1]
    assert "Nørregade" not in body and "Holm" not in body
    assert body.count("[[") == 2  # pseudonymised once, not twice


def test_azure_client(api: Any) -> None:
    from openai import AzureOpenAI

    azure = AzureOpenAI(azure_endpoint=f"http://127.0.0.1:{api.port}", api_key="test", api_version="2024-10-21", max_retries=0)
    client = protect(azure, known=KNOWN)
    reply = client.chat.completions.create(model="my-deployment", messages=user(PROMPT))
    assert reply.choices[0].message.content == EXPECTED
    assert "/openai/deployments/my-deployment/chat/completions" in api.recorder.requests[-1]["path"]
    assert_no_personal(api.bodies())


def test_binary_uploads_are_blocked_unless_allowed(api: Any, client: Any) -> None:
    protected = protect(client)
    with pytest.raises(PseudonymisationError, match="cannot be inspected"):
        protected.files.create(file=("scan.pdf", b"%PDF-1.4\n\x00\xff" + EMAIL.encode()), purpose="user_data")
    assert api.bodies() == []
    configure(allow_binary_uploads=True)
    assert protected.files.create(file=("scan.pdf", b"%PDF-1.4\n\x00\xff"), purpose="user_data").id == "file-1"


# ---------------------------------------------------------------------------
# scopes, concurrency, failure


def test_conversation_scope_keeps_pseudonyms_consistent(client: Any, api: Any) -> None:
    with Conversation(tenant="acme") as conv:
        protect(client.chat.completions.create)(model="m", messages=user(f"mail {EMAIL}"))
        protect(client.responses.create)(model="m", input=f"igen {EMAIL}")
    a, b = api.bodies()
    assert TOKEN.findall(a) == TOKEN.findall(b)
    protect(client.chat.completions.create)(model="m", messages=user(f"mail {EMAIL}"))
    protect(client.chat.completions.create)(model="m", messages=user(f"mail {EMAIL}"))
    c, d = api.bodies()[2:]
    assert TOKEN.findall(c) != TOKEN.findall(d)  # a fresh scope per call by default
    assert TOKEN.findall(a) != TOKEN.findall(c)
    # a token from another conversation is never re-identified
    foreign = TOKEN.findall(a)[0]
    reply = protect(client.chat.completions.create)(model="m", messages=user(f"svar {foreign}"))
    assert reply.choices[0].message.content == f"svar {foreign}"
    assert conv.reidentify(foreign) == EMAIL


def test_conversation_protect_binds_that_conversation(client: Any, api: Any) -> None:
    conv = Conversation()
    reply = conv.protect(client.chat.completions.create, known={"name": NAME})(model="m", messages=user(SHORT))
    assert reply.choices[0].message.content == SHORT
    reply = conv.protect(client, known={"name": NAME}).chat.completions.create(model="m", messages=user(SHORT))
    assert reply.choices[0].message.content == SHORT
    assert_no_personal(api.bodies())
    a, b = api.bodies()
    assert TOKEN.findall(a) == TOKEN.findall(b)
    assert conv.reidentify(api.last_json()["messages"][0]["content"]) == SHORT


def test_two_concurrent_conversations_never_see_each_other(client: Any, api: Any) -> None:
    people = {
        "a": ("Anders Holm", "anders.holm@example.dk"),
        "b": ("Birgitte Nielsen", "birgitte.nielsen@example.dk"),
    }
    convs = {k: Conversation(tenant=k) for k in people}
    tokens = {k: convs[k].pseudonymise(f"{n} {e}", known={"name": n}) for k, (n, e) in people.items()}

    def run(key: str, i: int) -> str:
        other = "b" if key == "a" else "a"
        name, email = people[key]
        create = protect(client.chat.completions.create, known={"name": name}, conversation=convs[key])
        stream = create(model="m", stream=True, messages=user(f"{i}: {name} {email} / {tokens[other]}"),
                        extra_headers={"x-test-split": "all" if i % 2 else "4"})
        return _stream_text(stream)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = {(k, i): pool.submit(run, k, i) for i in range(12) for k in people}
    for (key, i), fut in futures.items():
        other = "b" if key == "a" else "a"
        name, email = people[key]
        assert fut.result() == f"{i}: {name} {email} / {tokens[other]}"
    assert_no_personal(api.bodies(), [v for pair in people.values() for v in pair])


def test_async_behaves_like_sync(async_client: Any, client: Any, api: Any) -> None:
    conv = Conversation()
    sync_reply = protect(client.chat.completions.create, known=KNOWN, conversation=conv)(model="m", messages=user(PROMPT))

    async def main() -> None:
        create = protect(async_client.chat.completions.create, known=KNOWN, conversation=conv)
        reply = await create(model="m", messages=user(PROMPT))
        assert reply.choices[0].message.content == sync_reply.choices[0].message.content == EXPECTED
        stream = await create(model="m", messages=user(SHORT), stream=True, extra_headers={"x-test-split": "all"})
        assert "".join([c.choices[0].delta.content or "" async for c in stream]) == SHORT
        async with protect(async_client.chat.completions.stream, known=KNOWN)(
            model="m", messages=user(SHORT), extra_headers={"x-test-split": "all"}
        ) as s:
            final = await s.get_final_completion()
        assert final.choices[0].message.content == SHORT
        parsed = await protect(async_client.chat.completions.parse, known=KNOWN)(model="m", messages=user(SHORT), response_format=Letter)
        assert parsed.choices[0].message.parsed == Letter(recipient=SHORT, body=SHORT)
        r = await protect(async_client.responses.create, known=KNOWN)(model="m", input=SHORT)
        assert r.output_text == SHORT
        events = [e async for e in await protect(async_client.responses.create, known=KNOWN)(
            model="m", input=SHORT, stream=True, extra_headers={"x-test-split": "all"})]
        assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == SHORT
        raw = await protect(async_client.chat.completions.with_raw_response.create, known=KNOWN)(model="m", messages=user(SHORT))
        assert raw.parse().choices[0].message.content == SHORT
        whole = protect(type(async_client)(base_url=api.base_url, api_key="test", max_retries=0), known=KNOWN)
        emb = await whole.embeddings.create(model="e", input=PROMPT)
        assert emb.data

        # two conversations concurrently on one event loop
        async def one(name: str, email: str) -> str:
            with Conversation():
                r = await protect(async_client.chat.completions.create, known={"name": name})(model="m", messages=user(f"{name} {email}"))
                return r.choices[0].message.content

        results = await asyncio.gather(*[one(n, e) for n, e in [(NAME, EMAIL), ("Birgitte Nielsen", "bn@example.dk")] * 5])
        assert results == [f"{NAME} {EMAIL}", "Birgitte Nielsen bn@example.dk"] * 5

    asyncio.run(main())
    assert_no_personal(api.bodies(), [NAME, EMAIL, PHONE, IBAN, CPR, "Birgitte", "bn@example.dk"])


def test_failing_detector_blocks_the_request(client: Any, api: Any) -> None:
    def broken(text: str) -> list:
        raise RuntimeError("detector crashed")

    configure(detectors=[broken])
    with pytest.raises(PseudonymisationError, match="nothing was sent"):
        protect(client.chat.completions.create)(model="m", messages=user(PROMPT))
    with pytest.raises(PseudonymisationError):
        protect(client.responses.create)(model="m", input=PROMPT, stream=True)
    assert api.bodies() == []


def test_known_value_in_an_unpseudonymisable_field_blocks(client: Any, api: Any) -> None:
    with pytest.raises(PseudonymisationError, match="known personal value"):
        protect(client.chat.completions.create, known={"name": "Anders"})(
            model="m", messages=[{"role": "user", "name": "Anders", "content": "hej"}]
        )
    assert api.bodies() == []


def test_custom_detector_and_policy(client: Any, api: Any) -> None:
    configure(detectors=[lambda text: [(m.start(), m.end(), "member_id") for m in re.finditer(r"M-\d{6}", text)]])
    reply = protect(client.chat.completions.create, policy={"EMAIL": "redact"})(
        model="m", messages=user(f"Medlem M-123456, {EMAIL}")
    )
    assert reply.choices[0].message.content == "Medlem M-123456, [[EMAIL_REDACTED_1]]"
    body = api.bodies()[-1]
    assert "M-123456" not in body and "[[MEMBER_ID_" in body
    assert_no_personal(api.bodies())


def test_protect_rejects_other_targets() -> None:
    with pytest.raises(TypeError):
        protect(print)


def test_known_values_may_be_none_or_non_strings(client: Any, api: Any) -> None:
    import datetime

    known = {"name": None, "email": EMAIL, "member_no": 48213, "birth_date": datetime.date(1961, 7, 7), "phones": [PHONE, None]}
    reply = protect(client.chat.completions.create, known=known)(
        model="m", messages=user(f"Medlem 48213, født 1961-07-07, {EMAIL}, {PHONE}")
    )
    assert reply.choices[0].message.content == f"Medlem 48213, født 1961-07-07, {EMAIL}, {PHONE}"
    body = api.bodies()[-1]
    assert "48213" not in body and "1961-07-07" not in body
    assert_no_personal(api.bodies())


def test_identifier_fields_get_pseudonymous_ids(client: Any, api: Any) -> None:
    protect(client.chat.completions.create)(model="m", messages=user("hej"), user=EMAIL, safety_identifier="tenant-42")
    body = api.last_json()
    assert body["user"] == pseudonymous_id(EMAIL)  # personal: replaced by the keyed id
    assert body["safety_identifier"] == "tenant-42"  # not personal: left alone
    protect(client.chat.completions.create)(model="m", messages=user("hej"), user=pseudonymous_id(EMAIL))
    assert api.last_json()["user"] == pseudonymous_id(EMAIL)  # already pseudonymous: unchanged


def test_known_value_in_the_url_blocks(client: Any, api: Any) -> None:
    with pytest.raises(PseudonymisationError, match="URL"):
        protect(client.chat.completions.list, known={"email": EMAIL})(metadata={"customer": EMAIL})
    assert api.bodies() == []
    assert protect(client.chat.completions.list, known={"email": EMAIL})(limit=1) is not None
