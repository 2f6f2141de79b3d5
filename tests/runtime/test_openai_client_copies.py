"""A protected client stays protected in its copies, and refuses the websocket
APIs whose events it cannot pseudonymise (real ``openai`` client, local stand-in)."""

from __future__ import annotations

import asyncio
from typing import Any, List

import httpx2
import pytest

from gdpr_lint.runtime import PseudonymisationError, protect

from .conftest import EMAIL, NAME, PHONE, assert_no_personal

PROMPT = f"Skriv til {NAME} ({EMAIL}, tlf {PHONE})"


def user(content: Any) -> List[dict]:
    return [{"role": "user", "content": content}]


# ---------------------------------------------------------------------------
# with_options(http_client=...)


def test_with_options_http_client_keeps_protection(client: Any, api: Any) -> None:
    sent: List[str] = []
    own = httpx2.Client(event_hooks={"request": [lambda r: sent.append(r.url.path)]})
    protected = protect(client, known={"name": NAME}).with_options(http_client=own)
    reply = protected.chat.completions.create(model="m", messages=user(PROMPT))
    assert reply.choices[0].message.content == PROMPT
    assert_no_personal(api.bodies())
    assert sent == ["/v1/chat/completions"]  # the caller's HTTP client carried the request


def test_with_options_http_client_keeps_known_values(client: Any, api: Any) -> None:
    # "Birgitte" alone is not detected: only the binding's known value covers it
    protected = protect(client, known={"name": "Birgitte"})
    copy = protected.with_options(timeout=30).copy(http_client=httpx2.Client()).with_options(max_retries=0)
    reply = copy.chat.completions.create(model="m", messages=user("Hilsen Birgitte"))
    assert reply.choices[0].message.content == "Hilsen Birgitte"
    assert "Birgitte" not in api.bodies()[-1]


def test_with_options_http_client_async(api: Any) -> None:
    from openai import AsyncOpenAI

    async def main() -> str:
        base = AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0)
        protected = protect(base).with_options(http_client=httpx2.AsyncClient())
        reply = await protected.chat.completions.create(model="m", messages=user(PROMPT))
        return reply.choices[0].message.content

    assert asyncio.run(main()) == PROMPT
    assert_no_personal(api.bodies())


def test_with_options_http_client_azure(api: Any) -> None:
    from openai import AzureOpenAI

    azure = AzureOpenAI(azure_endpoint=f"http://127.0.0.1:{api.port}", api_key="test", api_version="2024-10-21",
                        max_retries=0)
    copy = protect(azure, known={"name": NAME}).with_options(http_client=httpx2.Client())
    assert isinstance(copy, AzureOpenAI)
    reply = copy.chat.completions.create(model="my-deployment", messages=user(PROMPT))
    assert reply.choices[0].message.content == PROMPT
    assert "/openai/deployments/my-deployment/chat/completions" in api.recorder.requests[-1]["path"]
    assert_no_personal(api.bodies())


def test_with_options_harmless_text_passes_unchanged(client: Any, api: Any) -> None:
    protect(client).with_options(http_client=httpx2.Client()).chat.completions.create(
        model="m", messages=user("Hvad koster en billet til Aarhus?"))
    assert api.last_json()["messages"][0]["content"] == "Hvad koster en billet til Aarhus?"


def test_unprotected_copy_sends_the_value(client: Any, api: Any) -> None:
    # the control: without protection the stand-in does see the value
    client.with_options(http_client=httpx2.Client()).chat.completions.create(model="m", messages=user(PROMPT))
    assert EMAIL in api.bodies()[-1]


def test_protected_method_of_a_protected_copy(client: Any, api: Any) -> None:
    protected = protect(client, known={"name": "Birgitte"}).with_options(http_client=httpx2.Client())
    create = protect(protected.chat.completions.create, known={"email": EMAIL})
    reply = create(model="m", messages=user(f"Birgitte <{EMAIL}>"))
    assert reply.choices[0].message.content == f"Birgitte <{EMAIL}>"
    body = api.bodies()[-1]
    assert "Birgitte" not in body and EMAIL not in body
    assert body.count("[[") == 2  # pseudonymised once, not twice


# ---------------------------------------------------------------------------
# websockets other than Realtime (Realtime itself: test_openai_realtime.py)


@pytest.mark.parametrize("path", ["realtime.translations", "live", "live.sideband", "live.forks"])
def test_websocket_connect_is_refused(client: Any, api: Any, path: str) -> None:
    protected = protect(client, known={"name": NAME})
    resource = protected
    for part in path.split("."):
        resource = getattr(resource, part)
    with pytest.raises(PseudonymisationError, match="websocket"):
        resource.connect(model="gpt-realtime")
    assert api.recorder.requests == []


def test_websocket_connect_is_refused_on_copies_and_methods(client: Any, api: Any) -> None:
    protected = protect(client)
    with pytest.raises(PseudonymisationError, match="websocket"):
        protected.with_options(timeout=5).live.connect(model="gpt-realtime")
    with pytest.raises(PseudonymisationError, match="websocket"):
        protected.with_options(http_client=httpx2.Client()).live.sideband.connect()
    with pytest.raises(PseudonymisationError, match=r"protect\(client\).realtime.connect"):
        protect(client.realtime.connect)
    assert api.recorder.requests == []


def test_websocket_connect_is_refused_async(api: Any) -> None:
    from openai import AsyncOpenAI

    protected = protect(AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0))
    with pytest.raises(PseudonymisationError, match="websocket"):
        protected.realtime.translations.connect(model="gpt-realtime")
    assert api.recorder.requests == []


def test_unprotected_realtime_connect_reaches_the_server(client: Any, api: Any) -> None:
    # the control: an unprotected client does open the websocket (the stand-in
    # answers the upgrade with plain JSON, so the handshake then fails)
    from websockets.exceptions import InvalidHandshake

    with pytest.raises(InvalidHandshake):
        client.realtime.connect(model="gpt-realtime").enter()
    assert [r["headers"].get("Upgrade", "").lower() for r in api.recorder.requests] == ["websocket"]


def test_protected_client_keeps_its_type_and_http_methods(client: Any, api: Any) -> None:
    from openai import OpenAI

    protected = protect(client)
    assert isinstance(protected, OpenAI) and type(protected).__name__ == "OpenAI"
    reply = protected.responses.create(model="m", input=PROMPT)
    assert reply.output_text == PROMPT
    assert_no_personal(api.bodies())
