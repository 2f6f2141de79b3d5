"""Header values and query parameters set by the caller are checked too
(real ``openai`` client, local stand-in)."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Dict, List

import pytest

from gdpr_lint.runtime import Conversation, PseudonymisationError, protect

from .conftest import EMAIL, NAME, PHONE

TOKEN = re.compile(r"\[\[[A-Z_]+_[0-9a-f]{8,16}\]\]")


def user(content: Any) -> List[dict]:
    return [{"role": "user", "content": content}]


def headers(api: Any) -> Dict[str, str]:
    return {k.lower(): v for k, v in api.recorder.requests[-1]["headers"].items()}


def test_extra_headers_are_pseudonymised(client: Any, api: Any) -> None:
    conv = Conversation()
    reply = protect(client.chat.completions.create, conversation=conv)(
        model="m", messages=user(f"Hej {EMAIL}"), extra_headers={"X-End-User": EMAIL, "X-Phone": f"tlf {PHONE}"}
    )
    assert reply.choices[0].message.content == f"Hej {EMAIL}"
    sent = headers(api)
    assert TOKEN.fullmatch(sent["x-end-user"]) and EMAIL not in sent["x-end-user"]
    assert sent["x-phone"].startswith("tlf [[PHONE_")
    # same conversation: the header carries the pseudonym the body carries
    assert sent["x-end-user"] in api.bodies()[-1]


def test_known_value_in_a_header_is_pseudonymised(client: Any, api: Any) -> None:
    protected = protect(client, known={"name": "Birgitte"})
    protected.chat.completions.create(model="m", messages=user("hej"), extra_headers={"X-Customer": "Birgitte"})
    assert headers(api)["x-customer"].startswith("[[NAME_")


def test_default_headers_of_the_client_are_pseudonymised(api: Any) -> None:
    from openai import OpenAI

    base = OpenAI(base_url=api.base_url, api_key="test", max_retries=0, default_headers={"X-Agent-Mail": EMAIL})
    protect(base).embeddings.create(model="e", input="hej")
    assert EMAIL not in str(api.recorder.requests[-1]["headers"])
    assert headers(api)["x-agent-mail"].startswith("[[EMAIL_")


def test_sdk_headers_and_harmless_headers_are_left_alone(client: Any, api: Any) -> None:
    protect(client, known={"name": NAME}).chat.completions.create(
        model="m", messages=user("hej"), extra_headers={"X-Trace-Id": "req-2024-abc", "X-Team": "support"}
    )
    sent = headers(api)
    assert sent["authorization"] == "Bearer test"
    assert sent["x-trace-id"] == "req-2024-abc" and sent["x-team"] == "support"
    assert sent["x-stainless-lang"] == "python" and sent["user-agent"].startswith("OpenAI/Python")


def test_headers_async(api: Any) -> None:
    from openai import AsyncOpenAI

    async def main() -> None:
        base = AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0)
        await protect(base).chat.completions.create(model="m", messages=user("hej"), extra_headers={"X-User": EMAIL})

    asyncio.run(main())
    assert headers(api)["x-user"].startswith("[[EMAIL_")


@pytest.mark.parametrize("query", [{"customer": EMAIL}, {"who": NAME}, {"tlf": f"ring {PHONE}"}])
def test_personal_data_in_extra_query_is_refused(client: Any, api: Any, query: Dict[str, str]) -> None:
    with pytest.raises(PseudonymisationError, match="query parameter|URL"):
        protect(client, known={"name": NAME}).chat.completions.create(model="m", messages=user("hej"), extra_query=query)
    assert api.recorder.requests == []


def test_known_value_in_extra_query_is_refused(client: Any, api: Any) -> None:
    with pytest.raises(PseudonymisationError, match="known personal value|query parameter"):
        protect(client.chat.completions.create, known={"member": "M-48213"})(
            model="m", messages=user("hej"), extra_query={"ref": "M-48213"})
    assert api.recorder.requests == []


def test_harmless_extra_query_passes_unchanged(client: Any, api: Any) -> None:
    protect(client).chat.completions.create(model="m", messages=user("hej"), extra_query={"trace": "abc-42", "region": "eu"})
    assert api.recorder.requests[-1]["path"].endswith("?trace=abc-42&region=eu")
