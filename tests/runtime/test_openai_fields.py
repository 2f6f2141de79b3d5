"""Fields that look structural but hold user content are inspected; true
protocol fields are left alone (real ``openai`` client, local stand-in)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

from gdpr_lint.runtime import PseudonymisationError, protect

from .conftest import EMAIL, NAME, PHONE, assert_no_personal


def user(content: Any) -> List[dict]:
    return [{"role": "user", "content": content}]


def tool(properties: Dict[str, Any]) -> List[dict]:
    return [{"type": "function", "function": {"name": "lookup_customer", "description": "Find a customer",
                                              "parameters": {"type": "object", "properties": properties}}}]


@pytest.mark.parametrize("prop", ["name", "data", "url", "id", "status", "type"])
def test_tool_schema_property_with_a_protocol_name_is_inspected(client: Any, api: Any, prop: str) -> None:
    schema = {prop: {"type": "string", "description": f"for example {NAME} <{EMAIL}>", "enum": [EMAIL, "ukendt"],
                     "default": f"tlf {PHONE}"}}
    protect(client.chat.completions.create, known={"name": NAME})(model="m", messages=user("hej"), tools=tool(schema))
    assert_no_personal(api.bodies())
    sent = api.last_json()["tools"][0]["function"]
    assert sent["name"] == "lookup_customer"  # the function name is protocol: unchanged
    sent_prop = sent["parameters"]["properties"][prop]
    assert sent_prop["type"] == "string" and sent_prop["enum"][1] == "ukendt"
    assert sent_prop["enum"][0].startswith("[[EMAIL_") and "[[NAME_" in sent_prop["description"]


def test_responses_tool_schema_is_inspected(client: Any, api: Any) -> None:
    tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {
        "id": {"type": "string", "description": f"kunde-id, fx for {EMAIL}"}}}}]
    protect(client.responses.create)(model="m", input="hej", tools=tools)
    assert_no_personal(api.bodies())
    assert api.last_json()["tools"][0]["name"] == "lookup"


@pytest.mark.parametrize("endpoint", ["chat", "responses"])
def test_metadata_values_are_inspected_whatever_their_key(client: Any, api: Any, endpoint: str) -> None:
    metadata = {"name": NAME, "id": EMAIL, "type": f"ring {PHONE}", "status": "vip", "url": f"mailto:{EMAIL}"}
    if endpoint == "chat":
        protect(client.chat.completions.create, known={"name": NAME})(model="m", messages=user("hej"), metadata=metadata, store=True)
    else:
        protect(client.responses.create, known={"name": NAME})(model="m", input="hej", metadata=metadata)
    assert_no_personal(api.bodies())
    sent = api.last_json()["metadata"]
    assert sent["status"] == "vip" and sent["name"].startswith("[[NAME_")


@pytest.mark.parametrize("where", ["metadata", "tool arguments", "response schema"])
def test_personal_data_as_a_json_key_is_refused(client: Any, api: Any, where: str) -> None:
    create = protect(client.chat.completions.create)
    kwargs: Dict[str, Any] = {"model": "m", "messages": user("hej")}
    if where == "metadata":
        kwargs["metadata"] = {EMAIL: "vip"}
    elif where == "tool arguments":
        kwargs["messages"] = [{"role": "user", "content": "hej"},
                              {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {
                                  "name": "lookup", "arguments": json.dumps({EMAIL: {"vip": True}})}}]},
                              {"role": "tool", "tool_call_id": "call_1", "content": "ok"}]
    else:
        kwargs["response_format"] = {"type": "json_schema", "json_schema": {"name": "x", "schema": {
            "type": "object", "properties": {f"ring {PHONE}": {"type": "string"}}}}}
    with pytest.raises(PseudonymisationError, match=r"personal data \((EMAIL|PHONE)\)"):
        create(**kwargs)
    assert api.recorder.requests == []


@pytest.mark.parametrize("name", ["Anders_Holm", "Anders Holm", EMAIL])
def test_personal_message_name_is_refused(client: Any, api: Any, name: str) -> None:
    with pytest.raises(PseudonymisationError, match="'name' of a message"):
        protect(client.chat.completions.create)(model="m", messages=[{"role": "user", "name": name, "content": "hej"}])
    assert api.recorder.requests == []


def test_personal_data_in_a_url_is_refused(client: Any, api: Any) -> None:
    part = {"type": "image_url", "image_url": {"url": f"https://example.com/avatar?email={EMAIL}"}}
    with pytest.raises(PseudonymisationError, match="URL"):
        protect(client.chat.completions.create)(model="m", messages=user([{"type": "text", "text": "x"}, part]))
    assert api.recorder.requests == []


def test_protocol_fields_pass_unchanged(client: Any, api: Any) -> None:
    messages = [
        {"role": "system", "content": "Du hjælper kunder."},
        {"role": "user", "name": "support_agent_2", "content": f"Kunden {NAME} spørger"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_abc123", "type": "function", "function": {"name": "lookup_customer", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_abc123", "content": "ingen"},
    ]
    protect(client.chat.completions.create, known={"name": NAME})(
        model="gpt-4o-mini", messages=messages, tools=tool({"status": {"type": "string", "enum": ["open", "closed"]}}),
        metadata={"ticket_type": "refund"}, store=True)
    body = api.last_json()
    assert body["model"] == "gpt-4o-mini"
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    assert body["messages"][1]["name"] == "support_agent_2"
    assert body["messages"][2]["tool_calls"][0] == messages[2]["tool_calls"][0]
    assert body["messages"][3]["tool_call_id"] == "call_abc123"
    assert body["tools"] == tool({"status": {"type": "string", "enum": ["open", "closed"]}})
    assert body["metadata"] == {"ticket_type": "refund"}
    assert_no_personal(api.bodies())
