"""Scopes: the default scope is bound to the current context, bounded and
expiring, random per process; protect() keeps one scope along a Responses
chain (previous_response_id, server-side conversation)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
from typing import Any, List

import pytest

from gdpr_lint.runtime import Conversation, configure, current_conversation, protect, pseudonymise, reidentify
from gdpr_lint.runtime import scopes

from .conftest import EMAIL, NAME, PHONE, assert_no_personal


# -- a conversation over several Responses turns ---------------------------------


def test_two_turns_with_previous_response_id_show_real_values(api: Any) -> None:
    from openai import OpenAI

    client = protect(OpenAI(base_url=api.base_url, api_key="test", max_retries=0))
    first = client.responses.create(model="m", input=f"Min mail er {EMAIL}", store=True)
    assert first.output_text == f"Min mail er {EMAIL}"
    second = client.responses.create(model="m", input=f"og tlf {PHONE}", previous_response_id=first.id)
    # the model repeats the first turn's pseudonym: the user sees the address, not [[EMAIL_...]]
    assert second.output_text == f"Min mail er {EMAIL} | og tlf {PHONE}"
    assert "[[" not in second.output_text
    assert_no_personal(api.bodies())
    third = client.responses.create(model="m", input="tak", previous_response_id=second.id, stream=True)
    text = "".join(e.delta for e in third if e.type == "response.output_text.delta")
    assert text == f"Min mail er {EMAIL} | og tlf {PHONE} | tak"


def test_a_protected_method_follows_the_chain_too(client: Any, api: Any) -> None:
    create = protect(client.responses.create, known={"name": NAME})
    with create(model="m", input=f"Hej {NAME}", stream=True) as stream:
        first_id = next(e.response.id for e in stream if e.type == "response.created")
        list(stream)
    second = create(model="m", input="Hvad hed jeg?", previous_response_id=first_id)
    assert second.output_text == f"Hej {NAME} | Hvad hed jeg?"
    assert_no_personal(api.bodies(), [NAME])


def test_a_server_side_conversation_keeps_one_scope(client: Any, api: Any) -> None:
    create = protect(client.responses.create)
    create(model="m", input=f"mail {EMAIL}", conversation="conv_42")
    second = create(model="m", input="og så?", conversation={"id": "conv_42"})
    assert second.output_text == f"mail {EMAIL} | og så?"


def test_unrelated_calls_still_get_unlinkable_scopes(client: Any, api: Any) -> None:
    create = protect(client.responses.create)
    create(model="m", input=f"mail {EMAIL}")
    create(model="m", input=f"mail {EMAIL}")
    a, b = api.bodies()
    assert a != b  # two scopes: the provider cannot link the two requests


def test_one_conversation_across_calls_explicitly(client: Any, api: Any) -> None:
    conv = Conversation()
    protected = protect(client, conversation=conv)
    protected.chat.completions.create(model="m", messages=[{"role": "user", "content": f"mail {EMAIL}"}])
    token = conv.pseudonymise(EMAIL)
    reply = protected.responses.create(model="m", input=f"svar til {token}")  # e.g. a stored pseudonym
    assert reply.output_text == f"svar til {EMAIL}"
    with Conversation():
        one = protect(client.responses.create)(model="m", input=f"a {EMAIL}")
        two = protect(client.chat.completions.create)(model="m", messages=[{"role": "user", "content": f"b {EMAIL}"}])
    assert one.output_text == f"a {EMAIL}" and two.choices[0].message.content == f"b {EMAIL}"
    tokens = [re.findall(r"\[\[EMAIL_[0-9a-f]{8}\]\]", body) for body in api.bodies()[-2:]]
    assert tokens[0] == tokens[1] and len(tokens[0]) == 1  # one scope for both calls


# -- the default scope ----------------------------------------------------------------


def test_the_default_scope_belongs_to_the_thread() -> None:
    out = pseudonymise(f"mail {EMAIL}")
    assert reidentify(out) == f"mail {EMAIL}"  # same thread: restored
    seen: List[str] = []
    worker = threading.Thread(target=lambda: seen.append(reidentify(out)))
    worker.start()
    worker.join()
    assert seen == [out]  # another thread cannot restore it


def test_the_default_scope_belongs_to_the_asyncio_task() -> None:
    async def turn(i: int) -> tuple:
        out = pseudonymise(f"user{i}@example.dk")
        await asyncio.sleep(0)
        return out, reidentify(out), current_conversation()

    async def main() -> list:
        return await asyncio.gather(*[turn(i) for i in range(5)])

    results = asyncio.run(main())
    assert [r[1] for r in results] == [f"user{i}@example.dk" for i in range(5)]
    assert len({id(r[2]) for r in results}) == 5  # one default scope per task
    assert all(reidentify(r[0]) == r[0] for r in results)  # none of them is this context's


def test_the_default_scope_is_bounded_least_recently_used_first() -> None:
    configure(scope_max_values=2)
    a, b = pseudonymise("a@example.dk"), pseudonymise("b@example.dk")
    assert reidentify(a) == "a@example.dk"  # a used again: b is now the oldest
    c = pseudonymise("c@example.dk")
    assert current_conversation().size == 2
    assert reidentify(f"{a} {b} {c}") == f"a@example.dk {b} c@example.dk"
    assert pseudonymise("b@example.dk") == b  # the same value gets the same pseudonym again
    assert reidentify(b) == "b@example.dk"


def test_the_default_scope_expires_after_its_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(scopes, "monotonic", lambda: clock[0])
    configure(scope_ttl=60)
    out = pseudonymise(EMAIL)
    clock[0] += 59
    assert reidentify(out) == EMAIL  # in use: kept (and its timer restarts)
    first = current_conversation()
    clock[0] += 61
    assert reidentify(out) == out  # idle for longer than the TTL: closed and replaced
    assert first.closed and current_conversation() is not first


def test_a_bounded_conversation_forgets_the_least_recently_used() -> None:
    conv = Conversation(max_values=1)
    a = conv.pseudonymise("a@example.dk")
    b = conv.pseudonymise("b@example.dk")
    assert conv.reidentify(a) == a and conv.reidentify(b) == "b@example.dk"
    with pytest.raises(ValueError, match="max_values"):
        Conversation(max_values=0)


def test_a_bounded_conversation_keeps_redaction_numbers_unique() -> None:
    conv = Conversation(max_values=2)
    out = [conv.pseudonymise(f"cpr {c}") for c in ("070761-4285", "311299-1239", "010190-1234", "070761-4285")]
    # the first CPR was forgotten after the third: it gets a new number, never one of another value
    assert out == ["cpr [[CPR_REDACTED_1]]", "cpr [[CPR_REDACTED_2]]", "cpr [[CPR_REDACTED_3]]", "cpr [[CPR_REDACTED_4]]"]
    assert conv.pseudonymise("cpr 010190-1234") == "cpr [[CPR_REDACTED_3]]"


_CHILD = (
    "import sys; from gdpr_lint.runtime import configure, pseudonymise; "
    "configure(scope_id=sys.argv[1]) if len(sys.argv) > 1 else None; print(pseudonymise('anders.holm@example.dk'))"
)


def _in_new_process(*args: str) -> str:
    env = {**os.environ, "GDPR_LINT_KEY": "ab" * 32}
    return subprocess.run([sys.executable, "-c", _CHILD, *args], env=env, capture_output=True, text=True, check=True).stdout


def test_default_scopes_differ_between_processes_unless_an_id_is_configured() -> None:
    assert _in_new_process() != _in_new_process()  # same key, still unlinkable across processes
    assert _in_new_process("shop-1") == _in_new_process("shop-1")  # a configured scope id: stable
    assert _in_new_process("shop-1") != _in_new_process("shop-2")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_worker_has_its_own_default_scope() -> None:
    parent = pseudonymise(EMAIL)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a pre-forked worker
        try:
            os.write(write, f"{pseudonymise(EMAIL)}\n{reidentify(parent)}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        child, restored = fh.read().split("\n")
    os.waitpid(pid, 0)
    assert child != parent  # another process: unlinkable pseudonyms
    assert restored == parent  # and none of the parent's values


def test_the_chain_is_followed_by_an_async_client(api: Any) -> None:
    from openai import AsyncOpenAI

    async def main() -> str:
        client = protect(AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0))
        first = await client.responses.create(model="m", input=f"mail {EMAIL}")
        second = await client.responses.create(model="m", input="og?", previous_response_id=first.id)
        return second.output_text

    assert asyncio.run(main()) == f"mail {EMAIL} | og?"
    assert_no_personal(api.bodies(), [EMAIL])
