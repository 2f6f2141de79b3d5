"""The real ``litellm.Router``, routing a model alias to an OpenAI deployment on the
local stand-in server: ``protect(router)`` and ``protect(router.completion)``.

Every test checks both directions: the recorded request bodies contain no personal
value, and the caller sees the original values.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Dict, List

import pytest

from gdpr_lint.runtime import protect

from .conftest import EMAIL, NAME, PHONE, TOKEN, StandIn, assert_no_personal

KNOWN = {"name": NAME}
TEXT = f"Write to {NAME} <{EMAIL}>, tlf {PHONE}, about the refund."
PERSONAL_IN_TEXT = [NAME, EMAIL, PHONE, "Holm"]


@pytest.fixture(scope="module")
def litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network when importing litellm
    module = pytest.importorskip("litellm")
    module.suppress_debug_info = True
    return module


@pytest.fixture
def router(litellm: Any, api: StandIn) -> Any:
    deployment = {"api_base": api.base_url, "api_key": "test"}
    return litellm.Router(model_list=[
        {"model_name": "support", "litellm_params": {"model": "openai/gpt-4o-mini", **deployment}},
        {"model_name": "search", "litellm_params": {"model": "openai/text-embedding-3-small", **deployment}},
    ])


def user(text: str) -> List[Dict[str, Any]]:
    return [{"role": "user", "content": text}]


def test_unprotected_router_leaks(router: Any, api: StandIn) -> None:
    assert router.completion(model="support", messages=user(TEXT)).choices[0].message.content == TEXT
    with pytest.raises(AssertionError):
        assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)


def test_protected_router_completion(litellm: Any, router: Any, api: StandIn) -> None:
    protected = protect(router, known=KNOWN)
    assert isinstance(protected, litellm.Router) and protected is not router
    reply = protected.completion(model="support", messages=user(TEXT))
    assert reply.choices[0].message.content == TEXT
    assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)
    assert len(TOKEN.findall(api.bodies()[0])) == 3
    # the caller's router is unchanged
    api.recorder.clear()
    router.completion(model="support", messages=user(TEXT))
    assert NAME in api.bodies()[0]


def test_protected_router_async_and_stream(router: Any, api: StandIn) -> None:
    protected = protect(router, known=KNOWN)

    async def run() -> List[str]:
        reply = await protected.acompletion(model="support", messages=user(TEXT))
        stream = await protected.acompletion(model="support", messages=user(TEXT), stream=True)
        parts = [c.choices[0].delta.content or "" async for c in stream]
        return [reply.choices[0].message.content, "".join(parts)]

    assert asyncio.run(run()) == [TEXT, TEXT]
    parts = [c.choices[0].delta.content or ""
             for c in protected.completion(model="support", messages=user(TEXT), stream=True)]
    assert len(parts) > 3 and "".join(parts) == TEXT
    assert len(api.bodies()) == 3
    assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)


def test_protected_router_method(router: Any, api: StandIn) -> None:
    completion = protect(router.completion, known=KNOWN)
    assert completion(model="support", messages=user(TEXT)).choices[0].message.content == TEXT
    acompletion = protect(router.acompletion, known=KNOWN)
    reply = asyncio.run(acompletion(model="support", messages=user(TEXT)))
    assert reply.choices[0].message.content == TEXT
    assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)


def test_protected_router_embedding(router: Any, api: StandIn) -> None:
    result = protect(router, known=KNOWN).embedding(model="search", input=[TEXT])
    assert len(result.data) == 1
    assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)
    assert TOKEN.search(api.bodies()[0])


def test_protecting_a_protected_router_pseudonymises_once(router: Any, api: StandIn) -> None:
    twice = protect(protect(router, known={"name": "Jytte Dam"}), known=KNOWN)
    text = f"Jytte Dam og {NAME}"
    assert twice.completion(model="support", messages=user(text)).choices[0].message.content == text
    body = api.bodies()[0]
    assert_no_personal([body], ["Jytte", NAME])
    assert "[[NAME_[[" not in body and len(TOKEN.findall(body)) == 2
