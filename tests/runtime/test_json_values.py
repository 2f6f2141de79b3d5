"""JSON inside requests (tool results, function arguments): only the values that
change are rewritten, the rest stays byte for byte; numbers are inspected too."""

from __future__ import annotations

import json
import re
from typing import Any, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdpr_lint.runtime import Conversation, configure, protect
from gdpr_lint.runtime.jsontext import format_path, rewrite

from .conftest import EMAIL, NAME, assert_no_personal

TOKEN = re.compile(r"\[\[[A-Z_]+_(?:[0-9a-f]{8,16}|REDACTED_\d+)\]\]")


def upper(value: str, path: Any) -> Optional[str]:
    return value.upper() if value.startswith("x") else None


# -- the token-level rewrite ---------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"a": "xy", "b": 1e400}', '{"a": "XY", "b": 1e400}'),  # no Infinity
        ('{"k": "xa", "k": "xb"}', '{"k": "XA", "k": "XB"}'),  # duplicate keys kept
        ('[ "xa" ,\n  "keep", -0.5E+3 , true, null ]', '[ "XA" ,\n  "keep", -0.5E+3 , true, null ]'),
        ('{"u": "x\\u00f8"}', '{"u": "X\\u00d8"}'),  # \\u escapes stay \\u escapes
        ('{"u": "xø"}', '{"u": "XØ"}'),
        ('{"q": "x\\"y"}', '{"q": "X\\"Y"}'),
        ('{"n": {"m": ["keep", {"x": "xz"}]}}', '{"n": {"m": ["keep", {"x": "XZ"}]}}'),
    ],
)
def test_only_changed_strings_are_rewritten(text: str, expected: str) -> None:
    assert rewrite(text, upper) == expected


@pytest.mark.parametrize(
    "text", ['{"a": NaN}', '[1, 2] and more', '{"a": 1', "[see above]", '{"a" "b"}', '{"a": 1 2}', "{} {}", "[1]]", '{"a"}', "[1 true]"]
)
def test_text_that_is_no_json_document_is_left_to_the_caller(text: str) -> None:
    assert rewrite(text, upper) is None


def test_hooks_get_the_path_and_numbers_become_strings() -> None:
    seen: List[Any] = []

    def on_number(digits: str, path: Any) -> Optional[str]:
        seen.append((digits, path))
        return "N" if digits == "4111111111111111" else None

    out = rewrite('{"card": 4111111111111111, "n": [7, 1.5, 1e3]}', lambda v, p: None, on_number)
    assert out == '{"card": "N", "n": [7, 1.5, 1e3]}'
    assert seen == [("4111111111111111", ("card",)), ("7", ("n", 0))]  # integers only


def test_paths_hide_keys_that_are_not_identifiers() -> None:
    assert format_path(("messages", 2, "content")) == "$.messages[2].content"
    assert format_path(("customer", "anders@example.dk", "x y")) == "$.customer[*][*]"


# -- through the real client ---------------------------------------------------


def _tool_turn(result: str, *, content: Any = None) -> list:
    return [
        {"role": "user", "content": "Slå kunden op"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": result if content is None else content},
    ]


def test_tool_result_numbers_are_inspected_and_the_rest_kept(client: Any, api: Any) -> None:
    result = ('{"phone": 4540123456, "card": 4111111111111111, "orders": 12, "total": 1e400,\n'
              f' "email": "{EMAIL}", "email": "{EMAIL.upper()}", "note": "s\\u00e6t"}}')
    reply = protect(client.chat.completions.create)(model="m", messages=_tool_turn(result))
    sent = api.last_json()["messages"][2]["content"]
    assert "4540123456" not in sent and "4111111111111111" not in sent
    phone = re.search(r'"phone": "(\[\[PHONE_[0-9a-f]{8}\]\])"', sent)
    assert phone is not None  # a detected number becomes a pseudonym string
    assert '"card": "[[CARD_REDACTED_1]]"' in sent
    # everything else byte for byte: 1e400 (not Infinity), both "email" keys, the \u escape, the spacing
    assert sent.replace(phone.group(1), "P") == (
        '{"phone": "P", "card": "[[CARD_REDACTED_1]]", "orders": 12, "total": 1e400,\n'
        f' "email": "{TOKEN.findall(sent)[2]}", "email": "{TOKEN.findall(sent)[3]}", "note": "s\\u00e6t"}}'
    )
    assert TOKEN.findall(sent)[2] == TOKEN.findall(sent)[3]  # one address, one pseudonym
    # the user sees the values again; the phone is now a string
    assert reply.choices[0].message.content == result.replace("4540123456", '"4540123456"').replace(
        "4111111111111111", '"[[CARD_REDACTED_1]]"').replace(EMAIL.upper(), EMAIL)
    assert_no_personal(api.bodies(), [EMAIL, "4540123456", "4111111111111111"])


def test_function_call_output_numbers_and_known_numbers(client: Any, api: Any) -> None:
    # (5000400440116243 passes the card checks, but its key says it is an order number)
    output = json.dumps({"member": 48213, "order": 5000400440116243, "count": 48214, "mobile": 4915123456789})
    create = protect(client.responses.create, known={"member_no": 48213, "phone": 4540123456})
    reply = create(model="m", input=[
        {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": output},
    ])
    sent = api.last_json()["input"][1]["output"]
    assert "48213" not in sent and "4915123456789" not in sent
    assert '"count": 48214' in sent and '"order": 5000400440116243' in sent  # these stay numbers
    assert re.search(r'"member": "\[\[MEMBER_NO_[0-9a-f]{8}\]\]"', sent)
    assert re.search(r'"mobile": "\[\[PHONE_[0-9a-f]{8}\]\]"', sent)  # its key is a phone context word
    assert reply.output_text == output.replace("48213", '"48213"').replace("4915123456789", '"4915123456789"')
    # a known phone given as a number matches the number written as text
    protect(client.responses.create, known={"phone": 4540123456})(model="m", input="ring +45 40 12 34 56")
    assert "40 12 34 56" not in api.bodies()[-1] and "[[PHONE_" in api.bodies()[-1]


def test_short_known_numbers_and_custom_detectors_see_numbers_too(client: Any, api: Any) -> None:
    result = json.dumps({"member": 123, "room": 7, "code": 4242})
    protect(client.chat.completions.create, known={"member_no": 123})(model="m", messages=_tool_turn(result))
    sent = api.last_json()["messages"][2]["content"]
    assert re.fullmatch(r'\{"member": "\[\[MEMBER_NO_[0-9a-f]{8}\]\]", "room": 7, "code": 4242\}', sent)
    configure(custom_types=["DOOR_CODE"],
              detectors=[lambda text: [(m.start(), m.end(), "DOOR_CODE") for m in re.finditer(r"(?<=code: )\d{4}\b", text)]])
    protect(client.chat.completions.create)(model="m", messages=_tool_turn(result))
    assert re.fullmatch(r'\{"member": 123, "room": 7, "code": "\[\[DOOR_CODE_[0-9a-f]{8}\]\]"\}', api.last_json()["messages"][2]["content"])


def test_integer_content_is_inspected(client: Any, api: Any) -> None:
    conv = Conversation()
    protect(client.chat.completions.create, conversation=conv)(model="m", messages=_tool_turn("", content=4111111111111111))
    assert api.last_json()["messages"][2]["content"] == "[[CARD_REDACTED_1]]"
    protect(client.chat.completions.create, conversation=conv)(model="m", messages=_tool_turn("", content=12))
    assert api.last_json()["messages"][2]["content"] == 12  # nothing personal: still a number


def test_tool_arguments_keep_their_bytes(client: Any, api: Any) -> None:
    args = '{"to":"%s", "limit": 1e400, "tag": "a", "tag": "b"}' % NAME
    protect(client.chat.completions.create, known={"name": NAME})(model="m", messages=[
        {"role": "user", "content": "hej"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "mail", "arguments": args}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ])
    sent = api.last_json()["messages"][1]["tool_calls"][0]["function"]["arguments"]
    name_token = TOKEN.search(sent)
    assert name_token is not None
    assert sent == args.replace(NAME, name_token.group())


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


def _marked(node: Any) -> Any:
    if isinstance(node, str):
        return node + "!" if node else node
    if isinstance(node, list):
        return [_marked(v) for v in node]
    if isinstance(node, dict):
        return {k: _marked(v) for k, v in node.items()}
    return node


@settings(max_examples=200, deadline=None)
@given(st.lists(_json_values) | st.dictionaries(st.text(), _json_values), st.sampled_from([None, 1, "\t"]), st.booleans())
def test_rewrite_changes_exactly_the_string_values(doc: Any, indent: Any, ascii_only: bool) -> None:
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    assert rewrite(text, lambda v, p: None) == text
    out = rewrite(text, lambda v, p: v + "!")
    assert out is not None and json.loads(out) == _marked(doc)
