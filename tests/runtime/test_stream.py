"""Hold-back re-identification of streamed text and Server-Sent Events."""

from __future__ import annotations

import json

from gdpr_lint.runtime import Conversation
from gdpr_lint.runtime.stream import ChatHandler, ResponsesHandler, SSERewriter, TokenStream, hold_start
from gdpr_lint.runtime.vault import MAX_TOKEN_LEN

from .conftest import EMAIL, NAME


def _conv_and_text() -> tuple[Conversation, str, str]:
    conv = Conversation()
    original = f"Hej {NAME}, svar til {EMAIL}. [[NOT_A_TOKEN]] og [[EMAIL_00000000]] [ [[ ok"
    pseudo = conv.pseudonymise(original, known={"name": NAME})
    return conv, original, pseudo


def _stream(conv: Conversation, pieces: list[str]) -> tuple[str, list[str]]:
    ts = TokenStream(lambda t: conv.reidentify_count(t))
    outs = [ts.feed(p) for p in pieces]
    outs.append(ts.flush())
    return "".join(outs), outs


def test_every_single_cut_equals_whole() -> None:
    conv, original, pseudo = _conv_and_text()
    whole = conv.reidentify(pseudo)
    assert whole == original
    for k in range(len(pseudo) + 1):
        got, _ = _stream(conv, [pseudo[:k], pseudo[k:]])
        assert got == whole, k


def test_every_pair_of_cuts_equals_whole() -> None:
    conv = Conversation()
    pseudo = conv.pseudonymise(f"a {EMAIL} b")
    whole = conv.reidentify(pseudo)
    for i in range(len(pseudo) + 1):
        for j in range(i, len(pseudo) + 1):
            got, _ = _stream(conv, [pseudo[:i], pseudo[i:j], pseudo[j:]])
            assert got == whole


def test_character_by_character_never_shows_a_partial_token() -> None:
    conv, original, pseudo = _conv_and_text()
    got, outs = _stream(conv, list(pseudo))
    assert got == original
    shown = ""
    for piece in outs:
        shown += piece
        assert "[[NAME_" not in shown and "[[EMAIL_" not in shown.replace("[[EMAIL_00000000]]", "")


def test_no_delay_without_brackets_and_bounded_delay_with() -> None:
    ts = TokenStream(lambda t: (t, 0))
    assert ts.feed("Hello world") == "Hello world"
    assert ts.feed(" see [[NA") == " see "
    assert ts.feed("ME") == ""
    assert ts.feed(" x") == "[[NAME x"  # not a token after all: released at once
    long = "[[" + "A" * (MAX_TOKEN_LEN + 5)
    assert ts.feed(long) == long  # longer than any token: never held


def test_hold_start() -> None:
    assert hold_start("abc") == 3
    assert hold_start("abc[") == 3
    assert hold_start("abc[[EMAIL_12ab") == 3
    assert hold_start("abc[[EMAIL_12ab]") == 3
    assert hold_start("abc[[EMAIL_12ab]]") == 17
    assert hold_start("a[b") == 3
    assert hold_start("[[[EM") == 1


def _sse_chat(chunks: list[dict]) -> bytes:
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


def _parse_sse(data: bytes) -> list:
    out = []
    for block in data.decode().split("\n\n"):
        lines = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if lines:
            payload = "\n".join(lines)
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


def test_sse_chat_rewrites_per_choice_and_tool_call_at_every_byte_boundary() -> None:
    conv = Conversation()
    p = conv.pseudonymise(f"til {EMAIL}")
    args = json.dumps({"to": p})
    chunks = []
    for i in range(0, len(p), 4):
        chunks.append({"id": "c", "choices": [{"index": 0, "delta": {"content": p[i:i + 4]}, "finish_reason": None}]})
        chunks.append({"id": "c", "choices": [{"index": 1, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": args[i:i + 4]}}]}, "finish_reason": None}]})
    chunks.append({"id": "c", "choices": [{"index": 1, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": args[len(p) // 4 * 4 + 4:] if len(args) > len(p) else ""}}]}, "finish_reason": None}]})
    chunks.append({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks.append({"id": "c", "choices": [{"index": 1, "delta": {}, "finish_reason": "tool_calls"}]})
    raw = _sse_chat(chunks)
    expected_args = "".join(
        tc["function"]["arguments"]
        for c in chunks for ch in c["choices"] if ch["index"] == 1 for tc in ch["delta"].get("tool_calls", [])
    )
    for cut in range(0, len(raw) + 1, 7):
        rw = SSERewriter(ChatHandler(conv, json_mode=False))
        out = rw.feed(raw[:cut]) + rw.feed(raw[cut:]) + rw.close()
        events = _parse_sse(out)
        assert events[-1] == "[DONE]"
        content = "".join(e["choices"][0]["delta"].get("content", "") for e in events[:-1] if e["choices"][0]["index"] == 0)
        arguments = "".join(
            tc["function"].get("arguments", "")
            for e in events[:-1] if e["choices"][0]["index"] == 1 for tc in e["choices"][0]["delta"].get("tool_calls", [])
        )
        assert content == f"til {EMAIL}"
        assert json.loads(arguments) == json.loads(conv.reidentify(expected_args, json=True))
        assert json.loads(arguments)["to"] == f"til {EMAIL}"


def test_sse_flushes_before_done_when_no_finish_reason() -> None:
    conv = Conversation()
    p = conv.pseudonymise(EMAIL)
    raw = _sse_chat([{"id": "c", "choices": [{"index": 0, "delta": {"content": p[:-1]}, "finish_reason": None}]}])
    raw = raw.replace(b"data: [DONE]", b"data: " + json.dumps({"id": "c", "choices": [{"index": 0, "delta": {"content": p[-1:]}, "finish_reason": None}]}).encode() + b"\n\ndata: [DONE]")
    rw = SSERewriter(ChatHandler(conv, json_mode=False))
    events = _parse_sse(rw.feed(raw) + rw.close())
    assert "".join(e["choices"][0]["delta"]["content"] for e in events[:-1]) == EMAIL


def test_sse_responses_synthesises_delta_before_done() -> None:
    conv = Conversation()
    p = conv.pseudonymise(f"x {EMAIL}")
    base = {"item_id": "m", "output_index": 0, "content_index": 0}
    events = [
        {"type": "response.output_text.delta", **base, "delta": p[:-3], "sequence_number": 1},
        {"type": "response.output_text.delta", **base, "delta": p[-3:-1], "sequence_number": 2},
        {"type": "response.output_text.done", **base, "text": p + "]", "sequence_number": 3},
    ]
    # the last delta stops one character short: the held-back tail must be flushed
    raw = b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)
    rw = SSERewriter(ResponsesHandler(conv, json_mode=False))
    out = rw.feed(raw) + rw.close()
    blocks = [b for b in out.decode().split("\n\n") if b]
    parsed = [json.loads(b.split("data: ", 1)[1]) for b in blocks]
    assert [e["type"] for e in parsed] == ["response.output_text.delta"] * 3 + ["response.output_text.done"]
    assert all(b.startswith("event: " + e["type"]) for b, e in zip(blocks, parsed))
    assert "".join(e["delta"] for e in parsed[:3]) == conv.reidentify(p[:-1])
