"""The real OpenAI Agents SDK against the local stand-in server (no mocks):
``protect(Runner.run, known=...)`` and its sync and streamed forms, with the
Responses and the Chat Completions models, tools and handoff agents.

Every test checks both directions: the recorded request bodies contain no personal
value, and the caller sees the original values.
"""

from __future__ import annotations

import asyncio
from typing import Any, List

import pytest

from gdpr_lint.runtime import protect

from .conftest import EMAIL, NAME, PHONE, TOKEN, StandIn, assert_no_personal

agents = pytest.importorskip("agents")

from agents import (  # noqa: E402
    Agent,
    OpenAIChatCompletionsModel,
    OpenAIProvider,
    RunConfig,
    Runner,
    function_tool,
)
from openai import AsyncOpenAI  # noqa: E402

KNOWN = {"name": NAME}
TEXT = f"Write to {NAME} <{EMAIL}>, tlf {PHONE}, about the refund."
PERSONAL_IN_TEXT = [NAME, EMAIL, PHONE, "Holm"]


@pytest.fixture(autouse=True)
def _no_tracing() -> Any:
    agents.set_tracing_disabled(True)  # the trace exporter would go to the network
    yield
    agents.set_tracing_disabled(False)


def client(api: StandIn) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=api.base_url, api_key="test", max_retries=0)  # one per event loop


def config(api: StandIn, responses: bool = True) -> RunConfig:
    return RunConfig(model_provider=OpenAIProvider(openai_client=client(api), use_responses=responses))


def test_unprotected_run_leaks(api: StandIn) -> None:
    agent = Agent(name="desk", instructions="Answer briefly.")
    result = asyncio.run(Runner.run(agent, TEXT, run_config=config(api)))
    assert result.final_output == TEXT
    with pytest.raises(AssertionError):
        assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)


@pytest.mark.parametrize("responses", [True, False], ids=["responses", "chat"])
def test_protected_run(api: StandIn, responses: bool) -> None:
    agent = Agent(name="desk", instructions=f"You write letters for {NAME}'s bank.")
    result = asyncio.run(protect(Runner.run, known=KNOWN)(agent, TEXT, run_config=config(api, responses)))
    assert result.final_output == TEXT
    assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)
    assert len(TOKEN.findall(api.bodies()[0])) == 4  # the name twice (instructions and input), e-mail, phone


def test_protected_run_sync_with_the_default_client(api: StandIn) -> None:
    previous = agents.models._openai_shared.get_default_openai_client()
    agents.set_default_openai_client(client(api))
    try:
        agent = Agent(name="desk", instructions="Answer briefly.")
        result = protect(Runner.run_sync, known=KNOWN)(agent, TEXT)
    finally:
        agents.models._openai_shared.set_default_openai_client(previous)
    assert result.final_output == TEXT
    assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)


def test_protected_streamed_run(api: StandIn) -> None:
    agent = Agent(name="desk", instructions="Answer briefly.")

    async def run() -> List[str]:
        streamed = protect(Runner.run_streamed, known=KNOWN)(agent, TEXT, run_config=config(api))
        deltas = [e.data.delta async for e in streamed.stream_events()
                  if e.type == "raw_response_event" and getattr(e.data, "type", "") == "response.output_text.delta"]
        return ["".join(deltas), streamed.final_output, str(len(deltas))]

    joined, final, count = asyncio.run(run())
    assert joined == final == TEXT and int(count) > 3
    assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)


def test_model_set_on_the_agent_and_its_handoff_one_conversation_per_run(api: StandIn) -> None:
    clients = []

    async def run() -> Any:
        clients.extend([client(api), client(api)])
        specialist = Agent(name="refunds", instructions="Handle refunds.",
                           model=OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=clients[0]))
        desk = Agent(name="desk", instructions="Hand refunds over.", handoffs=[specialist],
                     model=OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=clients[1]))
        result = await protect(Runner.run, known=KNOWN)(desk, TEXT)  # the stand-in calls the handoff tool
        return result, desk, specialist

    result, desk, specialist = asyncio.run(run())
    assert result.last_agent.name == "refunds"
    bodies = api.bodies()
    assert len(bodies) == 2  # the desk's request, then the specialist's with the history
    assert_no_personal(bodies, PERSONAL_IN_TEXT)
    # one conversation for the run: the name has the same pseudonym in both requests
    first, second = ({t for t in TOKEN.findall(b) if t.startswith("[[NAME")} for b in bodies)
    assert len(first) == 1 and first <= second
    # the caller's agents and models are unchanged
    assert desk.handoffs == [specialist] and specialist.model._client is clients[0] and desk.model._client is clients[1]


def test_tool_gets_real_values_and_its_output_is_pseudonymised(api: StandIn) -> None:
    seen: List[str] = []

    @function_tool
    def find_member(text: str) -> str:
        """Look up the member a request is about."""
        seen.append(text)
        return f"Member {NAME}, phone {PHONE}"

    agent = Agent(name="desk", instructions="Use the tool.", tools=[find_member], tool_use_behavior="stop_on_first_tool")
    result = asyncio.run(protect(Runner.run, known=KNOWN)(agent, TEXT, run_config=config(api)))
    assert seen == [TEXT]  # the tool call's arguments are re-identified before the tool runs
    assert result.final_output == f"Member {NAME}, phone {PHONE}"
    assert_no_personal(api.bodies(), PERSONAL_IN_TEXT)


def test_an_agent_on_a_litellm_openai_model_fails_closed(api: StandIn, monkeypatch: Any) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # importing litellm must not go to the network
    from agents.extensions.models.litellm_model import LitellmModel

    from gdpr_lint.runtime import PseudonymisationError

    agent = Agent(name="desk", instructions="Answer.", model=LitellmModel(model="openai/gpt-4o-mini",
                                                                         base_url=api.base_url, api_key="test"))
    with pytest.raises(PseudonymisationError, match="LitellmModel"):
        protect(Runner.run_sync, known=KNOWN)(agent, TEXT)
    assert api.bodies() == []
