"""Inline content: strings starting with ``data:``, data URLs and base64 files,
``bytes`` content (real ``openai`` client, local stand-in)."""

from __future__ import annotations

import base64
import json
from typing import Any, List
from urllib.parse import unquote

import pytest

from gdpr_lint.runtime import PseudonymisationError, configure, protect

from .conftest import CPR, EMAIL, NAME, PHONE, assert_no_personal

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00\x88X\x01\x00\x02\x00\x10\x00data\x00\x00"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"

CSV = f"navn,email,telefon\n{NAME},{EMAIL},{PHONE}\nBirgitte Nielsen,bn@example.dk,+45 22 33 44 55\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def user(content: Any) -> List[dict]:
    return [{"role": "user", "content": content}]


def file_part(data: str, filename: str) -> dict:
    return {"type": "file", "file": {"file_data": data, "filename": filename}}


def sent_file(api: Any) -> str:
    data = api.last_json()["messages"][0]["content"][1]["file"]["file_data"]
    return base64.b64decode(data.partition(",")[2] if data.startswith("data:") else data).decode("utf-8")


# ---------------------------------------------------------------------------
# item: strings that start with "data:"


@pytest.mark.parametrize("text", [
    f"data: {NAME} ringer fra {PHONE}",
    f"data:{EMAIL}",
    f"data:text/plain;charset=utf-8,{NAME}",  # a real data URL of text: inspected like text
])
def test_text_starting_with_data_is_inspected(client: Any, api: Any, text: str) -> None:
    reply = protect(client.chat.completions.create, known={"name": NAME})(model="m", messages=user(text))
    assert reply.choices[0].message.content == text
    assert_no_personal(api.bodies())


def test_percent_encoded_text_data_url_is_pseudonymised(client: Any, api: Any) -> None:
    url = "data:text/plain," + f"Hej {NAME} <{EMAIL}>".replace(" ", "%20").replace("@", "%40")
    protect(client.chat.completions.create, known={"name": NAME})(
        model="m", messages=user([{"type": "text", "text": "se vedhæftet"}, {"type": "image_url", "image_url": {"url": url}}]))
    sent = api.last_json()["messages"][0]["content"][1]["image_url"]["url"]
    assert sent.startswith("data:text/plain,")
    decoded = unquote(sent.partition(",")[2])
    assert decoded.startswith("Hej [[NAME_") and "[[EMAIL_" in decoded
    assert_no_personal([decoded])


def test_known_value_behind_data_prefix_is_pseudonymised(client: Any, api: Any) -> None:
    protect(client.chat.completions.create, known={"name": "Birgitte"})(model="m", messages=user("data:Birgitte"))
    assert "Birgitte" not in api.bodies()[-1]


def test_harmless_data_text_passes_unchanged(client: Any, api: Any) -> None:
    protect(client.chat.completions.create)(model="m", messages=user("data: 42 rækker indlæst"))
    assert api.last_json()["messages"][0]["content"] == "data: 42 rækker indlæst"


# ---------------------------------------------------------------------------
# item: inline base64 files


@pytest.mark.parametrize("media_type,filename,document", [
    ("text/csv", "kunder.csv", CSV),
    ("text/plain", "note.txt", f"Patient {NAME}, CPR {CPR}, mail {EMAIL}"),
    ("text/markdown", "sag.md", f"# Sag\n\n* Kunde: {NAME}\n* Telefon: {PHONE}\n"),
    ("application/json", "kunde.json", json.dumps({"kunde": NAME, "kontakt": {"email": EMAIL}})),
    ("application/jsonl", "log.jsonl", "\n".join(json.dumps({"tekst": f"{NAME} skrev fra {EMAIL}", "n": i}) for i in range(3))),
])
def test_text_file_data_url_is_pseudonymised(client: Any, api: Any, media_type: str, filename: str, document: str) -> None:
    url = f"data:{media_type};base64,{b64(document.encode())}"
    reply = protect(client.chat.completions.create, known={"name": NAME})(
        model="m", messages=user([{"type": "text", "text": "Opsummer:"}, file_part(url, filename)]))
    sent = sent_file(api)
    assert_no_personal([sent, api.bodies()[-1]])
    assert "[[" in sent
    if media_type == "application/json":
        assert json.loads(sent).keys() == {"kunde", "kontakt"}
    if media_type == "application/jsonl":
        assert [json.loads(line)["n"] for line in sent.splitlines()] == [0, 1, 2]
    if media_type == "text/csv":
        assert [len(row.split(",")) for row in sent.splitlines()] == [3, 3, 3]
    # the stand-in echoes the file it read: the caller gets the real values back
    assert reply.choices[0].message.content == "Opsummer: " + document.replace(CPR, "[[CPR_REDACTED_1]]")


def test_bare_base64_text_file_is_pseudonymised(client: Any, api: Any) -> None:
    protect(client.chat.completions.create)(
        model="m", messages=user([{"type": "text", "text": "Læs"}, file_part(b64(CSV.encode()), "kunder.csv")]))
    sent = sent_file(api)
    assert_no_personal([sent, api.bodies()[-1]])
    assert sent.startswith("navn,email,telefon\n")


def test_responses_input_file_is_pseudonymised(client: Any, api: Any) -> None:
    item = {"role": "user", "content": [{"type": "input_text", "text": "Opsummer"},
                                        {"type": "input_file", "filename": "kunder.csv",
                                         "file_data": f"data:text/csv;base64,{b64(CSV.encode())}"}]}
    reply = protect(client.responses.create)(model="m", input=[item])
    assert reply.output_text == "Opsummer " + CSV
    sent = api.last_json()["input"][0]["content"][1]["file_data"]
    assert_no_personal([base64.b64decode(sent.partition(",")[2]).decode(), api.bodies()[-1]])


@pytest.mark.parametrize("part", [
    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(PNG)}"}},
    {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}},
    file_part(f"data:application/pdf;base64,{b64(PDF)}", "journal.pdf"),
    file_part(b64(PDF), "journal.pdf"),
    # text disguised as an image is not inspected either: refused like any image
    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(NAME.encode())}"}},
])
def test_binary_inline_content_is_refused_unless_allowed(client: Any, api: Any, part: dict) -> None:
    create = protect(client.chat.completions.create)
    with pytest.raises(PseudonymisationError, match="cannot be inspected.*allow_inline_binary"):
        create(model="m", messages=user([{"type": "text", "text": "Se her"}, part]))
    assert api.recorder.requests == []
    configure(allow_inline_binary=True)
    create(model="m", messages=user([{"type": "text", "text": "Se her"}, part]))
    assert api.last_json()["messages"][0]["content"][1] == part  # sent unchanged when allowed


def test_responses_input_image_is_refused_unless_allowed(client: Any, api: Any) -> None:
    image = {"type": "input_image", "image_url": f"data:image/png;base64,{b64(PNG)}"}
    with pytest.raises(PseudonymisationError, match="image/png"):
        protect(client.responses.create)(model="m", input=[{"role": "user", "content": [image]}])
    assert api.recorder.requests == []


@pytest.mark.parametrize("text", [
    f"Kunden {NAME} ringede om sin ordre i dag og vil gerne ringes op",  # letters and spaces only
    f"{NAME} {EMAIL}",
])
def test_plain_text_in_a_data_field_is_pseudonymised(client: Any, api: Any, text: str) -> None:
    # "data" and "file_data" are inline payload keys, but text there is not base64: inspect it as text
    protect(client.chat.completions.create, known={"name": NAME})(
        model="m", messages=user("hej"), metadata={"ticket": "1"}, extra_body={"data": text})
    assert_no_personal(api.bodies())
    assert api.last_json()["data"].startswith("[[NAME_") or api.last_json()["data"].startswith("Kunden [[NAME_")


def test_harmless_text_file_passes_byte_for_byte(client: Any, api: Any) -> None:
    url = "data:text/csv;base64," + b64(b"produkt,pris\ncykel,1000\n")
    protect(client.chat.completions.create)(model="m", messages=user([{"type": "text", "text": "x"}, file_part(url, "p.csv")]))
    assert api.last_json()["messages"][0]["content"][1]["file"]["file_data"] == url


def test_image_url_links_are_still_sent(client: Any, api: Any) -> None:
    part = {"type": "image_url", "image_url": {"url": "https://example.com/photo.png", "detail": "low"}}
    protect(client.chat.completions.create)(model="m", messages=user([{"type": "text", "text": "x"}, part]))
    assert api.last_json()["messages"][0]["content"][1] == part


# ---------------------------------------------------------------------------
# item: bytes content


@pytest.mark.parametrize("messages", [
    user(f"Hej {NAME}".encode()),
    [{"role": "user", "content": "hej"}, {"role": "assistant", "content": f"Mail {EMAIL}".encode()}],
    [{"role": "system", "content": b"Du er en hjaelpsom assistent"}],
])
def test_bytes_content_is_refused(client: Any, api: Any, messages: List[dict]) -> None:
    with pytest.raises(PseudonymisationError, match="bytes"):
        protect(client.chat.completions.create)(model="m", messages=messages)
    assert api.recorder.requests == []


def test_bytes_content_is_refused_in_responses(client: Any, api: Any) -> None:
    with pytest.raises(PseudonymisationError, match="bytes"):
        protect(client.responses.create)(model="m", input=[{"role": "user", "content": f"Hej {NAME}".encode()}])
    assert api.recorder.requests == []


def test_token_ids_of_embeddings_still_pass(client: Any, api: Any) -> None:
    protect(client.embeddings.create)(model="e", input=[[101, 2023, 102]])
    assert api.last_json()["input"] == [[101, 2023, 102]]
